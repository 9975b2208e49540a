"""The nemesis' schedule (harness/chaos/schedule.py): a seed gives one schedule, always."""
import pytest

from rustux_bootlab.harness.chaos.schedule import HOLD_S, INTERVAL_S, Victims, plan

VICTIMS = Victims(("worker:qemu-1", "master:engine", "crossbar", "dnsmasq", "bmc:vboard-1"), ("qemu-1", "boards"), ("qemu-2",))


def test_the_same_seed_replays_the_same_schedule():
    assert plan(42, VICTIMS, 7200) == plan(42, VICTIMS, 7200)
    assert plan(42, VICTIMS, 7200) != plan(43, VICTIMS, 7200)


def test_one_fault_every_30_to_120_s_after_the_previous_one_healed():
    faults = plan(1, VICTIMS, 20000)
    gaps = [b.at_s - (a.at_s + a.hold_s) for a, b in zip(faults, faults[1:])]
    assert INTERVAL_S[0] - 0.1 <= min(gaps) and max(gaps) <= INTERVAL_S[1] + 0.1
    for f in faults:
        low, high = HOLD_S[f.kind]
        assert low - 0.1 <= f.hold_s <= high + 0.1, f


def test_every_fault_of_the_menu_comes_up_in_a_long_run():
    faults = plan(3, VICTIMS, 200000)
    assert {f.kind for f in faults} == set(HOLD_S)
    assert {f.victim for f in faults if f.kind == "kill"} == set(VICTIMS.processes)
    assert {f.victim for f in faults if f.kind == "disk-full"} == {"qemu-2"}


def test_scale_shrinks_intervals_and_holds_for_the_short_form():
    short = plan(5, VICTIMS, 600, scale=0.1)
    assert len(short) > len(plan(5, VICTIMS, 600)) and all(f.hold_s <= 12.1 for f in short)
    with pytest.raises(ValueError, match="scale"):
        plan(5, VICTIMS, 600, scale=0)
