"""Firmware inspection on the real Debian OVMF files and on broken copies of them."""
import hashlib
import os
from pathlib import Path

import pytest

from rustux_bootlab.lab.firmware import inspect_firmware

CODE_4M = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
VARS_4M = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
CODE_2M = Path("/usr/share/OVMF/OVMF_CODE.fd")
VARS_2M = Path("/usr/share/OVMF/OVMF_VARS.fd")
BIOS = Path("/usr/share/ovmf/OVMF.fd")


@pytest.fixture(autouse=True)
def ovmf() -> None:
    if not CODE_4M.exists():
        pytest.fail(f"{CODE_4M} not found: install Debian's ovmf package (make deps)")


def test_real_pairs_and_bios_are_ok():
    for kwargs in ({"code": CODE_4M, "vars": VARS_4M}, {"code": CODE_2M, "vars": VARS_2M}, {"bios": BIOS}):
        report = inspect_firmware(**kwargs)
        assert report.ok, report.problems


def test_identity_is_recorded():
    report = inspect_firmware(code=CODE_4M, vars=VARS_4M)
    code = report.identity["code"]
    assert code.size == CODE_4M.stat().st_size
    assert code.sha256 == hashlib.sha256(CODE_4M.read_bytes()).hexdigest()
    assert report.to_dict()["vars"]["path"] == str(VARS_4M)
    assert "firmware OK" in report.render() and code.sha256 in report.render()


def test_zero_filled(tmp_path):
    bad = tmp_path / "OVMF_CODE_4M.fd"
    bad.write_bytes(bytes(CODE_4M.stat().st_size))
    report = inspect_firmware(code=bad, vars=VARS_4M)
    assert report.problems == [
        "OVMF_CODE_4M.fd is zero-filled: reinstall the ovmf package or point --firmware-code at a good image"
    ]
    assert report.identity["code"].sha256 is not None


def test_erased_flash(tmp_path):
    bad = tmp_path / "OVMF.fd"
    bad.write_bytes(b"\xff" * (2 << 20))
    assert "is blank (all 0xFF" in inspect_firmware(bios=bad).problems[0]


def test_truncated_keeps_fvh_but_not_the_volume(tmp_path):
    bad = tmp_path / "OVMF_CODE_4M.fd"
    bad.write_bytes(CODE_4M.read_bytes()[: 2 << 20])
    problems = inspect_firmware(code=bad, vars=VARS_4M).problems
    assert any("OVMF_CODE_4M.fd is truncated: its first firmware volume needs 3440640 B but the file has 2097152 B" in p for p in problems)


def test_truncated_to_an_odd_size(tmp_path):
    bad = tmp_path / "OVMF.fd"
    bad.write_bytes(BIOS.read_bytes()[:100_000])
    (problem,) = inspect_firmware(bios=bad).problems
    assert problem.startswith("OVMF.fd is 100000 B, not a firmware image (expected a multiple of 4 KiB, at least 1 MiB; truncated?)")
    assert problem.endswith("point --firmware-bios at a good image")


def test_no_firmware_volume_header(tmp_path):
    bad = tmp_path / "random.fd"
    bad.write_bytes(bytes(range(256)) * (8 << 10))
    (problem,) = inspect_firmware(bios=bad).problems
    assert "random.fd has no firmware volume header (_FVH at offset 40)" in problem


def test_missing_and_unreadable(tmp_path):
    report = inspect_firmware(code=tmp_path / "nope.fd", vars=tmp_path)
    assert report.problems[0].endswith("nope.fd does not exist: reinstall the ovmf package or point --firmware-code at a good image")
    assert "is not readable" in report.problems[1] and "--firmware-vars" in report.problems[1]
    assert report.identity["code"].sha256 is None and not report.ok
    assert "firmware NOT OK (2 problem(s))" in report.render()


# What QEMU 7.2 did with each file below, booting the Rustux kernel (q35, TCG, on this
# machine, 2026-12-01): the rule table in lab/firmware.py. "boots" = the final milestone.

