"""Learned milestone deadlines: how long a boot may wait for its next milestone, learned
from the target's own recent passing boots, so a hang is judged in seconds, not after the
spec's generous timeout.

A passing boot contributes its gaps: the time from each milestone to the next (the first
milestone's gap counts from QEMU start, i.e. the firmware's time). Only passing boots of
the same *profile* (accel, machine, memory, firmware image) count: a KVM boot's firmware
takes a tenth of a TCG boot's. The worker keeps them (`workers/passes.py`).

Rules for the deadline of milestone M after milestone P, first match wins (one test each in
tests/unit/test_deadlines.py):

 #  condition                                              deadline (source)
 1  fewer than MIN_HISTORY passing boots saw P then M      M's spec timeout (spec: "not enough history")
    (for the first milestone: saw M)
 2  otherwise, g = the largest P->M gap those boots saw:   learned = max(FLOOR_S, FACTOR * g)
 3  learned >= M's spec timeout                            the spec timeout (spec: the ceiling; learned value said)
 4  otherwise                                              learned (learned)

Why these numbers: a loaded host slows a TCG guest as a whole: in the soak of
bench/deadlines.py (two boots at once and a busy loop per core, on a host already shared)
OVMF took 18 s to `entry` where a quieter host's history said 8.6 s. FACTOR leaves room for
a host twice as loaded again; FLOOR covers host hiccups on the millisecond gaps between
kernel milestones (the soak's largest was 0.18 s). Together they keep every deadline at
least 1 s longer than the largest gap seen (FACTOR * g >= g + 1 s from g = 0.25 s, and
FLOOR_S below that), which also covers a gap that is a fixed wait rather than work. The largest gap, not a typical
one, is scaled: a deadline is never shorter than what was ever seen plus margin.
`expected_s` (the median gap) is when the milestone was *due*, for the record and the bench.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rustux_bootlab.lab.spec import MilestoneSpec

MIN_HISTORY = 3  # passing boots needed before a deadline is learned
HISTORY = 20  # the most recent passing boots kept per target and profile
FACTOR = 5.0
FLOOR_S = 1.5
LEARNED = "learned"
SPEC = "spec"
SKIPPED = "skipped"  # lab.matcher: a later milestone came first, the expected one gets a grace


@dataclass(frozen=True)
class PassingBoot:
    """One passing boot's milestones as (name, seconds since QEMU start), in order."""

    profile: str
    milestones: tuple[tuple[str, float], ...]
    # the kernel's own clock where its lines carry it (lab.boottime.kernel_clock), for boot-time regressions
    kernel: tuple[tuple[str, float], ...] = ()

    def gaps(self) -> dict[tuple[str | None, str], float]:
        """(previous milestone or None for QEMU start, milestone) -> seconds between them."""
        out: dict[tuple[str | None, str], float] = {}
        prev: str | None = None
        prev_t = 0.0
        for name, t in self.milestones:
            out[(prev, name)] = max(t - prev_t, 0.0)
            prev, prev_t = name, t
        return out

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"profile": self.profile, "milestones": [[n, round(t, 4)] for n, t in self.milestones]}
        if self.kernel:
            out["kernel"] = [[n, round(t, 6)] for n, t in self.kernel]
        return out

    @classmethod
    def from_dict(cls, data: dict) -> PassingBoot:
        """Raises `ValueError` for anything but the shape `to_dict` writes."""
        try:
            profile = data["profile"]
            milestones = tuple((str(n), float(t)) for n, t in data["milestones"])
            kernel = tuple((str(n), float(t)) for n, t in data.get("kernel", ()))
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"not a passing-boot entry ({e!r})") from None
        if not isinstance(profile, str):
            raise ValueError("not a passing-boot entry (profile is not a string)")
        return cls(profile, milestones, kernel)


@dataclass(frozen=True)
class Deadline:
    milestone: str
    after: str | None  # the previous milestone, None for the first
    seconds: float  # allowed from `after` (the first: from QEMU start)
    source: str  # LEARNED or SPEC; SKIPPED when lab.matcher shortened it
    why: str  # one phrase for the record and the hang's reason
    expected_s: float | None = None  # the median gap seen: when the milestone was due
    history: int = 0  # passing boots that saw this gap

    def to_dict(self) -> dict[str, object]:
        return {
            "milestone": self.milestone,
            "after": self.after,
            "seconds": round(self.seconds, 3),
            "source": self.source,
            "why": self.why,
            "expected_s": None if self.expected_s is None else round(self.expected_s, 4),
            "history": self.history,
        }


def profile_key(accel: str | None, machine: str, memory_mb: int, firmware_sha256: Iterable[str | None]) -> str:
    """The boots whose timings are comparable: same accel, machine, memory and firmware."""
    firmware = "+".join(sha[:16] if sha else "-" for sha in firmware_sha256)
    return f"{accel}/{machine}/{memory_mb}M/{firmware}"


def learn_deadlines(spec: MilestoneSpec, history: Sequence[PassingBoot]) -> tuple[Deadline, ...]:
    """One deadline per milestone of `spec`, by the rules above; `history` must already be
    the passing boots of this boot's profile (the most recent HISTORY are used)."""
    recent = [boot.gaps() for boot in history[-HISTORY:]]
    out: list[Deadline] = []
    prev: str | None = None
    for m in spec.milestones:
        seen = [g[(prev, m.name)] for g in recent if (prev, m.name) in g]
        out.append(_deadline(m.name, prev, m.timeout, seen))
        prev = m.name
    return tuple(out)


def _deadline(name: str, after: str | None, spec_s: float, seen: list[float]) -> Deadline:
    if len(seen) < MIN_HISTORY:
        return Deadline(name, after, spec_s, SPEC, f"spec timeout: not enough history ({len(seen)} of {MIN_HISTORY} passing boots)",
                        None, len(seen))
    largest = max(seen)
    learned = max(FLOOR_S, FACTOR * largest)
    expected = _median(seen)
    if learned >= spec_s:
        return Deadline(name, after, spec_s, SPEC, f"spec timeout: the learned {learned:.2f}s would exceed it", expected, len(seen))
    return Deadline(name, after, learned, LEARNED,
                    f"learned from {len(seen)} passing boots: largest gap {largest:.3f}s", expected, len(seen))


def _median(values: list[float]) -> float:
    # Not `statistics.median`: importing `statistics` costs more than a boot's whole matching.
    v = sorted(values)
    mid = len(v) // 2
    return v[mid] if len(v) % 2 else (v[mid - 1] + v[mid]) / 2
