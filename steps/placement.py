"""Which of a target's workers takes its next boot: the one with the fewest QEMU builds running.

Buildbot's default is a random choice among the idle workers, checked against the build's locks.
A lock is claimed only once the build has started, a moment after the choice, so boots fanned
out together can all pick one host and queue on its `qemu` lock while another host idles (seen
in CI: four boots in a row on qemu-1, none on qemu-2). A worker marks a build as its own at once
(`buildStarted`, before the next request is weighed), so counting those is race-free.
"""
from __future__ import annotations

import random

from rustux_bootlab.lab.contract import QEMU_ROLES, role_of


def qemu_builds(worker) -> int:
    """QEMU builds the worker is running or starting (its busy worker-for-builders)."""
    return sum(1 for wfb in worker.workerforbuilders.values()
               if wfb.isBusy() and role_of(wfb.builder_name) in QEMU_ROLES)


def least_busy(candidates: list, load) -> object | None:
    """The candidate with the smallest `load`, ties broken at random; None for none."""
    if not candidates:
        return None
    loads = [load(c) for c in candidates]
    low = min(loads)
    return random.choice([c for c, n in zip(candidates, loads) if n == low])


def next_worker(capacity: dict[str, int]):
    """Buildbot's `nextWorker` for a target's boot builder: the worker whose QEMU builds fill the
    least of its `capacity` (the inventory's `max_builds`, what its `qemu` lock allows)."""
    def choose(builder, workers: list, request):
        return least_busy(workers, lambda wfb: qemu_builds(wfb.worker) / capacity.get(wfb.worker.workername, 1))
    return choose
