"""`bootlab console --target`: a person at a QEMU target's COM1, in a real pty. Types into
OVMF's UEFI shell (tests/fixtures/shell-launcher), reads its answer, detaches with `~.`,
and finds the boot record written as for any boot. About 15 s."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from bootlab_support import BOOTLAB, REPO, qemu_children, read_until, wait_gone
from shell_support import SPEC, shell_esp


@pytest.mark.qemu
def test_keys_reach_com1_and_tilde_dot_detaches_with_a_record(tmp_path: Path) -> None:
    esp = shell_esp(tmp_path / "esp")
    out = tmp_path / "record"
    master, slave = os.openpty()
    # Cold (--no-warm): the person meets OVMF's own shell banner and countdown.
    proc = subprocess.Popen([str(BOOTLAB), "console", "--target", "q35-pflash", "--image", str(esp), "--milestones",
                             str(SPEC), "--out", str(out), "--no-warm"], cwd=REPO, stdin=slave, stdout=slave, stderr=slave,
                            start_new_session=True)
    os.close(slave)
    try:
        seen = read_until(master, b"UEFI Interactive Shell", 90)
        assert b"~. to detach" in seen and b"ok  1/1 shell" in read_until(master, b"ok  1/1 shell", 5, seen)
        qemu = qemu_children(proc.pid)
        assert len(qemu) == 1
        os.write(master, b"\x1b")  # skip the startup.nsh countdown
        seen = read_until(master, b"Shell> ", 30)
        os.write(master, b"echo typed by a person\r")
        seen = read_until(master, b"\r\ntyped by a person", 15)
        assert b"\r\ntyped by a person" in seen, seen[-300:]
        os.write(master, b"\r~.")
        assert proc.wait(15) == 0  # the one milestone was reached: PASS
        assert wait_gone(qemu[0]), "QEMU left running after ~."
    finally:
        proc.kill()
        proc.wait()
        os.close(master)
    result = json.loads((out / "result.json").read_text())
    assert (result["verdict"], result["last_milestone"]) == ("PASS", "shell")
    assert result["conversation"] is None  # the spec's steps are left to the person
    timeline = (out / "timeline.log").read_text()
    assert " input    serial: echo typed by a person\\r" in timeline
    assert " runner   detached at the console (~.)" in timeline
    assert " serial   Shell> echo typed by a person\n" in timeline and " serial   typed by a person\n" in timeline
