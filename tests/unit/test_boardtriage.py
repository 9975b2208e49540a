"""One test per row of lab/boardtriage.py's rule table."""
from rustux_bootlab.lab.boardtriage import Tried, board_triage
from rustux_bootlab.lab.verdict import Culprit, Outcome, Verdict

IMAGE = Outcome(Verdict.FAIL, Culprit.CODE, "hung after heap: no user-entry within 1.5s", "heap")
PASS = Outcome(Verdict.PASS, None, "all 21 milestones reached", "poweroff")
FAIL = Outcome(Verdict.FAIL, Culprit.CODE, "hung after heap", "heap")
GOOD = {"path": "state/vb-1/last-pass", "sha256": "ab"}


def baseline(outcome: Outcome) -> Tried:
    return Tried("vb-1", GOOD, outcome, "baseline")


def sibling(outcome: Outcome) -> Tried:
    return Tried("vb-2", {"path": "build/esp", "sha256": "cd"}, outcome, "sibling")


def test_row1_the_last_good_image_failing_too_blames_the_board():
    t = board_triage("vb-1", IMAGE, baseline(FAIL), sibling(FAIL))
    assert (t.outcome.verdict, t.outcome.culprit, t.outcome.last_milestone) == (Verdict.ERROR, Culprit.BOARD, "heap")
    assert t.outcome.reason == "board vb-1 broken: the last image that passed on it also failed: FAIL (code): hung after heap"
    assert t.summary["image_outcome"] == IMAGE.to_dict()
    assert t.summary["baseline"]["board"] == "vb-1" and t.summary["sibling"]["board"] == "vb-2"


def test_row1_a_baseline_error_of_the_board_blames_the_board():
    t = board_triage("vb-1", IMAGE, baseline(Outcome(Verdict.ERROR, Culprit.BOARD, "SOL down", None)), None)
    assert (t.outcome.verdict, t.outcome.culprit) == (Verdict.ERROR, Culprit.BOARD)


def test_row2_the_last_good_image_passing_keeps_the_fail():
    t = board_triage("vb-1", IMAGE, baseline(PASS), sibling(PASS))
    assert t.outcome == IMAGE and t.summary["rule"].endswith("(FAIL/code kept)")


def test_row3_without_a_baseline_a_passing_sibling_blames_the_board():
    t = board_triage("vb-1", IMAGE, None, sibling(PASS))
    assert (t.outcome.verdict, t.outcome.culprit) == (Verdict.ERROR, Culprit.BOARD)
    assert "sibling board vb-2" in t.outcome.reason


def test_row4_failing_on_a_sibling_too_keeps_the_fail():
    t = board_triage("vb-1", IMAGE, baseline(Outcome(Verdict.ERROR, Culprit.LAB, "image not bootable", None)), sibling(FAIL))
    assert t.outcome == IMAGE and "vb-2 too" in t.summary["rule"]


def test_row5_nothing_conclusive_keeps_the_fail():
    t = board_triage("vb-1", IMAGE, None, sibling(Outcome(Verdict.MISS, Culprit.LAB, "held", None)))
    assert t.outcome == IMAGE and t.summary["rule"].startswith("no conclusive")
    assert board_triage("vb-1", IMAGE, None, None).outcome == IMAGE
