"""BoardState: publishes a board's state, as its worker sees it, to the master.

Power, health (good/suspect/quarantined, by whom, why, since when) and who holds the board
live on the board's worker (its BMC, `$BOOTLAB_STATE`); the master must not read a worker's
files. So every board boot and every operator action ends with `bootlab boards --json NAME`
on the board's worker, and this step keeps the answer as the build property `board_state`,
which the dashboard's boards page reads through the data API.
"""
from __future__ import annotations

import json

from twisted.internet import defer

from buildbot.process.buildstep import BuildStep, ShellMixin
from buildbot.process.results import SUCCESS, WARNINGS

PROPERTY = "board_state"


class BoardState(ShellMixin, BuildStep):
    name = "board-state"
    renderables = ("board",)

    def __init__(self, board: str, inventory=None, bootlab="bootlab", **kwargs):
        self.board = board
        self.inventory = inventory
        self.bootlab = bootlab
        kwargs.setdefault("alwaysRun", True)  # the state after a failed boot matters most
        kwargs = self.setupShellMixin(kwargs, prohibitArgs=["command"])
        super().__init__(**kwargs)
        self.state: dict | None = None

    def command(self) -> list[str]:
        command = [self.bootlab, "boards", "--json", self.board]
        if self.inventory:
            command += ["--inventory", self.inventory]
        return command

    @defer.inlineCallbacks
    def run(self):
        cmd = yield self.makeRemoteShellCommand(command=self.command(), collectStdout=True)
        yield self.runCommand(cmd)
        try:
            self.state = next(s for s in json.loads(cmd.stdout) if s.get("board") == self.board)
        except (ValueError, StopIteration, AttributeError, TypeError):
            return WARNINGS  # the boot's own verdict stands; the page says the state is unknown
        self.setProperty(PROPERTY, self.state, "BoardState")
        return SUCCESS

    def getResultSummary(self):
        if self.state is not None:
            health = (self.state.get("health") or {}).get("state", "?")
            line = f"{self.board}: power {self.state.get('power') or '?'}, {health}"
            return {"step": line}
        return {"step": f"{self.board}: state unknown (bootlab boards --json gave no answer)"}
