"""Pid files of daemons the lab starts again after a fault (Buildbot workers under twistd).

A daemon killed with SIGKILL leaves its pid file behind, and twistd refuses to start while
the pid in it answers `kill(pid, 0)` ("Another twistd server is running"): true of a killed
daemon until init reaps it (a zombie), and of any process that later got the same pid.
A pid file is stale unless its process still runs (not a zombie) in the pid file's own
directory: twistd chdirs into the basedir whose pid file it writes.
"""
from __future__ import annotations

import os
from pathlib import Path

from rustux_bootlab.harness.hostnet import ended


def stale(pidfile: Path) -> bool:
    """`pidfile` exists and names no live daemon of its directory."""
    try:
        pid = int(pidfile.read_text().split()[0])
    except FileNotFoundError:
        return False
    except (OSError, ValueError, IndexError):
        return True  # empty or torn: written by a daemon killed while writing it
    if ended(pid):
        return True
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd")) != pidfile.parent.resolve()
    except OSError:
        return True


def clear_stale(pidfile: Path) -> bool:
    """Remove `pidfile` when it is stale; whether it was."""
    if stale(pidfile):
        pidfile.unlink(missing_ok=True)
        return True
    return False
