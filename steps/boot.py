"""BootStep: runs `bootlab boot --json` on the worker and turns its boot record into a step.

It boots a QEMU target (`target=`) or a board (`board=`): bootlab gives both the same
verdicts, progress lines and record (a board's console is its `serial.log`).

The step never touches QEMU or a BMC (docs/design.md): it starts bootlab, follows its stderr
progress lines for a live summary, reads result.json from stdout, and pulls the record's
logs back from the worker to attach them.
"""
from __future__ import annotations

from twisted.internet import defer, error
from twisted.python.failure import Failure
from twisted.spread import pb

from buildbot import config
from buildbot.process import logobserver
from buildbot.process.buildstep import BuildStep, ShellMixin
from buildbot.process.results import CANCELLED, EXCEPTION, FAILURE, RETRY, SKIPPED, SUCCESS, WARNINGS
from buildbot.steps.worker import CompositeStepMixin
from rustux_bootlab.lab import contract as c
from rustux_bootlab.lab.contract import RECORD_LOGS, TIMELINE
from rustux_bootlab.lab.environment import ran_on
from rustux_bootlab.lab.record import BootRecord, Progress, RecordError, console_log, parse_progress, parse_verdict_line
from rustux_bootlab.lab.spec import SCREEN
from rustux_bootlab.lab.verdict import EXIT_USAGE, RETRYABLE_CULPRITS, Verdict
from rustux_bootlab.steps import screens
from rustux_bootlab.steps.transfer import read_worker_files

__all__ = ["RECORD_LOGS", "BootStep", "results_for"]  # RECORD_LOGS: lab/contract.py's, in the order a reader wants them


def results_for(result: BootRecord, attempts: int, retries: int) -> int:
    """Verdict -> Buildbot result (docs/design.md): an ERROR the lab itself caused is retried,
    at most `retries` times, because a second attempt can clear it. A PASS whose boot got
    slower (lab.boottime) is WARNINGS."""
    if result.outcome.verdict is Verdict.PASS:
        return WARNINGS if result.slower else SUCCESS
    if result.outcome.verdict is Verdict.FAIL:
        return FAILURE
    if result.outcome.verdict is Verdict.MISS:
        return SKIPPED
    if result.outcome.culprit in RETRYABLE_CULPRITS and attempts <= retries:
        return RETRY
    return EXCEPTION