def test_a_short_pair_is_a_warning_it_boots():
    # CODE_4M + VARS (2M build): boots, OVMF keeps its variables in RAM.
    report = inspect_firmware(code=CODE_4M, vars=VARS_2M)
    assert report.ok
    assert report.warnings == [
        "OVMF_CODE_4M.fd (3568 KiB) and OVMF_VARS.fd (128 KiB) are not a pair, so OVMF keeps its variables in RAM: "
        "use OVMF_CODE_4M.fd with OVMF_VARS_4M.fd, or OVMF_CODE.fd with OVMF_VARS.fd"
    ]
    assert "firmware OK (1 warning(s))" in report.render()


def test_a_long_pair_is_refused_ovmf_faults():
    # CODE (2M build) + VARS_4M: OVMF prints an exception dump on serial, never runs the kernel.
    (problem,) = inspect_firmware(code=CODE_2M, vars=VARS_4M).problems
    assert problem.startswith("OVMF_CODE.fd (1920 KiB) and OVMF_VARS_4M.fd (528 KiB) are not a pair: "
                              "OVMF would look for its variable store inside OVMF_VARS_4M.fd and fault at once")


def test_a_zero_filled_vars_is_a_warning_ovmf_rebuilds_it(tmp_path):
    # Boots: OVMF formats a new variable store.
    bad = tmp_path / "OVMF_VARS_4M.fd"
    bad.write_bytes(bytes(VARS_4M.stat().st_size))
    report = inspect_firmware(code=CODE_4M, vars=bad)
    assert report.ok and report.warnings[0].startswith("OVMF_VARS_4M.fd is zero-filled: OVMF creates a fresh variable store")


def test_a_truncated_vars_is_a_warning(tmp_path):
    # The first 256 KiB (and the first 32 KiB) of VARS_4M: boots.
    bad = tmp_path / "OVMF_VARS_4M.fd"
    bad.write_bytes(VARS_4M.read_bytes()[: 256 << 10])
    report = inspect_firmware(code=CODE_4M, vars=bad)
    assert report.ok
    assert "OVMF_VARS_4M.fd is truncated: its first firmware volume needs 540672 B but the file has 262144 B" in report.warnings[0]


@pytest.mark.parametrize("content", [b"\xff", b"random"])
def test_a_blank_or_random_vars_is_refused_ovmf_faults(tmp_path, content):
    # All 0xFF, or random bytes: OVMF prints an exception dump on serial.
    bad = tmp_path / "OVMF_VARS_4M.fd"
    size = VARS_4M.stat().st_size
    bad.write_bytes(b"\xff" * size if content == b"\xff" else os.urandom(size))
    report = inspect_firmware(code=CODE_4M, vars=bad)
    assert not report.ok and ("blank" in report.problems[0] or "no firmware volume header" in report.problems[0])


def test_a_bios_without_its_store_header_is_a_warning(tmp_path):
    # OVMF.fd with the store's _FVH zeroed: boots.
    data = bytearray(BIOS.read_bytes())
    data[40:44] = bytes(4)
    bad = tmp_path / "OVMF.fd"
    bad.write_bytes(bytes(data))
    report = inspect_firmware(bios=bad)
    assert report.ok and "no firmware volume header at offset 0, where its variable store is" in report.warnings[0]


def test_a_bios_cut_short_or_cut_from_the_front_is_refused(tmp_path):
    # The first 1 MiB: no output; the last 1 MiB: QEMU exits at once, no output.
    head, tail = tmp_path / "head.fd", tmp_path / "tail.fd"
    head.write_bytes(BIOS.read_bytes()[: 1 << 20])
    tail.write_bytes(BIOS.read_bytes()[-(1 << 20):])
    (problem,) = inspect_firmware(bios=head).problems
    assert problem.startswith("head.fd is truncated: its firmware volume at offset 131072 needs 1753088 B but the file has 917504 B")
    assert "has no firmware volume header" in inspect_firmware(bios=tail).problems[0]


def test_pflash_needs_both_and_something_is_needed():
    assert inspect_firmware(code=CODE_4M).problems == ["pflash needs both code and vars: add --firmware-vars"]
    assert inspect_firmware().problems == ["no firmware given: pass code + vars (pflash) or bios"]


def test_empty_file(tmp_path):
    bad = tmp_path / "OVMF_VARS_4M.fd"
    bad.write_bytes(b"")
    assert "OVMF_VARS_4M.fd is empty" in inspect_firmware(code=CODE_4M, vars=bad).problems[0]
