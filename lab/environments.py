"""Which environment differs: one image booted on every lane of a machine type, judged together.

A lane is a target: an environment (its QEMU) and a firmware build. When the image fails on
one lane and passes on another, the lane's own verdict says what happened there, and this
table says whose fault the difference is, from the golden (known-good) image's boot on the
failing lane. First match wins (each row has a test in tests/unit/test_environments.py):

 #  condition, for one lane                               verdict of the lane
 1  the image passed there                                its own (PASS)
 2  its own verdict is ERROR or MISS                      its own, naming the lane and the one it passes on
 3  the image passed on no lane of the machine type       its own (the code, or the lab, fails everywhere)
 4  the golden image was not booted there                 its own, noting "passes on <lane>"
 5  the golden image failed there too, and the lane runs  ERROR/host "<lane> (<env>) fails the golden image too;
    another QEMU than the lane it passes on                          passes on <lane> (<env>)"
 6  the golden image failed there too (same QEMU)         ERROR/firmware "... fails the golden image too ..."
 7  the golden image passed there                         FAIL/code "fails only on <lane> (<env>); passes on <lane> (<env>)"
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from rustux_bootlab.lab.verdict import Culprit, Outcome, Verdict


@dataclass(frozen=True)
class Lane:
    """One target's boot of the image, and of the golden image when it was booted there."""

    target: str
    environment: str
    qemu_version: str | None
    outcome: Outcome
    golden: Outcome | None = None

    @property
    def label(self) -> str:
        return f"{self.target} ({self.environment}, {self.qemu_version or 'QEMU version unknown'})"


def judge_lanes(lanes: list[Lane]) -> dict[str, Outcome]:
    """Each lane's verdict after comparing it with the others (the table above), by target."""
    return {lane.target: outcome for lane, outcome in zip(lanes, judge_each(lanes))}


def judge_each(lanes: list[Lane]) -> list[Outcome]:
    """The same, in the lanes' order: one target may be two lanes (booted on hosts of two distributions)."""
    passing = [lane for lane in lanes if lane.outcome.verdict is Verdict.PASS]
    return [_judge(lane, passing) for lane in lanes]


def _judge(lane: Lane, passing: list[Lane]) -> Outcome:
    own = lane.outcome
    if own.verdict is Verdict.PASS or not passing:
        return own
    good = passing[0]
    passes_on = f"passes on {good.label}"
    last = own.last_milestone
    if own.verdict is not Verdict.FAIL:
        return replace(own, reason=f"on {lane.label}: {own.reason}; {passes_on}")
    if lane.golden is None:
        return replace(own, reason=f"{own.reason}; {passes_on} (golden image not booted on {lane.target}: cannot tell whose)")
    if lane.golden.verdict is not Verdict.PASS:
        culprit = Culprit.HOST if lane.qemu_version != good.qemu_version else Culprit.FIRMWARE
        return Outcome(Verdict.ERROR, culprit, f"{lane.label} fails the golden image too ({lane.golden.reason}); "
                       f"{passes_on}: the environment differs, not the code", last)
    return Outcome(Verdict.FAIL, Culprit.CODE, f"fails only on {lane.label}; {passes_on}: {own.reason}", last)
