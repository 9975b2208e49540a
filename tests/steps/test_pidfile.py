"""harness.pidfile over real processes: which pid files keep a restarted daemon from starting."""
from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from rustux_bootlab.harness.pidfile import clear_stale, stale


@pytest.fixture
def daemon(tmp_path):
    """A process running in `tmp_path/basedir`, as twistd runs in its basedir."""
    basedir = tmp_path / "basedir"
    basedir.mkdir()
    proc = subprocess.Popen(["sleep", "60"], cwd=basedir)
    yield basedir, proc
    proc.kill()
    proc.wait()


def test_a_running_daemon_of_its_directory_keeps_its_pid_file(daemon):
    basedir, proc = daemon
    (basedir / "twistd.pid").write_text(f"{proc.pid}\n")
    assert not clear_stale(basedir / "twistd.pid")
    assert (basedir / "twistd.pid").exists()


def test_a_killed_daemon_not_yet_reaped_leaves_a_stale_pid_file(daemon):
    basedir, proc = daemon
    (basedir / "twistd.pid").write_text(f"{proc.pid}\n")
    proc.send_signal(signal.SIGKILL)
    proc.wait()  # reaped here; below, a zombie
    assert clear_stale(basedir / "twistd.pid")
    assert not (basedir / "twistd.pid").exists()


def test_a_zombie_is_not_a_running_daemon(tmp_path):
    proc = subprocess.Popen(["true"], cwd=tmp_path)
    try:
        while Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
            pass  # `true` ends at once; until waited for it stays a zombie, which kill(pid, 0) reaches
        (tmp_path / "twistd.pid").write_text(f"{proc.pid}\n")
        assert stale(tmp_path / "twistd.pid")
    finally:
        proc.wait()


def test_a_pid_now_of_a_process_elsewhere_is_stale(daemon, tmp_path):
    _, proc = daemon
    other = tmp_path / "other"
    other.mkdir()
    (other / "twistd.pid").write_text(f"{proc.pid}\n")
    assert stale(other / "twistd.pid")


def test_a_torn_pid_file_is_stale_and_a_missing_one_is_not(tmp_path):
    (tmp_path / "twistd.pid").write_text("")
    assert stale(tmp_path / "twistd.pid")
    assert not stale(tmp_path / "absent.pid")
