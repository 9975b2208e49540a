"""lab/environments.py: one test per row of its rule table."""
from rustux_bootlab.lab.environments import Lane, judge_lanes
from rustux_bootlab.lab.verdict import Culprit, Outcome, Verdict

PASS = Outcome(Verdict.PASS, None, "all milestones reached", "poweroff")
HANG = Outcome(Verdict.FAIL, Culprit.CODE, "hung after heap-ok: no cpu-tables within 5s", "heap-ok")
LOST = Outcome(Verdict.ERROR, Culprit.FIRMWARE, "no output on any channel", None)
Q72, Q10 = "QEMU emulator version 7.2.22", "QEMU emulator version 10.0.13"


def lane(target, outcome, golden=None, env="debian12", qemu=Q72):
    return Lane(target, env, qemu, outcome, golden)


def test_row1_a_pass_stays():
    got = judge_lanes([lane("a", PASS), lane("b", HANG, PASS)])
    assert got["a"] is PASS


def test_row2_an_error_stays_and_names_the_lanes():
    got = judge_lanes([lane("a", PASS), lane("b", LOST, HANG, "debian13", Q10)])["b"]
    assert (got.verdict, got.culprit) == (Verdict.ERROR, Culprit.FIRMWARE)
    assert got.reason == f"on b (debian13, {Q10}): no output on any channel; passes on a (debian12, {Q72})"


def test_row2_with_no_pass_an_error_stays_as_it_is():
    assert judge_lanes([lane("a", HANG), lane("b", LOST)])["b"] is LOST


def test_row3_fails_everywhere_is_the_code():
    got = judge_lanes([lane("a", HANG, PASS), lane("b", HANG, PASS, "debian13", Q10)])
    assert got == {"a": HANG, "b": HANG}


def test_row4_golden_not_booted_says_so():
    got = judge_lanes([lane("a", PASS), lane("b", HANG, None, "debian13", Q10)])["b"]
    assert (got.verdict, got.culprit) == (Verdict.FAIL, Culprit.CODE)
    assert "passes on a (debian12" in got.reason and "cannot tell" in got.reason


def test_row5_golden_fails_on_another_qemu_is_the_host():
    got = judge_lanes([lane("a", PASS), lane("b", HANG, HANG, "debian13", Q10)])["b"]
    assert (got.verdict, got.culprit) == (Verdict.ERROR, Culprit.HOST)
    assert got.reason.startswith("b (debian13, QEMU emulator version 10.0.13) fails the golden image too")
    assert "passes on a (debian12, QEMU emulator version 7.2.22)" in got.reason


def test_row6_golden_fails_on_the_same_qemu_is_the_firmware():
    got = judge_lanes([lane("a", PASS), lane("b", HANG, HANG)])["b"]
    assert (got.verdict, got.culprit) == (Verdict.ERROR, Culprit.FIRMWARE)
    assert "fails the golden image too" in got.reason


def test_row7_golden_passes_is_the_code():
    got = judge_lanes([lane("a", PASS), lane("b", HANG, PASS, "debian13", Q10)])["b"]
    assert (got.verdict, got.culprit) == (Verdict.FAIL, Culprit.CODE)
    assert got.reason.startswith("fails only on b (debian13, QEMU emulator version 10.0.13); passes on a (debian12")
