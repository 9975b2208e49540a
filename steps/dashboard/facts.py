"""What the dashboard knows about a build, read from the master's data API dicts.

Plain typed Python: `steps/dashboard/fetch.py` gathers the data API's dicts (builds with
their properties, buildsets, steps) and these functions turn them into facts the pages show.
Nothing here talks to the master, so every rule is tested with plain dicts.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rustux_bootlab.lab.contract import (  # Buildbot's result codes and a boot build's properties (steps/boot.py)
    BOOT_PROPERTIES, CANCELLED, EXCEPTION, FAILURE, RETRY, SKIPPED, SUCCESS, WARNINGS, subject_of,
)
from rustux_bootlab.lab.verdict import Culprit, Outcome, Verdict

__all__ = ["BOOT_PROPERTIES", "CANCELLED", "EXCEPTION", "FAILURE", "RETRY", "SKIPPED", "SUCCESS", "WARNINGS"]

VERDICTS = {v.value for v in Verdict}
CULPRITS = {c.value for c in Culprit}
# Which scheduler started a kernel build -> the row's kind (steps/config.py names them).
KINDS = {"push": "push", "try": "try", "force-kernel": "forced"}


@dataclass(frozen=True)
class Boot:
    """One boot/<target> or boot/<board> build: its verdict once it has one."""

    buildid: int
    builderid: int
    number: int
    subject: str  # the target or board booted
    complete: bool
    results: int | None
    state: str  # the build's summary line (live while it runs)
    verdict: str | None = None
    culprit: str | None = None
    reason: str | None = None
    last_milestone: str | None = None
    duration_s: float | None = None
    reached: int | None = None
    total: int | None = None
    started_at: datetime | None = None
    environment: str | None = None  # the distribution a QEMU boot ran on (lab.environment.ran_on)
    qemu: str | None = None  # and its QEMU's version

    @property
    def style(self) -> str:
        """The cell's CSS class: the verdict, and ERROR apart from FAIL (the lab's fault, not the code's)."""
        if not self.complete:
            return "running"
        if self.verdict:
            return self.verdict.lower()
        return "nothing" if self.results in (SKIPPED, CANCELLED) else "broken"

    @property
    def headline(self) -> str:
        if not self.complete:
            return "running"
        if self.verdict is None:
            return "no verdict"
        return f"{self.verdict}/{self.culprit}" if self.culprit else self.verdict

    @property
    def outcome(self) -> Outcome | None:
        """The verdict as the lab's rules take it, once there is one (None for a property that is not one)."""
        if not self.complete or self.verdict not in VERDICTS:
            return None
        try:
            return Outcome(Verdict(self.verdict), Culprit(self.culprit) if self.culprit in CULPRITS else None,
                           self.reason or "", self.last_milestone)
        except ValueError:
            return None


@dataclass(frozen=True)
class KernelRun:
    """One `kernel` build: a revision (pushed, tried or forced) and the boots it fanned out to."""

    buildid: int
    builderid: int
    number: int
    kind: str  # push, try, forced, or the scheduler's own name
    revision: str | None
    branch: str | None
    author: str | None  # a try's patch author, a forced build's owner
    subject: str | None  # a try's patch subject, or the forced build's reason
    complete: bool
    results: int | None
    state: str
    started_at: datetime | None
    boots: tuple[Boot, ...] = field(default_factory=tuple)


def prop(build: dict[str, Any], name: str) -> Any:
    """A property's value from a data API build dict (properties are [value, source] pairs)."""
    pair = (build.get("properties") or {}).get(name)
    return pair[0] if pair else None


def boot_from(build: dict[str, Any], buildername: str) -> Boot:
    duration = prop(build, "boot_duration_s")
    ran = prop(build, "environment") or {}
    return Boot(
        buildid=build["buildid"], builderid=build["builderid"], number=build["number"],
        subject=subject_of(buildername), complete=bool(build.get("complete")), results=build.get("results"),
        state=build.get("state_string") or "", verdict=prop(build, "verdict"), culprit=prop(build, "culprit"),
        reason=prop(build, "reason"), last_milestone=prop(build, "last_milestone"),
        duration_s=float(duration) if isinstance(duration, (int, float)) else None,
        reached=prop(build, "milestones_reached"), total=prop(build, "milestones_total"),
        started_at=build.get("started_at"), environment=ran.get("name"), qemu=ran.get("qemu"),
    )

def kernel_run_from(build: dict[str, Any], sourcestamps: list[dict[str, Any]], reason: str | None,
                    boots: tuple[Boot, ...]) -> KernelRun:
    """`sourcestamps` and `reason` come from the build's buildset: a try's patch carries its
    author and subject there (the try protocol's `who` and `comment`)."""
    scheduler = prop(build, "scheduler") or ""
    patch = next((ss["patch"] for ss in sourcestamps if ss.get("patch")), None)
    stamp = sourcestamps[0] if sourcestamps else {}
    author, subject = None, None
    if patch is not None:
        author, subject = patch.get("author"), patch.get("comment")
    elif scheduler == "force-kernel":
        author, subject = prop(build, "owner"), reason
    return KernelRun(
        buildid=build["buildid"], builderid=build["builderid"], number=build["number"],
        kind=KINDS.get(scheduler, scheduler or "unknown"),
        revision=prop(build, "got_revision") or stamp.get("revision") or prop(build, "revision"),
        branch=stamp.get("branch") or prop(build, "branch"), author=author, subject=subject,
        complete=bool(build.get("complete")), results=build.get("results"), state=build.get("state_string") or "",
        started_at=build.get("started_at"), boots=boots,
    )
