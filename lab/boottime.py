"""Boot-time regressions: a new PASS's step times against the target's last passing boots.

A *step* is the time from one milestone to the next, named after the milestone that ends it
("heap" = from pmm to heap). The first milestone's gap (QEMU start to kernel entry) is the
firmware's time, not the kernel's, and is left out. Two clocks:
- the lab's: when the lab read each milestone line. On a loaded host the reader can be late
  by seconds now and then (bench/boot_time.py measures it), so these steps have heavy tails.
- the kernel's own (TSC) time, where a milestone's line carries it: a regex group `ms` or
  `us` in the spec is the kernel's time since entry (rustux: `user-clock`, `final`). Steps on
  this clock (`kernel:<milestone>`, from the previous such milestone, the first from entry)
  are immune to the reader's delays; they are compared the same way.

The kernel's clock is the one judged when the spec gives it (the lab's steps are then only
recorded); a spec without kernel times is judged on the lab's clock (`judge_pass`).

Only passes of the same profile compare (accel, machine, memory, firmware: a KVM boot's steps
take a tenth of a TCG boot's); the caller selects them. The test is Firecracker's A/B rule: a
one-sided permutation test on the difference of means (A = the last K passes, B = the new
boot or boots), flagged when p < ALPHA and the mean grew by more than MIN_CHANGE.

Rules per step, first match wins (one test each in tests/unit/test_boottime.py):

 #  condition                                                     result
 1  the new boots or the history lack the step                   not compared
 2  the permutation test cannot reach p < ALPHA with this        not compared ("not enough history:
    much history (1 new boot needs K >= 100)                      n passes, a flag needs 100")
 3  the mean grew by MIN_CHANGE or less                          steady
 4  it grew by less than MIN_DELTA_S                             steady (below the lab clock's grain)
 5  p >= ALPHA                                                   steady (within the noise)
 6  otherwise                                                    regression "heap: 12 → 19 ms (+58%, p=0.003)"

Why MIN_DELTA_S: the lab reads a TCG guest's console in batches, so millisecond steps jump
between 0 and ~25 ms on a loaded host (bench/boot_time.py measures it); a step that went from
1 to 2 ms is not a regression anyone can act on. With one new boot the permutation test is a
rank test: p = (1 + the passes at least as slow) / (K + 1), so K = HISTORY = 100 passes let a
boot slower than all of them reach p = 0.0099.
"""
from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from math import comb

from rustux_bootlab.lab.deadlines import PassingBoot

ALPHA = 0.01
MIN_CHANGE = 0.20
MIN_DELTA_S = 0.025
HISTORY = 100  # the last K passes a new boot is compared with
EXACT_LIMIT = 20_000  # splits enumerated exactly; beyond, RESAMPLES random ones
RESAMPLES = 10_000

Milestones = Sequence[tuple[str, float]]  # (name, seconds since QEMU start), in order


KERNEL_TIME_GROUPS = {"ms": 1_000, "us": 1_000_000}  # units per second
KERNEL_STEP = "kernel:"


def kernel_clock(regexes: dict[str, re.Pattern[str]], lines: Sequence[tuple[str, str]]) -> list[tuple[str, float]]:
    """The milestones whose line carries the kernel's own time since entry, on that clock,
    as `kernel:<name>`, after the first milestone (kernel entry) at 0. `lines`: (name, line)."""
    if not lines:
        return []
    out = [(KERNEL_STEP + lines[0][0], 0.0)]
    for name, line in lines[1:]:
        match = regexes[name].search(line) if name in regexes else None
        groups = match.groupdict() if match else {}
        for group, per_s in KERNEL_TIME_GROUPS.items():
            if (groups.get(group) or "").isdigit():
                out.append((KERNEL_STEP + name, int(groups[group]) / per_s))
                break
    return out


def step_times(milestones: Milestones) -> dict[str, float]:
    """Each step's seconds, by the milestone that ends it (the firmware's gap left out)."""
    return {name: max(t - prev_t, 0.0) for (_, prev_t), (name, t) in zip(milestones, milestones[1:])}


