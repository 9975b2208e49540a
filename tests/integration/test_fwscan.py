"""Firmware scans remembered while a file is unchanged, redone once it changed."""
from pathlib import Path

import pytest

import rustux_bootlab.workers.artifacts.fwscan as fwscan
from rustux_bootlab.lab.firmware import inspect_firmware, scan_file

CODE_4M = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")


@pytest.fixture(autouse=True)
def ovmf() -> None:
    if not CODE_4M.exists():
        pytest.fail(f"{CODE_4M} not found: install Debian's ovmf package (make deps)")


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def test_an_unchanged_file_is_not_read_again(monkeypatch):
    first = fwscan.cached_scan(CODE_4M)  # installed long ago
    assert first == scan_file(CODE_4M)
    monkeypatch.setattr(fwscan, "scan_file", lambda path: pytest.fail(f"{path} was read again"))
    assert fwscan.cached_scan(CODE_4M) == first


def test_a_file_changed_just_before_its_scan_is_read_again(tmp_path, monkeypatch):
    code = tmp_path / "OVMF_CODE_4M.fd"
    code.write_bytes(CODE_4M.read_bytes())
    fwscan.cached_scan(code)
    reads = []
    monkeypatch.setattr(fwscan, "scan_file", lambda path: reads.append(path) or scan_file(path))
    fwscan.cached_scan(code)
    assert reads == [code]


def test_a_file_zeroed_after_its_scan_is_refused(tmp_path):
    code = tmp_path / "OVMF_CODE_4M.fd"
    code.write_bytes(CODE_4M.read_bytes())
    assert inspect_firmware(bios=code, scan=fwscan.cached_scan).identity["bios"].sha256
    code.write_bytes(bytes(CODE_4M.stat().st_size))  # same size, same path: a new ctime
    (problem,) = inspect_firmware(bios=code, scan=fwscan.cached_scan).problems
    assert "is zero-filled" in problem
