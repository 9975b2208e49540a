"""BootFanout: the kernel build's Trigger over every boot builder, showing each child's verdict.

Buildbot's Trigger already waits for the children and ends with the worst result; this
adds what a developer looks for first: which target said what ("q35-pflash PASS 12/12,
pc-bios FAIL after user-entry").
"""
from __future__ import annotations

from twisted.internet import defer

from buildbot.process.results import CANCELLED
from buildbot.steps.trigger import Trigger
from rustux_bootlab.lab.contract import boot_scheduler, subject_of


def child_line(builder: str, props: dict[str, object]) -> str:
    """One child's verdict from its build properties (set by BootStep)."""
    target = subject_of(builder)
    verdict = props.get("verdict")
    if verdict is None:
        return f"{target}: no verdict"
    reached, total = props.get("milestones_reached"), props.get("milestones_total")
    if verdict == "PASS":
        return f"{target} PASS {reached}/{total}"
    culprit = props.get("culprit")
    head = f"{verdict}/{culprit}" if culprit else str(verdict)
    last = props.get("last_milestone")
    return f"{target} {head} after {last}" if last else f"{target} {head}"


class BootFanout(Trigger):
    name = "boot"

    def __init__(self, **kwargs):
        super().__init__(waitForFinish=True, **kwargs)
        self.verdict_lines: list[str] = []

    @defer.inlineCallbacks
    def run(self):
        results = yield super().run()
        if results == CANCELLED:
            return results
        self.verdict_lines = yield self._child_verdicts()
        if self.verdict_lines:
            yield self.addCompleteLog("verdicts", "".join(line + "\n" for line in self.verdict_lines))
            self.setProperty("boot_verdicts", self.verdict_lines, "BootFanout")
        return results

    @defer.inlineCallbacks
    def _child_verdicts(self):
        lines = []
        for brid in self.brids:
            builds = yield self.master.db.builds.getBuilds(buildrequestid=brid)
            if not builds:
                continue
            # a RETRY leaves several builds on one request: the last one speaks
            build = max(builds, key=lambda b: b.number)
            builder = yield self.master.data.get(("builders", build.builderid))
            props = yield self.master.db.builds.getBuildProperties(build.id)
            lines.append(child_line(builder["name"], {k: v for k, (v, _) in props.items()}))
        return sorted(lines)

    def getSchedulersAndProperties(self):
        """A try may name its targets (build property `try_targets`, from `bootlab try --target`):
        then the fan-out boots only those."""
        every = super().getSchedulersAndProperties()
        chosen = self.getProperty("try_targets")
        if not chosen:
            return every
        wanted = {boot_scheduler(name) for name in chosen}
        return [s for s in every if s["sched_name"] in wanted]

    def getResultSummary(self):
        if self.verdict_lines:
            line = ", ".join(self.verdict_lines)
            return {"step": line, "build": line}
        return super().getResultSummary()
