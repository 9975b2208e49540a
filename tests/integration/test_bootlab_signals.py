"""No QEMU outlives `bootlab boot`: Ctrl-C, a Buildbot stop (SIGTERM), a closed terminal
(SIGHUP) and SIGKILL of the runner."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from bootlab_support import (
    BOOTLAB,
    REPO,
    process_alive,
    qemu_children,
    run_boot,
    variant_esp,
    wait_gone,
)
from polling import WaitTimeout, wait_until

pytestmark = pytest.mark.qemu


def start_silent_boot(out: Path) -> tuple[subprocess.Popen[str], int]:
    """A runner booting a kernel that never finishes, and its QEMU once the guest runs."""
    runner = subprocess.Popen(
        [str(BOOTLAB), "boot", "--target", "pc-bios", "--image", str(variant_esp("silent")), "--timeout", "120",
         "--out", str(out), "--json"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    def qemu_running():
        children = qemu_children(runner.pid)
        return children[0] if children and _printed(out / "serial.log") else None
    try:
        return runner, wait_until(qemu_running, 30, "QEMU started and the guest printed on serial")
    except WaitTimeout:
        runner.kill()
        raise


def _printed(log: Path) -> bool:
    return log.exists() and log.stat().st_size > 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_stops_qemu_and_records_an_interrupted_error(sig, tmp_path):
    runner, qemu = start_silent_boot(tmp_path)
    runner.send_signal(sig)
    stdout, stderr = runner.communicate(timeout=15)
    assert runner.returncode == 3, stderr
    assert wait_gone(qemu), f"QEMU {qemu} survived {sig.name}"
    result = json.loads(stdout)
    assert (result["verdict"], result["culprit"]) == ("ERROR", "lab")
    assert result["reason"].startswith(f"interrupted by {sig.name} after ")
    assert json.loads((tmp_path / "result.json").read_text()) == result
    assert f"{sig.name} received: stopping" in (tmp_path / "timeline.log").read_text()


def test_qemu_dies_with_a_killed_runner(tmp_path):
    runner, qemu = start_silent_boot(tmp_path)
    assert process_alive(qemu)
    runner.send_signal(signal.SIGKILL)
    runner.communicate(timeout=15)
    try:
        assert wait_gone(qemu), f"QEMU {qemu} outlived the SIGKILLed runner"
    finally:
        if process_alive(qemu):
            os.kill(qemu, signal.SIGKILL)  # do not leave an orphan behind a failing test
    workdirs = list(Path(tempfile.gettempdir()).glob(f"bootlab-boot-{runner.pid}-*"))
    assert workdirs, "the killed runner's work directory is left for the next runner to sweep"
    (tmp_path / "no-bootfile").mkdir()  # the next boot needs to get as far as its own work directory
    run_boot(tmp_path / "next", "--target", "pc-bios", "--image", tmp_path / "no-bootfile")
    assert not any(d.exists() for d in workdirs), "the next runner sweeps a dead runner's work directory"


def test_a_killed_worker_takes_the_runner_and_qemu_with_it(tmp_path):
    """A Buildbot worker SIGKILLed mid-boot: bootlab gets SIGTERM from the kernel (its parent
    died), stops QEMU and writes its record; nothing boots on for nobody."""
    out = tmp_path / "record"
    worker = subprocess.Popen(  # stands in for buildbot-worker: starts bootlab, then waits
        [sys.executable, "-c", "import subprocess, sys, time; p = subprocess.Popen(sys.argv[1:]); time.sleep(300)",
         str(BOOTLAB), "boot", "--target", "pc-bios", "--image", str(variant_esp("silent")), "--timeout", "120",
         "--out", str(out)], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    def runner_and_qemu():
        runners = qemu_children(worker.pid)  # the worker's child: bootlab
        qemus = qemu_children(runners[0]) if runners else []
        return (runners[0], qemus[0]) if qemus and _printed(out / "serial.log") else None
    runner, qemu = wait_until(runner_and_qemu, 30, "bootlab started QEMU and the guest printed on serial")
    worker.kill()
    worker.wait()
    try:
        assert wait_gone(runner, within=15), f"bootlab {runner} outlived its killed worker"
        assert wait_gone(qemu), f"QEMU {qemu} outlived the killed worker"
    finally:
        for pid in (runner, qemu):
            if process_alive(pid):
                os.kill(pid, signal.SIGKILL)
    result = json.loads((out / "result.json").read_text())
    assert (result["verdict"], result["culprit"]) == ("ERROR", "lab") and "SIGTERM" in result["reason"]