def permutation_p(history: Sequence[float], new: Sequence[float], seed: int = 0) -> float:
    """One-sided p that mean(new) - mean(history) is this large by chance (exact when small)."""
    pool = [*history, *new]
    n, b = len(pool), len(new)
    total = sum(pool)
    observed = sum(new) / b - (total - sum(new)) / (n - b)
    eps = 1e-12 * max(1.0, abs(observed))

    def stat(b_sum: float) -> float:
        return b_sum / b - (total - b_sum) / (n - b)

    if comb(n, b) <= EXACT_LIMIT:
        splits = [sum(pool[i] for i in idx) for idx in combinations(range(n), b)]
        return sum(1 for s in splits if stat(s) >= observed - eps) / len(splits)
    rng = random.Random(seed)
    hits = sum(1 for _ in range(RESAMPLES) if stat(sum(rng.sample(pool, b))) >= observed - eps)
    return (1 + hits) / (1 + RESAMPLES)


def smallest_p(history_n: int, new_n: int) -> float:
    return 1 / comb(history_n + new_n, new_n)


@dataclass(frozen=True)
class StepChange:
    step: str
    history_s: float | None  # mean of the history
    new_s: float | None  # mean of the new boots
    history_n: int
    p: float | None
    regression: bool
    why: str

    @property
    def change(self) -> float | None:
        if not self.history_s or self.new_s is None:
            return None
        return self.new_s / self.history_s - 1

    def summary(self) -> str:
        """`heap: 12 → 19 ms (+58%, p=0.003)`."""
        assert self.history_s is not None and self.new_s is not None
        change = f"{self.change:+.0%}" if self.change is not None else "new"
        p = f", p={self.p:.3f}" if self.p is not None else ""
        return f"{self.step}: {_ms(self.history_s)} → {_ms(self.new_s)} ms ({change}{p})"

    def to_dict(self) -> dict[str, object]:
        return {
            "step": self.step,
            "history_ms": None if self.history_s is None else round(self.history_s * 1000, 1),
            "new_ms": None if self.new_s is None else round(self.new_s * 1000, 1),
            "history_n": self.history_n,
            "p": None if self.p is None else round(self.p, 4),
            "regression": self.regression,
            "why": self.why,
        }


def compare_step(step: str, history: Sequence[float], new: Sequence[float]) -> StepChange:
    """Rows 1-6 for one step."""
    if not new:
        return StepChange(step, None, None, len(history), None, False, "not compared: the new boot lacks the step")
    if not history:
        return StepChange(step, None, None, 0, None, False, "not compared: no earlier pass has the step")
    h, b = sum(history) / len(history), sum(new) / len(new)

    def out(p: float | None, regression: bool, why: str) -> StepChange:
        return StepChange(step, h, b, len(history), p, regression, why)

    if smallest_p(len(history), len(new)) >= ALPHA:
        need = next(k for k in range(1, 10_000) if smallest_p(k, len(new)) < ALPHA)
        return out(None, False, f"not compared: not enough history ({len(history)} passes, a flag needs {need})")
    if b <= h * (1 + MIN_CHANGE):
        return out(None, False, f"steady: within +{MIN_CHANGE:.0%}")
    if b - h < MIN_DELTA_S:
        return out(None, False, f"steady: +{_ms(b - h)} ms is below the lab clock's grain ({_ms(MIN_DELTA_S)} ms)")
    p = permutation_p(history, new)
    if p >= ALPHA:
        return out(p, False, f"steady: p={p:.3f} is within the noise")
    return out(p, True, "regression")


def compare(history: Sequence[Milestones], new: Sequence[Milestones]) -> list[StepChange]:
    """Every step of the new boots against the last HISTORY passes, in the new boots' order."""
    recent = [step_times(m) for m in history[-HISTORY:]]
    fresh = [step_times(m) for m in new]
    names = list(fresh[0]) if fresh else []
    return [compare_step(name, [r[name] for r in recent if name in r], [f[name] for f in fresh if name in f])
            for name in names]


def regressions(changes: Sequence[StepChange]) -> list[StepChange]:
    return [c for c in changes if c.regression]


def _ms(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:.0f}" if ms >= 10 else f"{ms:.1f}"


def judge_pass(history: Sequence[PassingBoot], new: PassingBoot) -> dict[str, object]:
    """A new PASS against the last HISTORY passes of its profile: result.json's `boot_time`."""
    on_kernel = bool(new.kernel)
    clock = "kernel" if on_kernel else "lab"
    past = [p.kernel if on_kernel else p.milestones for p in history if (p.kernel if on_kernel else p.milestones)]
    changes = compare(past, [new.kernel if on_kernel else new.milestones])
    return {
        "clock": clock,
        "history": min(len(past), HISTORY),
        "regressions": [c.summary() for c in regressions(changes)],
        "steps": [c.to_dict() for c in changes],
    }
