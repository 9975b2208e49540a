"""Per target, the kernel's own time from `entry` to `final` over its last passing boots, and
the gap before each milestone: where a slower boot lost its time.

Input is each boot's `milestone_times` property (steps/boot.py: milestone -> seconds since the
boot started); only boots that reached both ends count, so a FAIL never shows as "fast".
"""
from __future__ import annotations

from dataclasses import dataclass

FIRST, LAST = "entry", "final"


@dataclass(frozen=True)
class Point:
    buildid: int
    number: int
    total_ms: float  # entry -> final
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
    if not isinstance(times, dict) or FIRST not in times or LAST not in times:
        return None
    ordered = sorted((float(t), name) for name, t in times.items() if isinstance(t, (int, float)))
    start = float(times[FIRST])
    gaps, previous = [], start
    for t, name in ordered:
        if t <= start or t > float(times[LAST]):
            continue
        gaps.append((name, round((t - previous) * 1000, 1)))
        previous = t
    return Point(buildid, number, round((float(times[LAST]) - start) * 1000, 1), tuple(gaps))


def build_trend(subject: str, boots: list[tuple[int, int, dict[str, float] | None]]) -> Trend:
    """`boots`: (buildid, number, milestone_times) of the subject's builds, any order."""
    points = [p for p in (point_from(*b) for b in sorted(boots)) if p is not None]
    return Trend(subject, tuple(points))
