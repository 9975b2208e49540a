import pytest

from rustux_bootlab.lab.verdict import EXIT_USAGE, Culprit, Outcome, Verdict, worst


def test_exit_codes_follow_design():
    assert [v.exit_code for v in Verdict] == [0, 1, 3, 4]
    assert EXIT_USAGE == 2


def test_summary_reads_like_a_sentence():
    o = Outcome(Verdict.FAIL, Culprit.CODE, "page fault at 0x401000 after user-entry", "user-entry")
    assert o.summary() == "FAIL (code): page fault at 0x401000 after user-entry"
    assert o.exit_code == 1
    assert Outcome(Verdict.PASS, None, "all 7 milestones", "done").summary() == "PASS: all 7 milestones"
    assert o.to_dict() == {
        "verdict": "FAIL",
        "culprit": "code",
        "reason": "page fault at 0x401000 after user-entry",
        "last_milestone": "user-entry",
    }


def test_fail_can_only_blame_code():
    with pytest.raises(ValueError):
        Outcome(Verdict.FAIL, Culprit.HOST, "x", None)
    with pytest.raises(ValueError):
        Outcome(Verdict.PASS, Culprit.CODE, "x", None)


def test_enums_serialise_as_strings():
    assert Verdict("ERROR") is Verdict.ERROR
    assert Culprit("firmware") is Culprit.FIRMWARE


def test_worst_of_several_boots_is_a_fail_anywhere_then_error_then_miss():
    assert worst([Verdict.PASS, Verdict.ERROR, Verdict.FAIL, Verdict.MISS]) is Verdict.FAIL
    assert worst([Verdict.PASS, Verdict.MISS, Verdict.ERROR]) is Verdict.ERROR
    assert worst([Verdict.PASS, Verdict.MISS]) is Verdict.MISS
    assert worst([Verdict.PASS]) is Verdict.PASS
    assert worst([]) is None
