"""One test per row of lab.boottime's rule table, plus the permutation test itself."""
import random

from rustux_bootlab.lab.deadlines import PassingBoot

from rustux_bootlab.lab.boottime import (
    ALPHA,
    HISTORY,
    compare,
    compare_step,
    judge_pass,
    kernel_clock,
    permutation_p,
    regressions,
    step_times,
)


def noisy(n, mean, spread, seed=1):
    rng = random.Random(seed)
    return [mean + rng.uniform(-spread, spread) for _ in range(n)]


def boot(heap_s, entry_s=10.0):
    """A boot's milestones: entry after the firmware, pmm 5 ms later, heap after heap_s."""
    return [("entry", entry_s), ("pmm", entry_s + 0.005), ("heap", entry_s + 0.005 + heap_s)]


def test_step_times_leave_the_firmware_out():
    times = step_times(boot(0.2))
    assert list(times) == ["pmm", "heap"]
    assert abs(times["heap"] - 0.2) < 1e-9


def test_permutation_p_is_the_rank_for_one_new_boot():
    history = [float(i) for i in range(100)]
    assert permutation_p(history, [1000.0]) == 1 / 101
    assert permutation_p(history, [49.5]) == 51 / 101  # 50 history values are at least as slow


def test_permutation_p_exact_for_two_samples_and_sampled_when_large():
    assert permutation_p([1.0, 2.0, 3.0], [10.0, 11.0]) == 1 / 10  # C(5, 2) splits
    p = permutation_p(noisy(200, 1.0, 0.1), noisy(20, 1.0, 0.1, seed=2))
    assert 0.05 < p < 1.0  # same distribution: no evidence


def test_row1_missing_step_is_not_compared():
    c = compare_step("heap", [], [0.2])
    assert not c.regression and c.why == "not compared: no earlier pass has the step"
    assert compare_step("heap", [0.2], []).why == "not compared: the new boot lacks the step"


def test_row2_too_little_history_cannot_flag_even_a_huge_change():
    c = compare_step("heap", noisy(HISTORY - 1, 0.2, 0.01), [2.0])
    assert not c.regression
    assert c.why == f"not compared: not enough history ({HISTORY - 1} passes, a flag needs 100)"


def test_row3_change_within_twenty_percent_is_steady():
    c = compare_step("heap", noisy(HISTORY, 0.2, 0.001), [0.235])  # +17%, slower than every pass
    assert not c.regression and c.why == "steady: within +20%"


def test_row4_change_below_the_lab_clock_grain_is_steady():
    c = compare_step("pmm", noisy(HISTORY, 0.002, 0.001), [0.02])  # +900%, but 18 ms
    assert not c.regression and "below the lab clock's grain" in c.why


def test_row5_large_change_within_the_noise_is_steady():
    history = noisy(HISTORY, 0.2, 0.15)  # 50-350 ms
    c = compare_step("heap", history, [0.3])
    assert not c.regression and c.p is not None and c.p >= ALPHA
    assert c.why.startswith("steady: p=")


def test_row6_regression_with_summary():
    history = noisy(HISTORY, 0.012, 0.0005)
    c = compare_step("heap", history, [0.044])  # slower than every pass, by 32 ms
    assert c.regression and c.p is not None and c.p < ALPHA
    assert c.summary().startswith("heap: 12 → 44 ms (+")
    assert c.summary().endswith(", p=0.010)")


def test_summary_reads_like_the_issue():
    c = compare_step("heap", noisy(HISTORY, 0.012, 0.0005), [0.040])
    assert c.summary() == f"heap: 12 → 40 ms (+{c.change:.0%}, p=0.010)"


def test_compare_flags_only_the_slowed_step_of_a_boot():
    history = [boot(h) for h in noisy(HISTORY, 0.2, 0.01)]
    changes = compare(history, [boot(0.27)])
    assert [c.step for c in changes] == ["pmm", "heap"]
    assert [c.step for c in regressions(changes)] == ["heap"]
    assert regressions(compare(history, [boot(0.205)])) == []


def test_compare_uses_only_the_last_history_passes():
    old = [boot(0.5) for _ in range(50)]  # a slow era, before a fix
    recent = [boot(h) for h in noisy(HISTORY, 0.2, 0.01)]
    assert [c.step for c in regressions(compare(old + recent, [boot(0.27)]))] == ["heap"]


def test_kernel_clock_reads_the_kernels_own_times_from_the_spec_groups(rustux_spec):
    regexes = {m.name: m.regex for m in rustux_spec.milestones}
    lines = [("entry", "!"), ("heap", "[rustux] heap: 64 KiB at 0x1000, self-test passed"),
             ("user-clock", "[hello] clock_gettime: 41250 us since kernel entry"),
             ("final", "[rustux] boot complete: 57 ms from entry to final milestone")]
    clock = kernel_clock(regexes, lines)
    assert clock == [("kernel:entry", 0.0), ("kernel:user-clock", 41250e-6), ("kernel:final", 57e-3)]
    steps = step_times(clock)
    assert list(steps) == ["kernel:user-clock", "kernel:final"]
    assert abs(steps["kernel:final"] - (0.057 - 0.04125)) < 1e-9


def test_a_pass_is_judged_on_the_kernels_clock_when_it_has_one():
    lab_noise = noisy(HISTORY, 0.2, 0.15, seed=3)  # the lab's clock: the reader's delays
    history = [PassingBoot("tcg", tuple(boot(h)), (("kernel:entry", 0.0), ("kernel:final", k)))
               for h, k in zip(lab_noise, noisy(HISTORY, 0.25, 0.01))]
    slow = judge_pass(history, PassingBoot("tcg", tuple(boot(0.2)), (("kernel:entry", 0.0), ("kernel:final", 0.33))))
    assert slow["clock"] == "kernel" and slow["history"] == HISTORY
    assert len(slow["regressions"]) == 1 and slow["regressions"][0].startswith("kernel:final: 250 → 330 ms (+32%")
    lab_only = judge_pass([PassingBoot("tcg", tuple(boot(h))) for h in lab_noise], PassingBoot("tcg", tuple(boot(0.2))))
    assert lab_only["clock"] == "lab" and lab_only["regressions"] == []
