"""Scratch directories named after the process that made them: `$TMPDIR/bootlab-<kind>-<pid>-*`.

A bootlab killed by SIGKILL runs no cleanup, and what it was doing leaves a directory behind:
a boot's VARS copy and sockets, a 40 MiB snapshot in the making, a bisection's worktree. Each
new scratch directory first sweeps those of every kind whose process is gone, so they do not
pile up in $TMPDIR on a worker that boots all day.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PREFIX = "bootlab-"
KINDS = frozenset({"boot", "img", "snap", "kvm", "try", "bisect"})


@contextmanager
def workdir(kind: str) -> Iterator[Path]:
    """A fresh scratch directory, removed on the way out."""
    if kind not in KINDS:
        raise ValueError(f"unknown scratch directory kind {kind!r}: one of {', '.join(sorted(KINDS))}")
    sweep()
    with tempfile.TemporaryDirectory(prefix=f"{PREFIX}{kind}-{os.getpid()}-") as tmp:
        yield Path(tmp)


def sweep() -> None:
    """Remove the scratch directories of processes that no longer exist."""
    for path in Path(tempfile.gettempdir()).glob(f"{PREFIX}*-*-*"):
        owner = owner_pid(path.name)
        if owner is not None and not Path(f"/proc/{owner}").exists():
            shutil.rmtree(path, ignore_errors=True)


def owner_pid(name: str) -> int | None:
    """The pid in a scratch directory's name, or None for a name this module did not make."""
    kind, _, rest = name.removeprefix(PREFIX).partition("-")
    pid = rest.partition("-")[0]
    if not name.startswith(PREFIX) or kind not in KINDS or not pid.isdigit():
        return None
    return int(pid)
