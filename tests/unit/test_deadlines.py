"""One test per row of lab.deadlines' rule table, plus the matcher deciding by a learned deadline."""
import pytest

from rustux_bootlab.lab.deadlines import FACTOR, FLOOR_S, LEARNED, MIN_HISTORY, SPEC, Deadline, PassingBoot, learn_deadlines, profile_key
from rustux_bootlab.lab.judge import BootFacts, judge
from rustux_bootlab.lab.milestones import BootMatcher
from rustux_bootlab.lab.verdict import Culprit, Verdict

from captures import replay

PROFILE = profile_key("tcg", "q35", 256, ["c0de", "0a25"])


MINI = ("entry", "memory-map", "exit-boot-services", "heap-ok", "user-entry", "user-hello", "done")


def boot(entry=6.0, gap=0.01, names=MINI, **gaps):
    """A passing boot: `entry` seconds after QEMU start, then `gap` between milestones
    unless `gaps` names another (`heap_ok=0.7`: exit-boot-services -> heap-ok took 0.7 s)."""
    t, out = entry, [(names[0], entry)]
    for name in names[1:]:
        t += gaps.get(name.replace("-", "_"), gap)
        out.append((name, round(t, 4)))
    return PassingBoot(PROFILE, tuple(out))


def by_name(deadlines):
    return {d.milestone: d for d in deadlines}


def test_row1_not_enough_history_falls_back_to_the_spec(mini_spec):
    history = [boot()] * (MIN_HISTORY - 1)
    d = by_name(learn_deadlines(mini_spec, history))["heap-ok"]
    assert d.source == SPEC and d.seconds == mini_spec.milestones[1].timeout
    assert d.why == f"spec timeout: not enough history ({MIN_HISTORY - 1} of {MIN_HISTORY} passing boots)"
    assert d.expected_s is None


def test_row1_a_gap_only_counts_between_the_same_two_milestones(mini_spec):
    # Boots of an older spec without heap-ok: their entry -> user-entry gap says nothing
    # about heap-ok -> user-entry.
    old = [boot(names=("entry", "memory-map", "exit-boot-services", "user-entry", "user-hello", "done"))] * MIN_HISTORY
    d = by_name(learn_deadlines(mini_spec, old))
    assert d["heap-ok"].source == SPEC and d["user-entry"].source == SPEC
    assert d["user-hello"].source == LEARNED  # user-entry -> user-hello was seen three times


def test_row2_floor_for_millisecond_gaps(mini_spec):
    history = [boot(6.0, heap_ok=0.002), boot(7.0, heap_ok=0.003), boot(6.5, heap_ok=0.001)]
    d = by_name(learn_deadlines(mini_spec, history))["heap-ok"]
    assert d.source == LEARNED and d.seconds == FLOOR_S
    assert d.expected_s == pytest.approx(0.002)
    assert d.history == 3 and d.why == "learned from 3 passing boots: largest gap 0.003s"


def test_row2_factor_for_long_gaps(mini_spec):
    # entry's gap is the firmware's time from QEMU start: 3 x the largest (7 s).
    history = [boot(6.0, heap_ok=0.7), boot(7.0, heap_ok=0.2), boot(5.0, heap_ok=0.1)]
    d = by_name(learn_deadlines(mini_spec, history))
    assert d["entry"].seconds == pytest.approx(FACTOR * 7.0)
    assert d["heap-ok"].seconds == pytest.approx(FACTOR * 0.7)
    assert d["entry"].source == d["heap-ok"].source == LEARNED


def test_row2_never_shorter_than_the_largest_gap_plus_a_second(mini_spec):
    # One slow boot among fast ones: the deadline covers it, not a typical gap.
    history = [boot()] * 5 + [boot(heap_ok=0.6)]
    d = by_name(learn_deadlines(mini_spec, history))["heap-ok"]
    assert d.seconds == pytest.approx(FACTOR * 0.6)
    assert d.expected_s == pytest.approx(0.01)


@pytest.mark.parametrize("gap", [0.0, 0.1, 0.25, 0.4, 2.0])
def test_row2_every_learned_deadline_exceeds_the_largest_gap_by_a_second(mini_spec, gap):
    d = by_name(learn_deadlines(mini_spec, [boot(heap_ok=gap)] * MIN_HISTORY))["heap-ok"]
    assert d.seconds >= gap + 1.0


def test_row3_spec_timeout_is_the_ceiling(mini_spec):
    spec_entry = mini_spec.milestones[0].timeout
    slow = spec_entry / 2  # FACTOR * slow > the spec's timeout
    history = [boot(slow)] * MIN_HISTORY
    d = by_name(learn_deadlines(mini_spec, history))["entry"]
    assert d.source == SPEC and d.seconds == spec_entry
    assert d.why == f"spec timeout: the learned {FACTOR * slow:.2f}s would exceed it"


def test_row4_learned(mini_spec):
    history = [boot()] * MIN_HISTORY
    deadlines = learn_deadlines(mini_spec, history)
    assert [d.milestone for d in deadlines] == [m.name for m in mini_spec.milestones]
    assert all(d.source == LEARNED for d in deadlines)
    assert [d.after for d in deadlines] == [None, *MINI[:-1]]


def test_only_the_most_recent_boots_count(mini_spec):
    old_slow = [boot(heap_ok=3.0)] * 30
    recent = [boot()] * 20
    d = by_name(learn_deadlines(mini_spec, old_slow + recent))["heap-ok"]
    assert d.seconds == FLOOR_S


def test_passing_boot_round_trip_and_bad_entries():
    b = boot()
    assert PassingBoot.from_dict(b.to_dict()) == b
    for bad in ({}, {"profile": 1, "milestones": []}, {"profile": "p", "milestones": [["a"]]},
                {"profile": "p", "milestones": [["a", "soon"]]}):
        with pytest.raises(ValueError, match="not a passing-boot entry"):
            PassingBoot.from_dict(bad)


def test_matcher_decides_a_hang_by_the_learned_deadline(rustux_spec):
    # Real gaps of the kernel-pass capture's spec, a hang after heap (real capture).
    names = [m.name for m in rustux_spec.milestones]
    history = [PassingBoot(PROFILE, tuple((n, 6.0 + 0.002 * i) for i, n in enumerate(names)))] * MIN_HISTORY
    deadlines = learn_deadlines(rustux_spec, history)
    m = replay(rustux_spec, "kernel-hang-after-heap")
    m.deadlines = deadlines
    heap_t = m.hits[-1].t
    m.poll(heap_t + FLOOR_S - 0.01)
    assert m.decided is None
    m.poll(heap_t + FLOOR_S + 0.01)
    o = judge(m, BootFacts())
    assert (o.verdict, o.culprit) == (Verdict.FAIL, Culprit.CODE)
    assert o.reason == ("hung after heap: no exit-boot-services within 1.50s "
                        "(learned from 3 passing boots: largest gap 0.002s; the spec allows 15s)")
    assert m.timeout.deadline.source == LEARNED and m.timeout.timeout == FLOOR_S


def test_matcher_refuses_deadlines_of_another_spec(mini_spec):
    with pytest.raises(ValueError, match="do not match the spec's milestones"):
        BootMatcher(mini_spec, deadlines=[Deadline("entry", None, 1.0, SPEC, "spec")])
