"""One test per row of lab.bisect_start's rule table."""
from rustux_bootlab.lab.bisect_start import TargetHistory, decide_start
from rustux_bootlab.lab.verdict import Culprit, Verdict

GOOD, BAD = "a" * 40, "b" * 40
PASSED = TargetHistory("PASS", GOOD, GOOD)


def test_row1_try_builds_never_bisect_nor_count():
    d = decide_start(PASSED, Verdict.FAIL, Culprit.CODE, BAD, patched=True)
    assert not d.start and d.history == PASSED


def test_row2_no_revision():
    assert not decide_start(PASSED, Verdict.FAIL, Culprit.CODE, None, False).start


def test_row3_error_and_miss_never_bisect_and_leave_the_history():
    for verdict, culprit in ((Verdict.ERROR, Culprit.FIRMWARE), (Verdict.MISS, Culprit.LAB)):
        d = decide_start(PASSED, verdict, culprit, BAD, False)
        assert not d.start and d.history == PASSED and "not the code's failure" in d.why


def test_row4_pass_moves_the_last_pass():
    d = decide_start(TargetHistory(), Verdict.PASS, None, GOOD, False)
    assert not d.start and d.history == PASSED


def test_row5_fail_with_nothing_passed_before():
    d = decide_start(TargetHistory(), Verdict.FAIL, Culprit.CODE, BAD, False)
    assert not d.start and d.history.last_verdict == "FAIL" and "no earlier PASS" in d.why


def test_row6_fail_after_fail_was_bisected_then():
    failing = TargetHistory("FAIL", BAD, GOOD)
    d = decide_start(failing, Verdict.FAIL, Culprit.CODE, "c" * 40, False)
    assert not d.start and d.why.startswith("already failing here since bbbbbbbbbbbb")


def test_row7_the_same_commit_passed_before_is_flaky():
    d = decide_start(PASSED, Verdict.FAIL, Culprit.CODE, GOOD, False)
    assert not d.start and "flaky" in d.why


def test_row8_pass_then_fail_bisects_between_them():
    d = decide_start(PASSED, Verdict.FAIL, Culprit.CODE, BAD, False)
    assert d.start and (d.good, d.bad) == (GOOD, BAD)
    assert d.history == TargetHistory("FAIL", BAD, GOOD)


def test_an_error_between_pass_and_fail_still_bisects_from_the_pass():
    d = decide_start(PASSED, Verdict.ERROR, Culprit.HOST, "c" * 40, False)
    d = decide_start(d.history, Verdict.FAIL, Culprit.CODE, BAD, False)
    assert d.start and d.good == GOOD
