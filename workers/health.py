"""Health on disk: `$BOOTLAB_STATE/<name>/health.json` for each target and board.

Read-modify-write under an flock on `health.lock` beside it, so a boot's verdict and an
operator's quarantine never overwrite each other; written atomically (workers/state.py).
"""
from __future__ import annotations

from datetime import datetime, timezone

from rustux_bootlab.lab.health import HealthError, HealthRecord
from rustux_bootlab.lab.verdict import Outcome
from rustux_bootlab.workers.state import StateFile

HEALTH = "health.json"


_FILE = StateFile(HEALTH, HealthRecord.from_dict, HealthRecord, HealthError, "makes {name} good")
health_path = _FILE.path
load = _FILE.load
update = _FILE.update


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def record_boot(name: str, outcome: Outcome) -> HealthRecord:
    return update(name, lambda r: r.after_boot(outcome, now()))
