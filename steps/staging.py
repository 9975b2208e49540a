"""A boot's inputs staged onto its worker, in one step: whether the kernel build that triggered
it still runs (steps/parent.py), then the kernel artifact and the target's golden image
downloaded and both unpacked, before `bootlab boot` runs.

One step rather than four: each step costs the master several database writes (~0.1 s quiet,
~1 s loaded) and a fan-out starts every target's boot at once.

A failure there is the worker host's (its scratch disk full, the transfer cut off), never the
code's: the build says ERROR/lab with the reason and is RETRY, so its request goes back to the
queue for a worker that can take it. After `RETRIES` such retries of one request the build ends
EXCEPTION, still ERROR/lab: a host that stays broken must not keep a request spinning.
Found by the chaos soak (harness/chaos/): a boot staged while its host's disk was full
ended EXCEPTION with no verdict at all, a lost boot.
"""
from __future__ import annotations

from pathlib import Path

from twisted.internet import defer

from buildbot.process import remotetransfer
from buildbot.process.buildstep import BuildStep, ShellMixin
from buildbot.process.results import CANCELLED, EXCEPTION, RETRY, SKIPPED, SUCCESS, WARNINGS, Results
from buildbot.steps.shell import ShellCommand
from buildbot.steps.worker import CompositeStepMixin
from rustux_bootlab.lab import contract as c
from rustux_bootlab.steps.parent import parent_lost

RETRIES = 2
ARTIFACT = "kernel.tar.gz"  # esp/ + milestones.yaml: the spec travels with the kernel it describes
GOLDEN_ARCHIVE = "golden.tar.gz"  # the last artifact that passed on the target
# Both unpacked afresh; the golden archive removed once unpacked, so one a lost build left is
# never taken for this build's.
UNPACK = ["sh", "-c", 'rm -rf artifact golden && mkdir artifact && tar -xzf "$0" -C artifact && '
                      '{ [ ! -e "$1" ] || { mkdir golden && tar -xzf "$1" -C golden && rm "$1"; }; }',
          ARTIFACT, GOLDEN_ARCHIVE]


def staging_problem(worker: str, what: str, detail: str) -> str:
    return f"ERROR/lab: worker {worker} could not stage {what} ({detail}); retried on a worker that can"


class _Staging:
    """What a staging step says when its worker cannot take the inputs: the lab's fault."""
    retries = RETRIES
    summary_line: str | None = None

    @defer.inlineCallbacks
    def _failed(self, what: str, detail: str):
        self.summary_line = staging_problem(self.getProperty("workername"), what, detail)
        for name, value in ((c.VERDICT, "ERROR"), (c.CULPRIT, "lab"), (c.REASON, self.summary_line)):
            self.setProperty(name, value, "Staging")
        yield self.addCompleteLog("problem", self.summary_line + "\n")
        builds = yield self.master.db.builds.getBuilds(buildrequestid=self.build.requests[0].id)
        return RETRY if max(1, len(builds)) <= self.retries else EXCEPTION

    def getResultSummary(self):
        if self.summary_line is None:
            return super().getResultSummary()
        if self.results == SUCCESS:
            return {"step": self.summary_line}
        return {"step": self.summary_line, "build": self.summary_line}


class StageBoot(_Staging, ShellMixin, CompositeStepMixin, BuildStep):
    """`artifact`: the kernel build's archive on the master; `golden`: the target's last image
    that passed (staged when the file exists), after which the build's `baseline` is `baseline`
    (its ESP in the unpacked archive) for `bootlab boot` to triage a FAIL against."""
    name = "stage"
    renderables = ("artifact",)

    def __init__(self, artifact, golden: Path | None = None, baseline: str | None = None, retries: int = RETRIES,
                 **kwargs):
        kwargs = self.setupShellMixin(kwargs, prohibitArgs=["command"])
        super().__init__(haltOnFailure=True, **kwargs)
        self.artifact, self.golden, self.baseline, self.retries = artifact, golden, baseline, retries

    @defer.inlineCallbacks
    def run(self):
        why = yield parent_lost(self)
        if why is not None:
            self.summary_line = why
            return CANCELLED
        staged = [(Path(self.artifact), ARTIFACT, "the artifact")]
        if self.golden is not None and self.golden.exists():
            staged.append((self.golden, GOLDEN_ARCHIVE, "the golden image"))
        for source, dest, what in staged:
            detail = yield self._download(source, dest)
            if detail is not None:
                return (yield self._failed(what, detail))
        cmd = yield self.makeRemoteShellCommand(command=UNPACK)
        yield self.runCommand(cmd)
        inputs = " and ".join(what for _, _, what in staged)
        if cmd.didFail():
            return (yield self._failed(inputs, f"unpack exited {cmd.rc}"))
        if len(staged) > 1 and self.baseline:
            self.setProperty(c.BASELINE, self.baseline, "StageBoot")
        self.summary_line = f"staged {inputs}"
        return SUCCESS

    @defer.inlineCallbacks
    def _download(self, source: Path, dest: str):
        """Deferred: None once `source` is the worker's `dest`, else what went wrong."""
        try:
            with open(source, "rb") as fp:
                args = {"workdir": self.workdir, "workerdest": dest, "reader": remotetransfer.FileReader(fp),
                        "maxsize": None, "blocksize": 256 * 1024, "mode": None}
                cmd = yield self.runRemoteCommand("downloadFile", args, abandonOnFailure=False,
                                                  evaluateCommand=lambda cmd: cmd)
        except Exception as e:  # the master's copy gone, the worker's OSError (ENOSPC), a transfer cut off
            return f"{type(e).__name__}: {e}"
        return f"download of {source.name} exited {cmd.rc}" if cmd.didFail() else None


class StageUnpack(_Staging, ShellCommand):
    """An archive unpacked on its own (the golden builder's), a failure the lab's as StageBoot's."""
    def __init__(self, what: str, retries: int = RETRIES, **kwargs):
        super().__init__(**kwargs)
        self.what, self.retries = what, retries

    @defer.inlineCallbacks
    def run(self):
        try:
            results = yield super().run()
            detail = f"{self.name} ended {Results[results]}"
        except Exception as e:  # the worker's OSError (ENOSPC): the host's fault
            results, detail = EXCEPTION, f"{type(e).__name__}: {e}"
        if results in (SUCCESS, WARNINGS, SKIPPED):
            return results
        return (yield self._failed(self.what, detail))
