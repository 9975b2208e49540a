"""harness/soakstats.py: the soak's per-boot overhead from step timestamps, and its summary."""
import pytest

from rustux_bootlab.harness.soakstats import boot_timing, summarize

TRIGGER = {"name": "boot", "started_at": 100, "complete_at": 160}


def child(started, boot_start, boot_end, complete, results=0):
    steps = [{"name": "stage", "started_at": started, "complete_at": boot_start},
             {"name": "boot", "started_at": boot_start, "complete_at": boot_end},
             {"name": "keep-golden", "started_at": boot_end, "complete_at": complete}]
    return {"complete_at": complete, "results": results}, steps


def test_trigger_to_boot_start_and_boot_end_to_verdict():
    build, steps = child(101, 103, 110, 111)
    t = boot_timing(TRIGGER, build, steps, {"verdict": "PASS"}, "boot/pc-bios-1", "qemu-2")
    assert (t.to_start_s, t.to_verdict_s, t.boot_s, t.worker) == (3.0, 1.0, 7.0, "qemu-2")


def test_a_child_lost_before_its_boot_step_is_left_out():
    build, steps = child(101, 103, 110, 111)
    steps[1]["complete_at"] = None
    assert boot_timing(TRIGGER, build, steps, {}, "boot/x", "qemu-1") is None


def test_summary_counts_lab_errors_and_retries_and_spreads_per_host():
    timings = []
    for i, (verdict, culprit, results) in enumerate([("PASS", None, 0)] * 8 + [("ERROR", "lab", 5), ("FAIL", "code", 2)]):
        build, steps = child(101, 102 + i, 110 + i, 111 + i, results)
        timings.append(boot_timing(TRIGGER, build, steps, {"verdict": verdict, "culprit": culprit},
                                   "boot/t", f"qemu-{i % 2 + 1}"))
    s = summarize(timings, wall_s=120)
    assert (s.boots, s.boots_per_min, s.lab_errors, s.not_pass) == (10, 5.0, 1, 2)
    assert s.per_worker == {"qemu-1": 5, "qemu-2": 5}
    assert s.verdicts == {"ERROR/lab": 1, "FAIL/code": 1, "PASS": 8}
    assert s.to_start_median_s == 6.5 and s.to_start_p90_s == 10.0 and s.to_verdict_median_s == 1.0
    with pytest.raises(ValueError, match="no boot reached"):
        summarize([], 1)
