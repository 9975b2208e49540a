"""Inline SVG for the pages: a boot's timeline and a target's trend chart.

Strings in, a string out, every text escaped: the master serves the drawing inside the page,
nothing is fetched from anywhere else.
"""
from __future__ import annotations

from html import escape

from rustux_bootlab.steps.dashboard.timeline import LABEL_W, LANE_H, Timeline, ticks
from rustux_bootlab.steps.dashboard.trends import Trend

def color(i: int) -> str:
    """The i-th milestone's colour: hues a golden angle apart, so the ~25 milestones of a
    spec stay apart from their neighbours without a palette that runs out."""
    return f"hsl({i * 137.508 % 360:.0f}, 62%, {52 + 8 * (i % 3)}%)"


def timeline_svg(tl: Timeline) -> str:
    """The boot's lanes; a timeline cut at a milestone labels its axis in ms after it."""
    scale = (tl.width - LABEL_W) / tl.duration_s
    out = [f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="{tl.width:.0f}" '
           f'height="{tl.height:.0f}" viewBox="0 0 {tl.width:.0f} {tl.height:.0f}" role="img" '
           f'aria-label="milestones on each channel over time">']
    for lane, channel in enumerate(tl.lanes):
        y = lane * LANE_H
        out.append(f'<text x="4" y="{y + 15}">{escape(channel)}</text>'
                   f'<line x1="{LABEL_W}" y1="{y + LANE_H}" x2="{tl.width:.0f}" y2="{y + LANE_H}" stroke="#eee"/>')
    for i, bar in enumerate(tl.bars):
        y = bar.lane * LANE_H + 3
        out.append(f'<rect class="bar" data-milestone="{escape(bar.name)}" data-channel="{escape(bar.channel)}" '
                   f'x="{bar.x:.1f}" y="{y}" width="{bar.width:.1f}" height="{LANE_H - 6}" fill="{color(i)}">'
                   f'<title>{escape(bar.name)} on {escape(bar.channel)}: {bar.t0:.3f} s -&gt; {bar.t1:.3f} s</title></rect>')
        if bar.width > 7 * len(bar.name):  # a name only where it fits inside its bar
            out.append(f'<text x="{bar.x + 3:.1f}" y="{y + 12}" fill="#fff">{escape(bar.name)}</text>')
    axis = len(tl.lanes) * LANE_H
    for t in ticks(tl.duration_s):
        x = LABEL_W + t * scale
        label = f"{t:g} s" if not tl.start_s else f"+{t * 1000:g} ms"
        out.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{axis + 4}" stroke="#ccc"/>'
                   f'<text x="{x + 2:.1f}" y="{axis + 15}">{label}</text>')
    out.append("</svg>")
    return "".join(out)


def trend_svg(trend: Trend, width: float = 900, height: float = 220) -> str:
    """Stacked bars (the gap before each milestone) per boot, oldest left, newest right; the
    bar's top is the kernel's entry-to-final time."""
    left, bottom = 60, 20
    plot_h = height - bottom - 10
    n = max(len(trend.points), 1)
    slot = min((width - left) / n, 48)  # a few boots stay bars, not a wall
    peak = trend.peak_ms or 1.0
    names = trend.milestones
    out = [f'<svg class="trend" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
           f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" data-subject="{escape(trend.subject)}" '
           f'aria-label="entry to final time per boot, split by milestone">']
    for frac in (0, 0.5, 1):
        y = 10 + plot_h * (1 - frac)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width:.0f}" y2="{y:.1f}" stroke="#eee"/>'
                   f'<text x="2" y="{y + 4:.1f}">{peak * frac:.0f} ms</text>')
    for i, point in enumerate(trend.points):
        x, top = left + i * slot + 1, 10 + plot_h
        for name, ms in point.gaps:
            h = plot_h * ms / peak
            top -= h
            out.append(f'<rect x="{x:.1f}" y="{top:.1f}" width="{max(slot - 2, 1):.1f}" height="{h:.1f}" '
                       f'fill="{color(names.index(name))}"><title>#{point.number} {escape(name)}: '
                       f'+{ms:.0f} ms</title></rect>')
        out.append(f'<rect class="point" data-build="{point.number}" data-total-ms="{point.total_ms}" x="{x:.1f}" '
                   f'y="{10 + plot_h * (1 - point.total_ms / peak):.1f}" width="{max(slot - 2, 1):.1f}" height="2" '
                   f'fill="#263238"><title>#{point.number}: entry -&gt; final {point.total_ms:.0f} ms</title></rect>')
    out.append("</svg>")
    return "".join(out)


def legend(names: tuple[str, ...]) -> str:
    return "".join(f'<span class="key"><svg width="10" height="10"><rect width="10" height="10" fill="{color(i)}"/>'
                   f'</svg> {escape(name)}</span> ' for i, name in enumerate(names))
