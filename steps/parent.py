"""A boot whose kernel build is gone does not boot.

A master killed in the middle of a kernel build loses that build: when the master comes back
(or another one declares it dead) the build is marked RETRY and its request runs again,
fanning out to every target afresh. The boot requests of the lost build are released too and
would run all the same: a second boot of the same kernel whose verdict no kernel build
reports. So a triggered boot first asks whether the build that triggered it is still running
(steps/staging.py's first question); if it is not, the boot ends CANCELLED, naming the lost
build.
"""
from __future__ import annotations

from twisted.internet import defer

from buildbot.process.results import Results


def lost_parent(parent: dict | None) -> str | None:
    """Why a boot triggered by `parent` (the data API's build, None: not triggered) must not
    run, or None when it should."""
    if parent is None or not parent["complete"]:
        return None
    return (f"kernel build {parent['number']} ended ({Results[parent['results']]}) before this boot started: "
            "its build request runs again and boots the kernel afresh")


@defer.inlineCallbacks
def parent_lost(step):
    """Deferred: why `step`'s build must not boot (lost_parent), or None."""
    buildset = yield step.master.data.get(("buildsets", step.build.requests[0].bsid))
    parent_id = buildset.get("parent_buildid") if buildset else None
    parent = (yield step.master.data.get(("builds", parent_id))) if parent_id is not None else None
    return lost_parent(parent)
