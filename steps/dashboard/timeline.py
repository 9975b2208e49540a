"""A boot's milestones as a timeline: one lane per channel, one bar per milestone.

A bar runs from the milestone before it (on any channel: the boot is one sequence) to the
moment its own line arrived, so the bar's length is how long the boot took to get there.
Geometry only, in SVG user units; steps/dashboard/svg.py draws it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LANE_H = 22
LABEL_W = 90  # room for the channel's name left of its lane


@dataclass(frozen=True)
class Bar:
    name: str
    channel: str
    lane: int
    t0: float  # seconds since the boot started
    t1: float
    x: float
    width: float


@dataclass(frozen=True)
class Timeline:
    lanes: tuple[str, ...]
    bars: tuple[Bar, ...]
    start_s: float  # the left edge: 0, or the milestone it was cut at
    duration_s: float  # from start_s to the right edge
    width: float

    @property
    def height(self) -> float:
        return LANE_H * (len(self.lanes) + 1)  # + the time axis


def build_timeline(milestones: list[dict[str, Any]], duration_s: float | None, width: float = 900,
                   since: str | None = None) -> Timeline:
    """`milestones`: result.json's [{name, t, channel}], in the order they were reached;
    `since`: start at that milestone (its bar and those before it left out), when reached."""
    hits = sorted((m for m in milestones if isinstance(m.get("t"), (int, float))), key=lambda m: m["t"])
    cut = next((h for h in hits if since is not None and h.get("name") == since), None)
    start = float(cut["t"]) if cut else 0.0
    if cut:
        hits = [h for h in hits if h["t"] > start]
    lanes: list[str] = []
    for hit in hits:
        if hit.get("channel", "?") not in lanes:
            lanes.append(hit.get("channel", "?"))
    last = max([h["t"] for h in hits], default=start)
    span = (last if cut else max(duration_s or 0.0, last)) - start or 1.0
    scale = (width - LABEL_W) / span
    bars, previous = [], start
    for hit in hits:
        t1 = float(hit["t"])
        bars.append(Bar(hit["name"], hit.get("channel", "?"), lanes.index(hit.get("channel", "?")), previous, t1,
                        LABEL_W + (previous - start) * scale, max((t1 - previous) * scale, 1.0)))
        previous = t1
    return Timeline(tuple(lanes), tuple(bars), start, span, width)


def ticks(duration_s: float, count: int = 6) -> list[float]:
    """Round seconds for the axis: 0, 1, 2 ... or 0, 0.5, 1 ..., at most ~`count` of them."""
    for step in (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300):
        if duration_s / step <= count:
            return [round(i * step, 3) for i in range(int(duration_s / step + 1e-9) + 1)]
    return [0.0, duration_s]
