"""PowerAction: an operator's board action, `bootlab power BOARD ACTION` on the board's worker.

The BMC password never reaches the master: bootlab resolves the board's secret by name on
the worker. The summary is bootlab's own read-back ("vboard-1: power off"); a BMC that does
not answer is the board's fault, an EXCEPTION like any ERROR/board.
"""
from __future__ import annotations

from twisted.internet import defer

from buildbot import config
from buildbot.process import logobserver
from buildbot.process.buildstep import BuildStep, ShellMixin
from buildbot.process.results import EXCEPTION, SUCCESS

# `bootlab power`'s actions (workers/boardcli.py)
POWER_ACTIONS = ("status", "on", "off", "cycle", "reset")


class PowerAction(ShellMixin, BuildStep):
    name = "power"
    renderables = ("board", "action")

    def __init__(self, board, action, inventory=None, bootlab="bootlab", **kwargs):
        if isinstance(action, str) and action not in POWER_ACTIONS:
            config.error(f"PowerAction action={action!r}: expected one of {', '.join(POWER_ACTIONS)}")
        self.board = board
        self.action = action
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

    @defer.inlineCallbacks
    def run(self):
        command = [self.bootlab, "power", self.board, self.action]
        if self.inventory:
            command += ["--inventory", self.inventory]
        cmd = yield self.makeRemoteShellCommand(command=command)
        yield self.runCommand(cmd)
        yield (yield self.getLog("stdio")).finish()
        return SUCCESS if cmd.rc == 0 else EXCEPTION

    def getResultSummary(self):
        if self.last_line:
            return {"step": self.last_line, "build": self.last_line}
        return super().getResultSummary()
