"""Reading `bootlab boot --json` on the master: progress lines, result.json, summaries.

Pure functions over text, so the boot step stays a thin shell around them and the
Buildbot-free parts are testable on their own.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from lab.verdict import Culprit, Verdict

# `bootlab: milestone 5/12 heap-ok 3.41s`
_MILESTONE_RE = re.compile(r"^bootlab: milestone (?P<i>\d+)/(?P<n>\d+) (?P<name>\S+) (?P<t>[0-9.]+)s\s*$")
# `bootlab: verdict FAIL code page fault at 0x401000`
_VERDICT_RE = re.compile(r"^bootlab: verdict (?P<verdict>[A-Z]+) (?P<culprit>\S+)(?: (?P<reason>.*))?$")

# Culprits whose ERROR a second attempt can clear: the lab's own plumbing (a port taken,
# a worker disk full). Firmware, host and board faults need a person, so retrying them
# would only repeat the same ERROR.
RETRYABLE_CULPRITS = frozenset({Culprit.LAB})


@dataclass(frozen=True)
class Progress:
    reached: int
    total: int
    name: str
    t: float

    def summary(self) -> str:
        return f"boot: {self.reached}/{self.total} {self.name}"


@dataclass(frozen=True)
class BootResult:
    """The parts of result.json the master acts on."""

    verdict: Verdict
    culprit: Culprit | None
    reason: str
    last_milestone: str | None
    reached: int
    total: int
    duration_s: float | None
    milestones: tuple[tuple[str, float, str], ...] = ()  # (name, t, line), in boot order
    triage: str | None = None  # bootlab's triage rule, when a non-PASS was checked against a baseline
    slower: tuple[str, ...] = ()  # a PASS's boot-time regressions: "heap: 12 → 19 ms (+58%, p=0.003)"

    def milestone_log(self) -> str:
        """The `milestones` log: when each milestone was seen and the line that proved it."""
        rows = [f"{t:7.2f} s  {name:<20} {line}\n" for name, t, line in self.milestones]
        missing = self.total - self.reached
        if missing > 0:
            rows.append(f"{missing} of {self.total} milestones not reached: {self.verdict.value}\n")
        if self.triage:
            rows.append(f"triage: {self.triage}\n")
        return "".join(rows)

    def summary(self) -> str:
        """One line for the step: `PASS 12/12 in 6.1 s`, `FAIL after user-entry: page fault`."""
        if self.verdict is Verdict.PASS:
            took = f" in {self.duration_s:.1f} s" if self.duration_s is not None else ""
            slower = f"; slower: {', '.join(self.slower)}" if self.slower else ""
            return f"PASS {self.reached}/{self.total}{took}{slower}"
        head = self.verdict.value
        if self.verdict is Verdict.ERROR and self.culprit is not None:
            head = f"ERROR ({self.culprit.value})"
        where = f" after {self.last_milestone}" if self.last_milestone else " before the first milestone"
        if self.verdict is Verdict.MISS:
            where = ""
        return f"{head}{where}: {self.reason}" if self.reason else f"{head}{where}"


class RecordError(ValueError):
    """bootlab's stdout was not the result.json the contract promises."""


def parse_progress(line: str) -> Progress | None:
    m = _MILESTONE_RE.match(line)
    if m is None:
        return None
    return Progress(int(m["i"]), int(m["n"]), m["name"], float(m["t"]))


def parse_verdict_line(line: str) -> tuple[Verdict, Culprit | None, str] | None:
    """The final stderr line; lets the live summary show the verdict before stdout arrives."""
    m = _VERDICT_RE.match(line)
    if m is None or m["verdict"] not in Verdict.__members__:
        return None
    culprit = None if m["culprit"] == "-" else _culprit(m["culprit"])
    return Verdict(m["verdict"]), culprit, (m["reason"] or "").strip()


def parse_result(stdout: str) -> BootResult:
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError as e:
        raise RecordError(f"bootlab printed no result.json on stdout ({e}): is the worker's bootlab too old?") from e
    if not isinstance(data, dict) or "verdict" not in data:
        raise RecordError("bootlab's result.json has no `verdict` key")
    try:
        verdict = Verdict(data["verdict"])
    except ValueError as e:
        raise RecordError(f"bootlab's result.json has an unknown verdict {data['verdict']!r}") from e
    milestones = data.get("milestones") or []
    triage = data.get("triage") if isinstance(data.get("triage"), dict) else {}
    duration = data.get("duration_s")
    return BootResult(
        verdict=verdict,
        culprit=_culprit(data.get("culprit")),
        reason=str(data.get("reason") or ""),
        last_milestone=data.get("last_milestone"),
        reached=len(milestones),
        total=int(data.get("milestones_total") or len(milestones)),
        duration_s=float(duration) if duration is not None else None,
        milestones=tuple((str(m.get("name")), float(m.get("t") or 0), str(m.get("line") or "")) for m in milestones),
        triage=triage.get("rule"),
        slower=tuple(str(line) for line in ((data.get("boot_time") or {}).get("regressions") or ())),
    )


def _culprit(value: str | None) -> Culprit | None:
    if value is None:
        return None
    try:
        return Culprit(value)
    except ValueError as e:
        raise RecordError(f"bootlab reported an unknown culprit {value!r}") from e
