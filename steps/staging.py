"""A boot's inputs staged onto its worker: the kernel artifact (and the golden image)
downloaded and unpacked before `bootlab boot` runs.

A failure there is the worker host's (its scratch disk full, the transfer cut off), never the
code's: the build says ERROR/lab with the reason and is RETRY, so its request goes back to the
queue for a worker that can take it. After `RETRIES` such retries of one request the build ends
EXCEPTION, still ERROR/lab: a host that stays broken must not keep a request spinning.
Found by the chaos soak (harness/chaos/): a boot staged while its host's disk was full
ended EXCEPTION with no verdict at all, a lost boot.
"""
from __future__ import annotations

from twisted.internet import defer

from buildbot.process.results import EXCEPTION, RETRY, SKIPPED, SUCCESS, WARNINGS, Results
from buildbot.steps.shell import ShellCommand
from buildbot.steps.transfer import FileDownload
from rustux_bootlab.lab import contract as c

RETRIES = 2


def staging_problem(worker: str, what: str, detail: str) -> str:
    return f"ERROR/lab: worker {worker} could not stage {what} ({detail}); retried on a worker that can"


class _Staging:
    what = "the artifact"
    retries = RETRIES
    problem: str | None = None

    @defer.inlineCallbacks
    def run(self):
        try:
            results = yield super().run()  # type: ignore[misc]
            detail = f"{self.name} ended {Results[results]}"
        except Exception as e:  # the worker's OSError (ENOSPC), a transfer cut off: the host's fault
            results, detail = EXCEPTION, f"{type(e).__name__}: {e}"
        if results in (SUCCESS, WARNINGS, SKIPPED):
            return results
        self.problem = staging_problem(self.getProperty("workername"), self.what, detail)
        for name, value in ((c.VERDICT, "ERROR"), (c.CULPRIT, "lab"), (c.REASON, self.problem)):
            self.setProperty(name, value, "Staging")
        yield self.addCompleteLog("problem", self.problem + "\n")
        builds = yield self.master.db.builds.getBuilds(buildrequestid=self.build.requests[0].id)
        return RETRY if max(1, len(builds)) <= self.retries else EXCEPTION

    def getResultSummary(self):
        if self.problem is not None:
            return {"step": self.problem, "build": self.problem}
        return super().getResultSummary()  # type: ignore[misc]


class StageDownload(_Staging, FileDownload):
    def __init__(self, what: str = "the artifact", retries: int = RETRIES, **kwargs):
        super().__init__(**kwargs)
        self.what, self.retries = what, retries


class StageBaseline(StageDownload):
    """The golden image downloaded; once it is, the build's `baseline` is its ESP (`baseline`,
    a path in the unpacked archive) for `bootlab boot` to triage a FAIL against."""
    def __init__(self, baseline: str, **kwargs):
        super().__init__(what="the golden image", **kwargs)
        self.baseline = baseline

    @defer.inlineCallbacks
    def run(self):
        results = yield super().run()
        if results == SUCCESS:
            self.setProperty(c.BASELINE, self.baseline, "StageBaseline")
        return results


class StageUnpack(_Staging, ShellCommand):
    def __init__(self, what: str = "the artifact", retries: int = RETRIES, **kwargs):
        super().__init__(**kwargs)
        self.what, self.retries = what, retries
