"""Health on disk: `$BOOTLAB_STATE/<name>/health.json` for each target and board.

Read-modify-write under an flock on `health.lock` beside it, so a boot's verdict and an
operator's quarantine never overwrite each other; written atomically (temp file + rename).
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

from lab.health import HealthError, HealthRecord
from lab.verdict import Outcome
from workers.state import state_dir

HEALTH = "health.json"


def health_path(name: str) -> Path:
    return state_dir(name) / HEALTH


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def load(name: str) -> HealthRecord:
    path = health_path(name)
    try:
        return HealthRecord.from_dict(json.loads(path.read_text()))
    except FileNotFoundError:
        return HealthRecord()
    except (json.JSONDecodeError, HealthError) as e:
        raise HealthError(f"{path}: {e}: fix or delete the file (deleting it makes {name} good)") from e


@contextlib.contextmanager
def _locked(name: str) -> Iterator[None]:
    path = health_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name("health.lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def update(name: str, change: Callable[[HealthRecord], HealthRecord]) -> HealthRecord:
    with _locked(name):
        record = change(load(name))
        path = health_path(name)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record.to_dict(), indent=2) + "\n")
        tmp.replace(path)
        return record


def record_boot(name: str, outcome: Outcome) -> HealthRecord:
    return update(name, lambda r: r.after_boot(outcome, now()))
