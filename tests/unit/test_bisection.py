"""One test per row of lab.bisection's rule tables."""
from rustux_bootlab.lab.bisection import (
    EXIT_CULPRIT,
    EXIT_LAB_FAILED,
    EXIT_NO_CULPRIT,
    Bisection,
    Commit,
    Decision,
    Phase,
    Step,
    check_end,
    confirmation,
    lab_failing,
    lost_milestone,
    search_ended,
)
from rustux_bootlab.lab.verdict import Culprit, Outcome, Verdict

A = Commit("a" * 40, "base", "Ann <ann@example.org>")
B = Commit("b" * 40, "turn on the bad path", "Bob <bob@example.org>")
PASS = Outcome(Verdict.PASS, None, "all 3 milestones reached", "c")
FAIL = Outcome(Verdict.FAIL, Culprit.CODE, "machine reset/exited after b", "b")
ERROR = Outcome(Verdict.ERROR, Culprit.FIRMWARE, "OVMF_CODE.fd is zero-filled", None)
MISS = Outcome(Verdict.MISS, Culprit.LAB, "target q35 is disabled in the inventory", None)


def step(outcome, phase=Phase.SEARCH, commit=B, attempt=1, build_error=None, milestones=()):
    return Step(phase, commit, attempt, build_error, outcome, milestones)


def test_row1_no_build_is_skipped_and_said_so():
    s = step(None, build_error="error[E0425]: cannot find value `x`")
    assert s.decision is Decision.SKIP
    assert s.why == "does not build: error[E0425]: cannot find value `x`"
    assert not s.lab_fault


def test_row2_pass_is_good():
    assert step(PASS).decision is Decision.GOOD


def test_row3_fail_is_bad():
    s = step(FAIL)
    assert s.decision is Decision.BAD
    assert s.why == "FAIL (code): machine reset/exited after b"


def test_row4_error_is_retried_once():
    assert step(ERROR).decision is Decision.RETRY


def test_row5_error_after_retry_is_skipped_as_a_lab_fault():
    s = step(ERROR, attempt=2)
    assert s.decision is Decision.SKIP and s.lab_fault
    assert s.why == "lab fault: ERROR (firmware): OVMF_CODE.fd is zero-filled"


def test_row6_miss_is_skipped():
    s = step(MISS)
    assert s.decision is Decision.SKIP and s.lab_fault
    assert s.why.startswith("not booted: MISS (lab): target q35 is disabled")


def test_row7_bad_end_passes():
    code, why = check_end(step(PASS, Phase.CHECK_BAD), "bad")
    assert code == EXIT_NO_CULPRIT
    assert "the bad end bbbbbbbbbbbb passes on this target: nothing to bisect" in why


def test_row8_bad_end_lab_fault_is_no_culprit_and_the_lab_failed():
    code, why = check_end(step(ERROR, Phase.CHECK_BAD, attempt=2), "bad")
    assert code == EXIT_LAB_FAILED
    assert "the bad end bbbbbbbbbbbb's boot was a lab fault, not the code's" in why
    assert "zero-filled" in why
    assert check_end(step(MISS, Phase.CHECK_BAD), "bad")[0] == EXIT_LAB_FAILED


def test_row9_bad_end_does_not_build():
    code, why = check_end(step(None, Phase.CHECK_BAD, build_error="linker failed"), "bad")
    assert code == EXIT_NO_CULPRIT and why.endswith("does not build: linker failed")


def test_row10_good_end_fails_too():
    code, why = check_end(step(FAIL, Phase.CHECK_GOOD, commit=A), "good")
    assert code == EXIT_NO_CULPRIT
    assert "not a regression in this range" in why


def test_row11_good_end_lab_fault():
    assert check_end(step(ERROR, Phase.CHECK_GOOD, commit=A, attempt=2), "good")[0] == EXIT_LAB_FAILED


def test_row12_good_end_does_not_build():
    assert check_end(step(None, Phase.CHECK_GOOD, commit=A, build_error="x"), "good")[0] == EXIT_NO_CULPRIT


def test_ends_that_behave_pass_the_checks():
    assert check_end(step(FAIL, Phase.CHECK_BAD), "bad") is None
    assert check_end(step(PASS, Phase.CHECK_GOOD, commit=A), "good") is None


def test_row13_three_lab_faults_in_a_row_stop_the_search():
    faults = [step(ERROR, attempt=1), step(ERROR, attempt=2), step(MISS), step(ERROR, attempt=2)]
    code, why = lab_failing(faults)
    assert code == EXIT_LAB_FAILED and why.startswith("no culprit: the lab is failing: 3 commits in a row")
    assert lab_failing([step(ERROR, attempt=2), step(PASS), step(MISS), step(ERROR, attempt=2)]) is None
    assert lab_failing([step(None, build_error="x")] * 3) is None  # commits that do not build are not the lab's


def test_row14_search_between_commits_skipped_for_lab_faults_is_the_lab_failing():
    steps = [step(ERROR, commit=A, attempt=2)]
    code, why = search_ended([A, B], steps)
    assert code == EXIT_LAB_FAILED and "one of aaaaaaaaaaaa, bbbbbbbbbbbb" in why
    code, _ = search_ended([A, B], [step(None, commit=A, build_error="x")])
    assert code == EXIT_NO_CULPRIT


def test_row15_culprit_passes_on_confirmation():
    code, why = confirmation(step(PASS, Phase.CONFIRM_CULPRIT), step(PASS, Phase.CONFIRM_PARENT, commit=A))
    assert code == EXIT_NO_CULPRIT and "did not fail again" in why
    assert confirmation(step(ERROR, Phase.CONFIRM_CULPRIT, attempt=2), None)[0] == EXIT_LAB_FAILED


def test_row16_parent_fails_on_confirmation():
    code, why = confirmation(step(FAIL, Phase.CONFIRM_CULPRIT), step(FAIL, Phase.CONFIRM_PARENT, commit=A))
    assert code == EXIT_NO_CULPRIT and "parent aaaaaaaaaaaa did not pass again" in why


def test_row17_confirmed():
    code, why = confirmation(step(FAIL, Phase.CONFIRM_CULPRIT), step(PASS, Phase.CONFIRM_PARENT, commit=A))
    assert code == EXIT_CULPRIT and "confirmed" in why


def test_lost_milestone_is_the_first_the_good_boot_reached_and_the_bad_did_not():
    bad = step(FAIL, milestones=("a", "b"))
    good = step(PASS, commit=A, milestones=("a", "b", "c", "d"))
    assert lost_milestone(bad, good) == "c"
    assert lost_milestone(good, good) is None


def test_json_shape_names_culprit_and_every_step():
    b = Bisection(A, B, "q35-pflash", [step(FAIL, Phase.CHECK_BAD), step(None, commit=A, build_error="x")])
    b.culprit, b.lost = B, "c"
    d = b.end(EXIT_CULPRIT, "culprit confirmed").to_dict()
    assert d["culprit"] == {"commit": B.sha, "subject": B.subject, "author": B.author, "lost_milestone": "c"}
    assert [s["decision"] for s in d["steps"]] == ["bad", "skip"]
    assert d["boots"] == 1  # the build that failed booted nothing
