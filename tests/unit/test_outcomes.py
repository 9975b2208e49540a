"""One test per row of lab/outcomes.py's table: verdicts decided around a boot."""
import re

import pytest

from rustux_bootlab.lab import outcomes
from rustux_bootlab.lab.spec import InfraSignature
from rustux_bootlab.lab.verdict import Culprit, Verdict


def verdict(o):
    return o.verdict, o.culprit


def test_row1_out_of_service_in_the_inventory():
    assert outcomes.out_of_service("target", "pc-bios").reason == "target pc-bios is disabled in the inventory"
    o = outcomes.out_of_service("board", "nuc-1")
    assert verdict(o) == (Verdict.MISS, Culprit.LAB) and o.reason == "board nuc-1 is disabled in the inventory"


def test_row2_quarantined_says_who_and_how_to_release():
    o = outcomes.quarantined("board", "nuc-1", "quarantined by alice since 2026-01-01T00:00:00Z: fan")
    assert verdict(o) == (Verdict.MISS, Culprit.LAB)
    assert o.reason == "board nuc-1 is quarantined by alice since 2026-01-01T00:00:00Z: fan (bootlab release nuc-1)"


def test_row3_held_elsewhere():
    o = outcomes.held_elsewhere("board nuc-1 is held by bootlab console")
    assert verdict(o) == (Verdict.MISS, Culprit.LAB) and o.reason.endswith("try again when it is free")


def test_row4_interrupted():
    o = outcomes.interrupted("SIGTERM", 3.04, "heap")
    assert verdict(o) == (Verdict.ERROR, Culprit.LAB) and o.reason == "interrupted by SIGTERM after 3.0s"
    assert o.last_milestone == "heap"


def test_row5_a_runner_crash_is_the_labs():
    o = outcomes.runner_crashed(KeyError("x"))
    assert verdict(o) == (Verdict.ERROR, Culprit.LAB) and o.reason.startswith("bootlab crashed (KeyError: 'x')")


def test_row6a_an_unbootable_image_damaged_on_the_way_is_the_labs():
    o = outcomes.image_not_bootable("x is not a PE/COFF executable", "EFI/BOOT/BOOTX64.EFI is not what the build made")
    assert verdict(o) == (Verdict.ERROR, Culprit.LAB)
    assert o.reason == ("image not bootable: x is not a PE/COFF executable; EFI/BOOT/BOOTX64.EFI is not what the build "
                        "made: damaged on the way to the boot (check the artifact's transfer and unpacking)")
    assert outcomes.never_booted(o)


def test_row6b_an_unbootable_image_as_the_build_made_it_is_the_codes():
    o = outcomes.image_not_bootable("no EFI/BOOT/BOOTX64.EFI in build/esp")
    assert verdict(o) == (Verdict.FAIL, Culprit.CODE)
    assert o.reason == "image not bootable: no EFI/BOOT/BOOTX64.EFI in build/esp: the build's artifact is broken"
    assert outcomes.never_booted(o)


def test_row7_a_part_of_the_lab_failing_keeps_its_culprit_and_never_blames_the_code():
    o = outcomes.part_failed(Culprit.BOARD, "board nuc-1: BMC 10.0.0.9:623: no answer")
    assert verdict(o) == (Verdict.ERROR, Culprit.BOARD)
    with pytest.raises(ValueError):
        outcomes.part_failed(Culprit.CODE, "x")


def test_row8_a_deploy_signature_on_an_open_line():
    sig = InfraSignature("pxe-boot-failed", frozenset({"serial"}), re.compile("x"), Culprit.LAB, "the network boot failed")
    o = outcomes.open_line_signature(sig, ">>Start PXE over IPv4.", "banner")
    assert verdict(o) == (Verdict.ERROR, Culprit.LAB)
    assert o.reason == "the network boot failed (pxe-boot-failed: >>Start PXE over IPv4.)" and o.last_milestone == "banner"


def test_row9_detaching_before_a_verdict_is_the_labs_not_the_kernels():
    o = outcomes.ended_before_verdict("detached at the console (~.)", 12.34, "shell")
    assert (o.verdict, o.culprit, o.last_milestone) == (Verdict.ERROR, Culprit.LAB, "shell")
    assert o.reason == "detached at the console (~.) after 12.3s, before a verdict"
