"""ParentBuild: a boot whose kernel build is gone does not boot.

A master killed in the middle of a kernel build loses that build: when the master comes back
(or another one declares it dead) the build is marked RETRY and its request runs again,
fanning out to every target afresh. The boot requests of the lost build are released too and
would run all the same: a second boot of the same kernel whose verdict no kernel build
reports. So a triggered boot first asks whether the build that triggered it is still running;
if it is not, the boot ends CANCELLED, naming the lost build.
"""
from __future__ import annotations

from twisted.internet import defer

from buildbot.process.buildstep import BuildStep
from buildbot.process.results import CANCELLED, SUCCESS, Results


def lost_parent(parent: dict | None) -> str | None:
    """Why a boot triggered by `parent` (the data API's build, None: not triggered) must not
    run, or None when it should."""
    if parent is None or not parent["complete"]:
        return None
    return (f"kernel build {parent['number']} ended ({Results[parent['results']]}) before this boot started: "
            "its build request runs again and boots the kernel afresh")


class ParentBuild(BuildStep):
    name = "parent"

    def __init__(self, **kwargs):
        super().__init__(hideStepIf=lambda results, step: results == SUCCESS, **kwargs)
        self.summary_line = "triggered by a running build"

    @defer.inlineCallbacks
    def run(self):
        buildset = yield self.master.data.get(("buildsets", self.build.requests[0].bsid))
        parent_id = buildset.get("parent_buildid") if buildset else None
        parent = (yield self.master.data.get(("builds", parent_id))) if parent_id is not None else None
        why = lost_parent(parent)
        if why is None:
            return SUCCESS
        self.summary_line = why
        return CANCELLED

    def getResultSummary(self):
        return {"step": self.summary_line, "build": self.summary_line}
