"""KCIDB (KernelCI's common database) JSON for one kernel build and its boots, schema v5.

  checkout   the commit built: repository URL, hash, branch, message subject
  build      the kernel built from it (x86_64 UEFI), PASS or FAIL
  tests      per boot: `boot` with the boot's verdict, and `boot.<milestone>` for every
             milestone it reached (PASS) and for the one it missed (the boot's verdict)
  issues     per failed boot, its culprit the way KCIDB says it: `code` when our culprit is
             the code, `harness` when it is the firmware, host, board or lab; the same failure
             (culprit, last milestone, reason) on another build is the same issue. A
             bisection's culprit commit is an issue of its own, blaming the code.
  incidents  each issue's occurrence on a test (the failing boot's `boot` test)

Verdicts map one to one: PASS, FAIL, ERROR and MISS are KCIDB statuses with the same
meaning (FAIL: the code is faulty; ERROR: the test did not complete; MISS: it did not run).
IDs are `<origin>:<what>`; milestone names that are not KCIDB path components
([a-zA-Z0-9_-]) have the other characters replaced by `_`.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from rustux_bootlab.lab.record import BootRecord

ORIGIN = "rustux_lab"
SCHEMA_VERSION = {"major": 5, "minor": 3}
_PATH_CHARS = re.compile(r"[^a-zA-Z0-9_-]")
# Our culprit -> KCIDB's layers of the execution stack
CULPRIT_LAYER = {"code": "code", "firmware": "harness", "host": "harness", "board": "harness", "lab": "harness"}


@dataclass(frozen=True)
class Checkout:
    id: str  # unique within the origin, e.g. the commit hash (+ patch hash for a try build)
    repository_url: str | None  # KCIDB wants https://; anything else is kept in misc
    commit: str  # 40 hex digits
    branch: str | None = None
    subject: str | None = None
    start_time: str | None = None  # RFC 3339


@dataclass(frozen=True)
class Build:
    id: str  # unique within the origin, e.g. "kernel-42"
    passed: bool
    duration_s: float | None = None
    config_name: str = "default"  # or the variant
    log_url: str | None = None


@dataclass(frozen=True)
class Boot:
    """One boot record's facts (result.json)."""

    id: str  # unique within the build, e.g. the target name
    target: str
    verdict: str  # PASS FAIL ERROR MISS
    culprit: str | None
    reason: str
    reached: tuple[str, ...]  # milestone names, in order
    missed: str | None = None  # the first milestone it did not reach
    duration_s: float | None = None
    start_time: str | None = None
    log_url: str | None = None


@dataclass(frozen=True)
class Culprit:
    """A bisection's confirmed culprit commit (lab.bisection)."""

    commit: str
    subject: str
    author: str
    lost_milestone: str | None
    target: str
    boot_id: str | None = None  # the failing boot of this build it explains, if any
    misc: dict[str, Any] = field(default_factory=dict)


def path_part(name: str) -> str:
    return _PATH_CHARS.sub("_", name) or "_"


def report(checkout: Checkout, build: Build, boots: list[Boot], culprit: Culprit | None = None,
           origin: str = ORIGIN) -> dict[str, Any]:
    checkout_id = f"{origin}:{checkout.id}"
    build_id = f"{origin}:{build.id}"
    tests: list[dict[str, Any]] = []
    issues: dict[str, dict[str, Any]] = {}
    incidents: list[dict[str, Any]] = []
    for boot in boots:
        boot_test = f"{build_id}:{boot.id}:boot"
        tests.append(_drop_none({
            "build_id": build_id, "id": boot_test, "origin": origin, "path": "boot", "status": boot.verdict,
            "comment": f"{boot.target}: {boot.verdict}" + (f" ({boot.culprit}): {boot.reason}" if boot.culprit else ""),
            "environment": {"comment": boot.target, "misc": {"target": boot.target}},
            "duration": boot.duration_s, "start_time": boot.start_time, "log_url": boot.log_url,
            "misc": {"culprit": boot.culprit, "reason": boot.reason},
        }))
        for name in boot.reached:
            tests.append(_milestone_test(build_id, boot, name, "PASS", origin))
        if boot.missed is not None and boot.verdict != "PASS":
            tests.append(_milestone_test(build_id, boot, boot.missed, boot.verdict, origin))
        if boot.verdict in ("FAIL", "ERROR") and boot.culprit:
            issue = _boot_issue(boot, origin)
            issues.setdefault(issue["id"], issue)
            incidents.append(_incident(issue, build_id, boot_test, origin, f"{boot.target}: {boot.reason}"))
    if culprit is not None:
        issue = _culprit_issue(culprit, origin)
        issues[issue["id"]] = issue
        if culprit.boot_id is not None:
            test = f"{build_id}:{culprit.boot_id}:boot"
            incidents.append(_incident(issue, build_id, test, origin, f"bisected on {culprit.target}"))
    return {
        "version": dict(SCHEMA_VERSION),
        "checkouts": [_drop_none({
            "id": checkout_id, "origin": origin, "tree_name": "rustux",
            **_repository(checkout.repository_url), "git_commit_hash": checkout.commit,
            "git_repository_branch": checkout.branch, "git_commit_message": checkout.subject,
            "start_time": checkout.start_time, "valid": True,
        })],
        "builds": [_drop_none({
            "checkout_id": checkout_id, "id": build_id, "origin": origin, "architecture": "x86_64",
            "config_name": build.config_name, "command": "scripts/build-kernel.sh", "duration": build.duration_s,
            "log_url": build.log_url, "status": "PASS" if build.passed else "FAIL",
        })],
        "tests": tests,
        "issues": list(issues.values()),
        "incidents": incidents,
    }


