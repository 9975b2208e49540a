"""lab/aavmf.py: one test per row of the rule table, on the real AAVMF files and cuts of them."""
from __future__ import annotations

from pathlib import Path

import pytest

from rustux_bootlab.lab.aavmf import BANK, inspect_aavmf

CODE = Path("/usr/share/AAVMF/AAVMF_CODE.fd")
VARS = Path("/usr/share/AAVMF/AAVMF_VARS.fd")


@pytest.fixture(autouse=True)
def aavmf_installed():
    if not CODE.is_file() or not VARS.is_file():
        pytest.fail("AAVMF is missing: make deps installs qemu-efi-aarch64")


def sized(path: Path, data: bytes) -> Path:
    path.write_bytes(data + b"\0" * (BANK - len(data)))
    return path


def test_debians_pair_passes_its_zero_vars_as_shipped():
    report = inspect_aavmf(CODE, VARS)
    assert report.ok and not report.warnings, report.render()
    assert report.identity["code"].size == BANK and report.identity["vars"].size == BANK


def test_missing_files_and_no_pflash_are_problems(tmp_path):
    assert "does not exist" in inspect_aavmf(tmp_path / "no.fd", VARS).problems[0]
    assert "needs code and vars (mode: pflash)" in inspect_aavmf(None, None).problems[0]


def test_an_empty_file_is_a_problem(tmp_path):
    (tmp_path / "code.fd").write_bytes(b"")
    assert "is empty" in inspect_aavmf(tmp_path / "code.fd", VARS).problems[0]


def test_a_file_that_is_not_64_mib_is_a_problem(tmp_path):
    (tmp_path / "code.fd").write_bytes(CODE.read_bytes()[: 2 << 20])
    assert "virt's flash banks are 64 MiB" in inspect_aavmf(tmp_path / "code.fd", VARS).problems[0]


def test_zero_code_is_a_problem(tmp_path):
    assert "zero-filled" in inspect_aavmf(sized(tmp_path / "code.fd", b""), VARS).problems[0]


def test_blank_flash_is_a_problem(tmp_path):
    (tmp_path / "vars.fd").write_bytes(b"\xff" * BANK)
    assert "blank" in inspect_aavmf(CODE, tmp_path / "vars.fd").problems[0]


def test_code_without_a_volume_header_is_a_problem(tmp_path):
    assert "no firmware volume header" in inspect_aavmf(sized(tmp_path / "code.fd", b"\1" * 8192), VARS).problems[0]


def test_code_whose_volume_runs_past_the_file_is_a_problem(tmp_path):
    head = bytearray(CODE.read_bytes()[:8192])
    head[4096 + 32:4096 + 40] = (BANK * 2).to_bytes(8, "little")  # the volume's length field
    assert "truncated" in inspect_aavmf(sized(tmp_path / "code.fd", bytes(head)), VARS).problems[0]
