"""A process that must not outlive its parent: `PR_SET_PDEATHSIG`.

QEMU gets SIGKILL when bootlab dies (workers/qemu/process.py); bootlab gets SIGTERM when what
started it dies (a Buildbot worker killed by SIGKILL, a host's agent lost), and SIGTERM is a
stop bootlab handles: QEMU stopped, a board powered off and released, the record written.
Without it a killed worker left bootlab running its boot to the end for nobody, and the
QEMU under it, on a host the master had already given up on.
"""
from __future__ import annotations

import ctypes
import os

_PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int, parent: int) -> None:
    """Ask the kernel for `sig` when our parent exits. The parent may have died before the
    call (then nobody would signal us): exit at once if `parent` is no longer our parent.
    The kernel signals when the parent's *thread* that forked us exits: call it in a child
    forked by a thread that lives as long as the parent (the main thread)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)