def _repository(url: str | None) -> dict[str, Any]:
    """KCIDB takes only public https:// repository URLs; any other (a local path) goes to misc."""
    if url and url.startswith("https://"):
        return {"git_repository_url": url}
    return {"misc": {"repository": url}} if url else {}


def _milestone_test(build_id: str, boot: Boot, name: str, status: str, origin: str) -> dict[str, Any]:
    return {"build_id": build_id, "id": f"{build_id}:{boot.id}:boot.{path_part(name)}", "origin": origin,
            "path": f"boot.{path_part(name)}", "status": status, "environment": {"comment": boot.target},
            "misc": {"milestone": name}}


def _boot_issue(boot: Boot, origin: str) -> dict[str, Any]:
    layer = CULPRIT_LAYER.get(boot.culprit or "", "harness")
    key = hashlib.sha256(f"{boot.culprit}\0{boot.reached[-1] if boot.reached else ''}\0{boot.reason}".encode()).hexdigest()[:16]
    return {"id": f"{origin}:boot-{boot.culprit}-{key}", "version": 1, "origin": origin,
            "culprit": {layer: True}, "comment": f"{boot.verdict} ({boot.culprit}): {boot.reason}",
            "misc": {"culprit": boot.culprit, "last_milestone": boot.reached[-1] if boot.reached else None}}


def _culprit_issue(c: Culprit, origin: str) -> dict[str, Any]:
    lost = f", lost milestone {c.lost_milestone}" if c.lost_milestone else ""
    return {"id": f"{origin}:bisect-{c.target}-{c.commit[:12]}", "version": 1, "origin": origin,
            "culprit": {"code": True}, "report_subject": c.subject,
            "comment": f"first bad commit {c.commit[:12]} \"{c.subject}\" ({c.author}) on {c.target}{lost}",
            "misc": {"commit": c.commit, "subject": c.subject, "author": c.author,
                     "lost_milestone": c.lost_milestone, "target": c.target, **c.misc}}


def _incident(issue: dict[str, Any], build_id: str, test_id: str, origin: str, comment: str) -> dict[str, Any]:
    return {"id": f"{issue['id']}:{test_id.removeprefix(origin + ':')}", "origin": origin, "issue_id": issue["id"],
            "issue_version": issue["version"], "build_id": build_id, "test_id": test_id, "present": True,
            "comment": comment}


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def boot_from_record(boot_id: str, record: BootRecord, spec_names: list[str] | None = None) -> Boot:
    """A `Boot` from a boot record; `spec_names` (the spec's milestones) names the missed one."""
    reached = tuple(hit.name for hit in record.milestones)
    names = spec_names or []
    missed = next((n for n in names if n not in reached), None)
    o = record.outcome
    return Boot(id=boot_id, target=record.target or boot_id, verdict=o.verdict.value,
                culprit=None if o.culprit is None else o.culprit.value, reason=o.reason, reached=reached,
                missed=missed, duration_s=record.duration_s)


def validation_problem(data: dict[str, Any]) -> str | None:
    """None when `data` is valid KCIDB JSON by the kcidb-io package's schema, else its first problem."""
    import jsonschema  # kcidb-io's own dependency; imported here so the mapping alone loads fast
    from kcidb_io.schema import LATEST

    try:
        LATEST.validate(data)
    except jsonschema.exceptions.ValidationError as exc:
        return f"{exc.json_path}: {exc.message}"
    return None
