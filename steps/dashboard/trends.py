"""Per target, the kernel's own time from `entry` to `final` over its last passing boots, and
the gap before each milestone: where a slower boot lost its time.

Input is each boot's `milestone_times` property (steps/boot.py: milestone -> seconds since the
boot started); only boots that reached `final` count, so a FAIL never shows as "fast". A board
has no debugcon, so no `entry`: its time starts at the first milestone it reached.
"""
from __future__ import annotations

from dataclasses import dataclass

FIRST, LAST = "entry", "final"


@dataclass(frozen=True)
class Point:
    buildid: int
    number: int
    start: str  # `entry`, or a board's first milestone
    total_ms: float  # start -> final
    gaps: tuple[tuple[str, float], ...]  # (milestone, ms since the milestone before it), from entry on


@dataclass(frozen=True)
class Trend:
    subject: str
    points: tuple[Point, ...]  # oldest first

    @property
    def milestones(self) -> tuple[str, ...]:
        """Every milestone with a gap, in boot order (the newest point's order wins)."""
        seen: list[str] = []
        for point in reversed(self.points):
            for name, _ in point.gaps:
                if name not in seen:
                    seen.append(name)
        return tuple(seen)

    @property
    def peak_ms(self) -> float:
        return max((p.total_ms for p in self.points), default=0.0)


def point_from(buildid: int, number: int, times: dict[str, float] | None) -> Point | None:
    if not isinstance(times, dict) or not isinstance(times.get(LAST), (int, float)):
        return None
    ordered = sorted((float(t), name) for name, t in times.items() if isinstance(t, (int, float)))
    first = FIRST if isinstance(times.get(FIRST), (int, float)) else ordered[0][1]
    start = float(times[first])
    gaps, previous = [], start
    for t, name in ordered:
        if t <= start or t > float(times[LAST]):
            continue
        gaps.append((name, round((t - previous) * 1000, 1)))
        previous = t
    return Point(buildid, number, first, round((float(times[LAST]) - start) * 1000, 1), tuple(gaps))


def build_trend(subject: str, boots: list[tuple[int, int, dict[str, float] | None]]) -> Trend:
    """`boots`: (buildid, number, milestone_times) of the subject's builds, any order."""
    points = [p for p in (point_from(*b) for b in sorted(boots)) if p is not None]
    return Trend(subject, tuple(points))
