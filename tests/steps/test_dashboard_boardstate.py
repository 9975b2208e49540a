"""BoardState: `bootlab boards --json NAME` on the board's worker, kept as the build property
`board_state` (the master never reads the worker's state files); bootlab's parser accepts it."""
from __future__ import annotations

import json

from twisted.trial import unittest

from buildbot.process.results import SUCCESS, WARNINGS
from buildbot.test.reactor import TestReactorMixin
from buildbot.test.steps import ExpectShell, TestBuildStepMixin
from rustux_bootlab.steps.dashboard.boardstate import PROPERTY, BoardState
from rustux_bootlab.workers.bootlab import parser as bootlab_parser

STATE = {"board": "vboard-1", "power": "off", "console": "sol", "held_by": "-",
         "health": {"state": "quarantined", "by": "alice", "reason": "fan broken", "since": "2026-12-01T23:00:00Z"}}


class BoardStateTest(TestBuildStepMixin, TestReactorMixin, unittest.TestCase):
    def setUp(self):
        self.setup_test_reactor()
        return self.setup_test_build_step()

    def test_the_workers_answer_becomes_the_board_state_property(self):
        self.setup_step(BoardState("vboard-1", inventory="inv.yaml"))
        command = ["bootlab", "boards", "--json", "vboard-1", "--inventory", "inv.yaml"]
        self.expect_commands(ExpectShell(workdir="wkdir", command=command).stdout(json.dumps([STATE])).exit(0))
        self.expect_outcome(result=SUCCESS, state_string="vboard-1: power off, quarantined")
        self.expect_property(PROPERTY, STATE, "BoardState")
        return self.run_step()

    def test_no_answer_is_a_warning_and_sets_nothing(self):
        self.setup_step(BoardState("vboard-1"))
        self.expect_commands(ExpectShell(workdir="wkdir", command=["bootlab", "boards", "--json", "vboard-1"])
                             .stderr("bootlab: no board vboard-1\n").exit(2))
        self.expect_outcome(result=WARNINGS,
                            state_string="vboard-1: state unknown (bootlab boards --json gave no answer)")
        self.expect_no_property(PROPERTY)
        return self.run_step()


def test_bootlabs_parser_takes_the_steps_command():
    argv = ["boards", "--json", "vboard-1", "--inventory", "inv.yaml"]
    args = bootlab_parser(argv).parse_args(argv)
    assert (args.json, args.names, str(args.inventory)) == (True, ["vboard-1"], "inv.yaml")