class BootStep(ShellMixin, CompositeStepMixin, BuildStep):
    name = "boot"
    renderables = ("target", "board", "image", "milestones", "inventory", "baseline")

    def __init__(
        self,
        target=None,
        image="artifact/esp",
        milestones=None,
        inventory=None,
        baseline=None,
        bootlab="bootlab",
        record_dir="record",
        retries=1,
        board=None,
        cold=False,
        **kwargs,
    ):
        if bool(target) == bool(board):
            config.error("BootStep needs target= (a QEMU target) or board= (a board): the inventory name of "
                         "what to boot, exactly one of them")
        if retries < 0:
            config.error(f"BootStep retries={retries}: must be 0 or more")
        self.target = target
        self.board = board
        self.image = image
        self.milestones = milestones
        self.inventory = inventory
        self.baseline = baseline
        self.bootlab = bootlab
        self.record_dir = record_dir
        self.retries = retries
        self.cold = cold  # a QEMU boot that must not restore its firmware (the nightly golden boot)
        # On a stop, TERM first: bootlab then stops QEMU and still writes its record.
        kwargs.setdefault("sigtermTime", 10)
        kwargs = self.setupShellMixin(kwargs, prohibitArgs=["command"])
        super().__init__(**kwargs)
        self.reached_progress: Progress | None = None
        self.live_verdict: str | None = None
        self.result: BootRecord | None = None
        self.problem: str | None = None
        self.lost = False  # the worker went away mid-boot
        self.last_stderr: str | None = None  # a usage error's explanation is bootlab's last word
        self.addLogObserver("stdio", logobserver.LineConsumerLogObserver(self._follow_progress))

    def _follow_progress(self):
        while True:
            stream, line = yield
            if stream != "e":
                continue
            progress = parse_progress(line)
            if progress is not None:
                self.reached_progress = progress
                self.updateSummary()
                continue
            verdict = parse_verdict_line(line)
            if verdict is not None:
                self.live_verdict = verdict[0].value
                self.updateSummary()
            else:
                self.last_stderr = line.strip()

    def command(self) -> list[str]:
        where = ["--board", self.board] if self.board else ["--target", self.target]
        cmd = [self.bootlab, "boot", "--json", *where, "--image", self.image, "--out", self.record_dir]
        for flag, value in (("--milestones", self.milestones), ("--inventory", self.inventory), ("--baseline", self.baseline)):
            if value:
                cmd += [flag, value]
        return cmd + (["--no-warm"] if self.cold else [])

    @defer.inlineCallbacks
    def run(self):
        # A record left by an earlier build in this workdir must not be attached to this one.
        yield self.runRmdir(self.record_dir, abandonOnFailure=False)
        cmd = yield self.makeRemoteShellCommand(command=self.command(), collectStdout=True)
        try:
            yield self.runCommand(cmd)
        except (error.ConnectionLost, pb.PBConnectionLost):
            self._worker_lost()
            # Buildbot's RETRY: the request goes back to the queue for a worker that is there
            raise error.ConnectionLost() from None
        yield (yield self.getLog("stdio")).finish()
        if self.lost:
            return RETRY
        try:
            self.result = BootRecord.parse(cmd.stdout)
        except RecordError as e:
            detail = self.last_stderr if cmd.rc == EXIT_USAGE and self.last_stderr else str(e)
            self.problem = f"bootlab exited {cmd.rc}: {detail}"
            yield self.addCompleteLog("problem", self.problem + "\n")
            return CANCELLED if self.stopped else EXCEPTION
        yield self.addCompleteLog("milestones", self.result.milestone_log())
        yield self.addCompleteLog("result.json", cmd.stdout)
        shots = screens.screen_names([h.name for h in self.result.milestones if h.channel == SCREEN])
        record = yield read_worker_files(self, self.record_dir, [*RECORD_LOGS, *shots])
        yield self._attach_record(record)
        yield self._publish_screens({name: record[name] for name in shots if name in record})
        self._set_properties(self.result)
        if self.stopped:  # a person stopped the boot: no verdict to act on, nothing to retry
            return CANCELLED
        attempts = yield self._attempts()
        return results_for(self.result, attempts, self.retries)

    @defer.inlineCallbacks
    def _attach_record(self, record: dict[str, bytes]):
        for name in RECORD_LOGS:
            if name not in record:
                continue
            text = record[name].decode("utf-8", errors="replace")
            yield self.addCompleteLog(name, text)
            if name == TIMELINE and text and self.result.conversation:
                yield self.addCompleteLog("console", console_log(text))

    @defer.inlineCallbacks
    def _publish_screens(self, shots: dict[str, bytes]):
        """The record's screenshots onto the master, each linked from the step."""
        for name, data in shots.items():
            relative = screens.keep(self.master.basedir, self.build.buildid, self.name, name, data)
            yield self.addURL(name, screens.url(self.master.config.buildbotURL, relative))

    def interrupt(self, reason):
        # Buildbot's word that the worker is gone (Build.lostRemote): whatever the command does next
        if isinstance(reason, Failure) and reason.check(error.ConnectionLost):
            self._worker_lost()
        return super().interrupt(reason)

    def _worker_lost(self) -> None:
        """The worker went away mid-boot (its host crashed, or its link to the master is down):
        the lab's fault, never the code's. Its bootlab stops itself (workers/lifeline.py): QEMU
        stopped, a board powered off and released."""
        if self.lost:  # told twice: by the interrupt, then by the command's end
            return
        self.lost = True
        self.problem = (f"ERROR/lab: worker {self.getProperty('workername')} lost mid-boot; retried on a worker that is connected"
                        + (" (the board's next session powers it off if it is still on)" if self.board else ""))
        for name, value in ((c.VERDICT, "ERROR"), (c.CULPRIT, "lab"), (c.REASON, self.problem)):
            self.setProperty(name, value, "BootStep")

    def _set_properties(self, result: BootRecord) -> None:
        source = "BootStep"
        self.setProperty(c.VERDICT, result.outcome.verdict.value, source)
        self.setProperty(c.CULPRIT, result.outcome.culprit.value if result.outcome.culprit else None, source)
        self.setProperty(c.REASON, result.outcome.reason, source)
        self.setProperty(c.MILESTONES_REACHED, result.reached, source)
        self.setProperty(c.MILESTONES_TOTAL, result.milestones_total, source)
        self.setProperty(c.LAST_MILESTONE, result.outcome.last_milestone, source)
        self.setProperty(c.BOOT_DURATION_S, result.duration_s, source)
        # milestone -> seconds since the boot started: the dashboard's timeline and trends
        self.setProperty(c.MILESTONE_TIMES, {hit.name: round(hit.t, 3) for hit in result.milestones}, source)
        self.setProperty(c.TRIAGE, result.triage_rule, source)
        # the distribution and QEMU that ran it: the matrix's environment dimension
        self.setProperty(c.ENVIRONMENT, ran_on(result.environment, (result.qemu or {}).get("version")), source)
        self.setProperty(c.VERDICT_AT, round(self.master.reactor.seconds(), 3), source)

    @defer.inlineCallbacks
    def _attempts(self):
        """How many builds this request has had, this one included (RETRY re-queues it)."""
        if self.result.outcome.verdict is not Verdict.ERROR or self.result.outcome.culprit not in RETRYABLE_CULPRITS:
            return 1
        builds = yield self.master.db.builds.getBuilds(buildrequestid=self.build.requests[0].id)
        return max(1, len(builds))

    def getCurrentSummary(self):
        if self.live_verdict is not None:
            return {"step": f"boot: {self.live_verdict}, reading the record"}
        if self.reached_progress is not None:
            return {"step": self.reached_progress.summary()}
        return {"step": f"boot: starting {self.subject}" if isinstance(self.subject, str) else "boot: starting"}

    @property
    def subject(self):
        """The target or board this step boots."""
        return self.board or self.target

    def getResultSummary(self):
        if self.result is not None:
            line = self.result.summary()
            return {"step": line, "build": f"{self.subject}: {line}"}
        if self.problem is not None:
            return {"step": self.problem}
        return super().getResultSummary()
