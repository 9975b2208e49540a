"""Scratch directories: each new one sweeps those a killed bootlab left, and nothing else."""
import os
import subprocess
import sys
import tempfile

import pytest

from rustux_bootlab.workers.workdir import owner_pid, sweep, workdir


@pytest.fixture
def tmp(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", ""])  # no installed tool: a unit test
    proc.wait()
    return proc.pid


def test_a_dead_processes_directories_are_swept_and_the_living_kept(tmp):
    dead = dead_pid()
    left = [tmp / f"bootlab-{kind}-{dead}-x1y2" for kind in ("boot", "snap", "bisect")]
    live = tmp / f"bootlab-boot-{os.getpid()}-a1b2"
    foreign = [tmp / f"bootlab-cluster-{dead}-zz", tmp / "bootlab-boot-notapid-zz", tmp / f"other-boot-{dead}-zz"]
    for d in (*left, live, *foreign):
        d.mkdir()
        (d / "vars.fd").write_bytes(b"x")
    sweep()
    assert not any(d.exists() for d in left)
    assert live.exists(), "a running bootlab's directory is never touched"
    assert all(d.exists() for d in foreign), "only names this module makes are swept"


def test_a_workdir_is_named_after_its_process_and_removed_after(tmp):
    with workdir("snap") as work:
        assert work.parent == tmp and owner_pid(work.name) == os.getpid()
        (work / "stream").write_bytes(b"x")
    assert not work.exists()


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown scratch directory kind 'tmp'"):
        with workdir("tmp"):
            pass


def test_owner_pid_reads_only_its_own_names():
    assert owner_pid("bootlab-boot-123-abc") == 123
    assert owner_pid("bootlab-123-abc") is None  # the boot's old name had no kind
    assert owner_pid("bootlab-img-x-abc") is None
