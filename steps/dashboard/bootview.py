"""The boot page's content from one boot build: its record, timeline, conversation, screens.

Input is what fetch.boot_detail read from the data API (the build, its boot step, the step's
logs); the record is the step's `result.json` log, read as the boot record's contract says
(lab/record.py's fields), tolerating a boot that never wrote one.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rustux_bootlab.steps.dashboard.facts import Boot, boot_from
from rustux_bootlab.steps.dashboard.timeline import Timeline, build_timeline
from rustux_bootlab.steps.dashboard.trends import FIRST as KERNEL_ENTRY


@dataclass(frozen=True)
class Link:
    name: str
    url: str


@dataclass(frozen=True)
class BootView:
    boot: Boot
    buildername: str
    record: dict[str, Any]  # result.json, {} when the boot wrote none
    timeline: Timeline
    kernel_timeline: Timeline  # from the kernel's entry on: the firmware's seconds hide its milliseconds
    console: str | None  # the conversation (`console` log), None without one
    screens: tuple[Link, ...]
    raw_logs: tuple[Link, ...]
    firmware: tuple[tuple[str, str], ...]  # (role, identity)

    @property
    def triage(self) -> str | None:
        triage = self.record.get("triage") or {}
        if not triage:
            return None
        baseline = triage.get("baseline")
        if isinstance(baseline, dict):  # the baseline's own record: its verdict and image
            image = (baseline.get("image") or {}).get("sha256") or "?"
            baseline = f"{baseline.get('verdict', '?')}, image {image[:12]}"
        return f"{triage.get('rule', '?')} (baseline: {baseline or '?'})"


def boot_view(detail: dict[str, Any], api_url: str) -> BootView:
    """`api_url`: the master's `<buildbotURL>api/v2/`, where each log's raw text is served."""
    texts = detail.get("texts") or {}
    try:
        record = json.loads(texts.get("result.json") or "{}")
    except ValueError:
        record = {}
    if not isinstance(record, dict):
        record = {}
    step = detail.get("step") or {}
    screens = tuple(Link(u["name"], u["url"]) for u in step.get("urls") or () if u.get("name", "").endswith(".png"))
    raw = tuple(Link(log["name"], f"{api_url.rstrip('/')}/logs/{log['logid']}/raw") for log in detail.get("logs") or ())
    milestones = [m for m in record.get("milestones") or () if isinstance(m, dict)]
    return BootView(
        boot=boot_from(detail["build"], detail.get("buildername", "")),
        buildername=detail.get("buildername", ""),
        record=record,
        timeline=build_timeline(milestones, record.get("duration_s")),
        kernel_timeline=build_timeline(milestones, record.get("duration_s"), since=KERNEL_ENTRY),
        console=texts.get("console"),
        screens=screens,
        raw_logs=raw,
        firmware=tuple((role, _identity(ident)) for role, ident in sorted((record.get("firmware") or {}).items())),
    )


def _identity(ident: Any) -> str:
    """One line per firmware role: path, size, sha256, version, whatever the record holds."""
    if not isinstance(ident, dict):
        return str(ident)
    return ", ".join(f"{k}: {v}" for k, v in ident.items() if v not in (None, "", [], {}))
