"""The passing boots a machine's (a target's or a board's) milestone deadlines are learned
from (`lab.deadlines`) and its boot-time regressions are judged against (`lab.boottime`).

`$BOOTLAB_STATE/<target>/passes.jsonl`: one `PassingBoot` a line (its profile and its
milestones' times, on the lab's clock and the kernel's), newest last, appended under an
flock on the file after every PASS on the target, whatever the image. Trimmed to the newest KEEP lines, so each profile keeps
its last `HISTORY` in all but odd cases. A line that does not parse is skipped: a
deadline learned from one boot less only falls back to the spec sooner. Deleting the
file makes the target's next boots use the spec's timeouts until MIN_HISTORY passes.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path

from rustux_bootlab.lab import boottime
from rustux_bootlab.lab.deadlines import HISTORY, PassingBoot
from rustux_bootlab.workers.state import state_dir

PASSES = "passes.jsonl"
# lab.boottime compares a PASS with the last 100 of its profile; a few profiles share a file
KEEP = 4 * max(HISTORY, boottime.HISTORY)


def passes_path(target: str) -> Path:
    return state_dir(target) / PASSES


def load_passes(target: str, profile: str) -> list[PassingBoot]:
    """The target's recorded passing boots of `profile`, oldest first."""
    try:
        lines = passes_path(target).read_text().splitlines()
    except FileNotFoundError:
        return []
    return [boot for boot in map(_parse, lines) if boot is not None and boot.profile == profile]


def record_pass(target: str, boot: PassingBoot) -> None:
    path = passes_path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path) as f:
        lines = [line for line in f.read().splitlines() if line.strip()]
        lines.append(json.dumps(boot.to_dict()))
        if len(lines) > KEEP:  # rewrite in place: the lock lives on this file
            f.seek(0)
            f.truncate()
            lines = lines[-KEEP:]
            f.write("\n".join(lines) + "\n")
        else:
            f.write(lines[-1] + "\n")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    with os.fdopen(fd, "r+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield f


def _parse(line: str) -> PassingBoot | None:
    try:
        return PassingBoot.from_dict(json.loads(line))
    except ValueError:  # json.JSONDecodeError included
        return None
