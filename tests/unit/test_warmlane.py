"""lab/warmlane.py: cold/warm agreement and the lane's on/off state."""
import pytest

from rustux_bootlab.lab.warmlane import WarmLane, WarmLaneError, compare


def record(verdict="PASS", culprit=None, names=("entry", "banner", "final"), line="x"):
    return {"verdict": verdict, "culprit": culprit, "last_milestone": names[-1] if names else None,
            "milestones": [{"name": n, "t": i * 0.1, "line": f"{line} {i}"} for i, n in enumerate(names)]}


def test_same_verdict_and_milestones_agree_even_with_other_values_inside():
    assert compare(record(line="cold"), record(line="warm")).agree


def test_a_missing_milestone_disagrees_and_names_where():
    agreement = compare(record(), record(verdict="FAIL", culprit="code", names=("entry", "final")))
    assert not agreement.agree
    assert "verdict PASS cold, FAIL warm" in agreement.summary()
    assert "milestones differ from #2: cold banner, final, warm final" in agreement.summary()


def test_a_warm_boot_that_got_further_disagrees():
    agreement = compare(record(names=("entry",)), record(names=("entry", "banner")))
    assert "from #2: cold (none), warm banner" in agreement.summary()


def test_a_disagreement_turns_the_lane_off_with_evidence_until_released():
    lane = WarmLane().after_check(compare(record(), record(verdict="FAIL")), ("out/cold", "out/warm"), "T1")
    assert not lane.enabled and lane.by == "lab" and lane.evidence == ("out/cold", "out/warm")
    assert "warm lane off for q35 since T1 (lab): cold and warm disagree" in lane.refusal("q35")
    assert lane.after_check(compare(record(), record()), (), "T2").enabled is False  # agreeing later is not enough
    with pytest.raises(WarmLaneError, match="--reason"):
        lane.release("ops", " ", "T3")
    released = lane.release("ops", "firmware fixed", "T3")
    assert released.enabled and released.by == "ops" and released.evidence == ()
    with pytest.raises(WarmLaneError, match="nothing to release"):
        released.release("ops", "again", "T4")


def test_lane_round_trips():
    lane = WarmLane().after_check(compare(record(), record(verdict="FAIL")), ("a", "b"), "T1")
    assert WarmLane.from_dict(lane.to_dict()) == lane
    with pytest.raises(WarmLaneError):
        WarmLane.from_dict([])
