"""PowerAction: an operator's board action on the board's worker: `bootlab power BOARD ACTION`,
`bootlab quarantine|release BOARD --reason ... --by OPERATOR`, or `bootlab bmc-check BOARD`
(nightly too: a BMC that accepts a session without a password is a FAILURE, loudly).

The BMC password never reaches the master: bootlab resolves the board's secret by name on
the worker. The summary is bootlab's own read-back ("vboard-1: power off", "vboard-1:
quarantined by alice since ...: fan broken"); a BMC that does not answer is the board's
fault, an EXCEPTION like any ERROR/board. A quarantine without a reason is refused (FAILURE).
"""
from __future__ import annotations

from twisted.internet import defer

from buildbot import config
from buildbot.process import logobserver
from buildbot.process.buildstep import BuildStep, ShellMixin
from buildbot.process.results import EXCEPTION, FAILURE, SUCCESS

# `bootlab power`'s actions (workers/bootlab/boards.py)
POWER_ACTIONS = ("status", "on", "off", "cycle", "reset")
# `bootlab quarantine` and `bootlab release` (workers/bootlab/quarantine.py)
HEALTH_ACTIONS = ("quarantine", "release")
# `bootlab bmc-check` (workers/bootlab/bmc_check.py): exit 1 when the BMC is open to anyone
BMC_CHECK = "bmc-check"
BOARD_ACTIONS = POWER_ACTIONS + HEALTH_ACTIONS + (BMC_CHECK,)


class PowerAction(ShellMixin, BuildStep):
    name = "power"
    renderables = ("board", "action", "reason", "operator")

    def __init__(self, board, action, inventory=None, bootlab="bootlab", reason="", operator="", **kwargs):
        if isinstance(action, str) and action not in BOARD_ACTIONS:
            config.error(f"PowerAction action={action!r}: expected one of {', '.join(BOARD_ACTIONS)}")
        self.board = board
        self.action = action
        self.reason = reason  # quarantine/release: why, for the board's next user
        self.operator = operator  # quarantine/release: who, named in every MISS that follows
        self.inventory = inventory
        self.bootlab = bootlab
        kwargs = self.setupShellMixin(kwargs, prohibitArgs=["command"])
        super().__init__(**kwargs)
        self.last_line: str | None = None
        self.addLogObserver("stdio", logobserver.LineConsumerLogObserver(self._last_line))

    def _last_line(self):
        while True:
            stream, line = yield
            if stream != "h" and line.strip():  # "h": Buildbot's own header lines
                self.last_line = line.strip().removeprefix("bootlab: ")

    def command(self) -> list[str]:
        if self.action in HEALTH_ACTIONS:
            command = [self.bootlab, self.action, self.board, "--reason", self.reason or ""]
            if self.operator:
                command += ["--by", self.operator]
        elif self.action == BMC_CHECK:
            command = [self.bootlab, BMC_CHECK, self.board]
        else:
            command = [self.bootlab, "power", self.board, self.action]
        if self.inventory:
            command += ["--inventory", self.inventory]
        return command

    @defer.inlineCallbacks
    def run(self):
        cmd = yield self.makeRemoteShellCommand(command=self.command())
        yield self.runCommand(cmd)
        yield (yield self.getLog("stdio")).finish()
        if cmd.rc == 0:
            return SUCCESS
        # a refused health change (no reason, nothing to release) is the request's fault, not the board's;
        # an open BMC is a finding about the board (exit 1), one the lab cannot reach an EXCEPTION
        return FAILURE if self.action in HEALTH_ACTIONS or (self.action == BMC_CHECK and cmd.rc == 1) else EXCEPTION

    def getResultSummary(self):
        if self.last_line:
            return {"step": self.last_line, "build": self.last_line}
        return super().getResultSummary()
