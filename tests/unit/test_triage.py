"""One test per row of lab/triage.py's rule table."""
from rustux_bootlab.lab.outcomes import image_not_bootable
from rustux_bootlab.lab.triage import triage, wants_triage
from rustux_bootlab.lab.verdict import Culprit, Outcome, Verdict

IMAGE = Outcome(Verdict.FAIL, Culprit.CODE, "hung after heap: no user-entry within 15s", "heap")
BASE_IMAGE = {"path": "build/esp", "sha256": "ab"}


def test_only_a_fail_is_triaged():
    assert wants_triage(IMAGE)
    assert not wants_triage(Outcome(Verdict.ERROR, Culprit.HOST, "kvm", None))
    assert not wants_triage(Outcome(Verdict.PASS, None, "all", "done"))


def test_row1_baseline_pass_keeps_the_fail():
    t = triage("q35-pflash", IMAGE, Outcome(Verdict.PASS, None, "all 17 milestones reached", "done"), BASE_IMAGE)
    assert t.outcome == IMAGE
    assert t.summary["baseline"] == {"image": BASE_IMAGE, "verdict": "PASS", "culprit": None,
                                     "reason": "all 17 milestones reached", "last_milestone": "done",
                                     "record": "baseline"}
    assert t.summary["rule"].startswith("baseline passed on the same target")


def test_row2_baseline_fail_blames_the_target():
    base = Outcome(Verdict.FAIL, Culprit.CODE, "machine reset/exited after gdt", "gdt")
    t = triage("pc-bios", IMAGE, base, BASE_IMAGE)
    assert (t.outcome.verdict, t.outcome.culprit, t.outcome.last_milestone) == (Verdict.ERROR, Culprit.HOST, "heap")
    assert t.outcome.reason == "target pc-bios broken: baseline also failed: FAIL (code): machine reset/exited after gdt"
    assert t.summary["image_outcome"] == IMAGE.to_dict()


def test_row2_baseline_error_firmware_keeps_its_culprit():
    base = Outcome(Verdict.ERROR, Culprit.FIRMWARE, "no output on any channel", None)
    t = triage("q35-pflash", IMAGE, base, BASE_IMAGE)
    assert (t.outcome.verdict, t.outcome.culprit) == (Verdict.ERROR, Culprit.FIRMWARE)
    assert t.summary["rule"].endswith("(ERROR/firmware)")


def test_row3_a_broken_baseline_is_inconclusive():
    base = Outcome(Verdict.ERROR, Culprit.LAB, "image not bootable: no EFI/BOOT/BOOTX64.EFI", None)
    t = triage("q35-pflash", IMAGE, base, BASE_IMAGE)
    assert t.outcome == IMAGE and t.summary["rule"].startswith("baseline not conclusive")


def test_an_image_that_never_booted_is_not_triaged_and_as_a_baseline_is_inconclusive():
    broken = image_not_bootable("build/esp/EFI/BOOT/BOOTX64.EFI is not a PE/COFF executable")
    assert broken.verdict is Verdict.FAIL and not wants_triage(broken)  # no boot: nothing about the target
    t = triage("q35-pflash", IMAGE, broken, BASE_IMAGE)
    assert t.outcome == IMAGE and t.summary["rule"].startswith("baseline not conclusive")
    assert (t.summary["baseline"]["verdict"], t.summary["baseline"]["culprit"]) == ("ERROR", "lab")
    assert t.summary["baseline"]["reason"].startswith("the lab's known-good image is broken: image not bootable: ")
