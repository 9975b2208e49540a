"""Bisection in Buildbot: a boot that turns a target from PASS to FAIL/code starts one.

`BisectTrigger` ends every `boot/<target>` build: it applies lab.bisect_start's rules to the
boot's verdict and the target's history (`<master>/history/<target>.json`, master-side, a few
bytes) and triggers `bisect/<target>` with `good_rev`/`bad_rev` when the rules say so.
`BisectStep` is that builder's step: it runs `bootlab bisect --json` on the target's worker
(the same build script and boot session as the kernel and boot builders), follows its
`bisect: step ...` lines for a live summary, and ends with the culprit.
"""
from __future__ import annotations

import json
from pathlib import Path

from twisted.internet import defer

from buildbot.process import logobserver
from buildbot.process.buildstep import BuildStep, ShellMixin
from buildbot.process.results import EXCEPTION, FAILURE, SKIPPED, SUCCESS, WARNINGS
from buildbot.steps.trigger import Trigger
from rustux_bootlab.lab.bisect_start import TargetHistory, decide_start
from rustux_bootlab.lab.jsonfile import write_json
from rustux_bootlab.lab.bisection import EXIT_CULPRIT, EXIT_LAB_FAILED, EXIT_NO_CULPRIT, summary_line
from rustux_bootlab.lab.verdict import Culprit, Verdict

BISECT_RESULTS = {EXIT_CULPRIT: SUCCESS, EXIT_NO_CULPRIT: WARNINGS, EXIT_LAB_FAILED: EXCEPTION}


def load_history(path: Path) -> TargetHistory:
    try:
        return TargetHistory.from_dict(json.loads(path.read_text()))
    except (OSError, ValueError):  # none yet, or unreadable: the next PASS starts it afresh
        return TargetHistory()


def save_history(path: Path, history: TargetHistory) -> None:
    write_json(path, history.to_dict())


class BisectTrigger(Trigger):
    """Triggers `bisect/<target>` when this boot turned the target from PASS to FAIL/code."""

    name = "bisect-trigger"

    def __init__(self, target: str, history: Path, **kwargs):
        kwargs.setdefault("alwaysRun", True)
        super().__init__(waitForFinish=False, **kwargs)
        self.target = target
        self.history = history
        self.why = "checking"

    @defer.inlineCallbacks
    def run(self):
        verdict = self.getProperty("verdict")
        culprit = self.getProperty("culprit")
        stamps = self.build.getAllSourceStamps()
        stamp = stamps[0] if stamps else None
        if verdict is None:
            self.why = "no verdict: no bisection"
            return SKIPPED
        decision = decide_start(load_history(self.history), Verdict(verdict), Culprit(culprit) if culprit else None,
                                stamp.revision if stamp else None, bool(stamp and stamp.patch))
        save_history(self.history, decision.history)
        self.why = decision.why
        if not decision.start:
            return SKIPPED
        self.set_properties = {**self.set_properties, "good_rev": decision.good, "bad_rev": decision.bad,
                               "target": self.target}
        result = yield super().run()
        return result

    def getCurrentSummary(self):
        return {"step": self.why}

    def getResultSummary(self):
        return {"step": self.why}


class BisectStep(ShellMixin, BuildStep):
    name = "bisect"
    renderables = ("good", "bad")

    def __init__(self, target: str, good, bad, inventory: str | None = None, bootlab: str = "bootlab",
                 cargo_dir: str = "../cargo", **kwargs):
        kwargs = self.setupShellMixin(kwargs, prohibitArgs=["command"])
        super().__init__(**kwargs)
        self.target, self.good, self.bad = target, good, bad
        self.inventory, self.bootlab, self.cargo_dir = inventory, bootlab, cargo_dir
        self.live = "starting"
        self.line: str | None = None
        self.addLogObserver("stdio", logobserver.LineConsumerLogObserver(self._follow))

    def _follow(self):
        while True:
            stream, line = yield
            if stream == "e" and line.startswith("bisect: step "):
                self.live = line.removeprefix("bisect: ").split(": ", 1)[0]
                self.updateSummary()

    @defer.inlineCallbacks
    def run(self):
        command = [self.bootlab, "bisect", "--json", "--repo", ".", "--good", self.good, "--bad", self.bad,
                   "--target", self.target, "--out", "../bisect-record", "--cargo-dir", self.cargo_dir]
        if self.inventory:
            command += ["--inventory", self.inventory]
        cmd = yield self.makeRemoteShellCommand(command=command, collectStdout=True)
        yield self.runCommand(cmd)
        try:
            data = json.loads(cmd.stdout)
        except ValueError:
            self.line = f"bootlab bisect exited {cmd.rc} without a result: see stdio"
            return FAILURE if cmd.rc == 2 else EXCEPTION
        yield self.addCompleteLog("bisect.json", cmd.stdout)
        self.line = summary_line(data)
        culprit = data.get("culprit") or {}
        for name, value in (("culprit_commit", culprit.get("commit")), ("culprit_subject", culprit.get("subject")),
                            ("culprit_author", culprit.get("author")), ("lost_milestone", culprit.get("lost_milestone")),
                            ("bisect_boots", data.get("boots"))):
            self.setProperty(name, value, "BisectStep")
        return BISECT_RESULTS.get(cmd.rc, FAILURE)

    def getCurrentSummary(self):
        return {"step": f"bisect: {self.live}"}

    def getResultSummary(self):
        if self.line:
            return {"step": self.line, "build": f"{self.target}: {self.line}"}
        return super().getResultSummary()
