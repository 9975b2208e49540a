"""BisectStep against Buildbot's fake worker (ExpectShell plays `bootlab bisect`), and
BisectTrigger's decision on a fake build's source stamp and properties."""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

from twisted.internet import defer
from twisted.trial import unittest

from buildbot.process.results import EXCEPTION, SKIPPED, SUCCESS, WARNINGS
from buildbot.steps.trigger import Trigger
from buildbot.test.reactor import TestReactorMixin
from buildbot.test.steps import ExpectShell, TestBuildStepMixin
from rustux_bootlab.steps.bisect import BisectStep, BisectTrigger, load_history, save_history
from rustux_bootlab.lab.bisect_start import TargetHistory

GOOD, BAD, CULPRIT = "a" * 40, "b" * 40, "c" * 40
CMD = ["bootlab", "bisect", "--json", "--repo", ".", "--good", GOOD, "--bad", BAD, "--target", "q35-pflash",
       "--out", "../bisect-record", "--cargo-dir", "../cargo", "--inventory", "/lab/inventory.yaml"]


def bisect_json(culprit=True, conclusion="culprit cccccccccccc confirmed", boots=8):
    c = {"commit": CULPRIT, "subject": "turn triple-fault on", "author": "Ann <ann@example.org>",
         "lost_milestone": "cpu-tables"} if culprit else None
    return json.dumps({"culprit": c, "steps": [], "conclusion": conclusion, "boots": boots, "wall_s": 150.0})


class BisectStepTest(TestBuildStepMixin, TestReactorMixin, unittest.TestCase):
    def setUp(self):
        self.setup_test_reactor()
        return self.setup_test_build_step()

    def step(self):
        return BisectStep("q35-pflash", good=GOOD, bad=BAD, inventory="/lab/inventory.yaml")

    def test_a_confirmed_culprit_is_the_summary_and_properties(self):
        self.setup_step(self.step())
        self.expect_commands(ExpectShell(workdir="wkdir", command=CMD)
                             .stderr("bisect: step 1 check-bad bbbbbbbbbbbb \"x\": building\n")
                             .stdout(bisect_json()).exit(0))
        self.expect_outcome(result=SUCCESS, state_string='culprit cccccccccccc "turn triple-fault on" '
                            "(Ann <ann@example.org>): lost milestone cpu-tables; 8 boots in 2.5 min")
        self.expect_property("culprit_commit", CULPRIT)
        self.expect_property("lost_milestone", "cpu-tables")
        self.expect_property("bisect_boots", 8)
        self.expect_log_file("bisect.json", bisect_json())
        return self.run_step()

    def test_no_confirmed_culprit_is_a_warning(self):
        self.setup_step(self.step())
        self.expect_commands(ExpectShell(workdir="wkdir", command=CMD)
                             .stdout(bisect_json(False, "no culprit: the bad end bbbbbbbbbbbb passes", 1)).exit(1))
        self.expect_outcome(result=WARNINGS, state_string="no culprit: the bad end bbbbbbbbbbbb passes; 1 boots in 2.5 min")
        return self.run_step()

    def test_the_lab_failing_is_an_exception_never_a_culprit(self):
        self.setup_step(self.step())
        self.expect_commands(ExpectShell(workdir="wkdir", command=CMD)
                             .stdout(bisect_json(False, "no culprit: the bad end's boot was a lab fault", 2)).exit(3))
        self.expect_outcome(result=EXCEPTION, state_string="no culprit: the bad end's boot was a lab fault; 2 boots in 2.5 min")
        self.expect_property("culprit_commit", None)
        return self.run_step()


class BisectTriggerTest(TestBuildStepMixin, TestReactorMixin, unittest.TestCase):
    def setUp(self):
        self.setup_test_reactor()
        return self.setup_test_build_step()

    def trigger(self, tmp, verdict, culprit, revision=BAD, patch=None):
        step = BisectTrigger("q35-pflash", tmp / "history.json", schedulerNames=["bisect-q35-pflash"])
        self.setup_step(step)
        self.build.sources[""] = SimpleNamespace(revision=revision, patch=patch)
        self.build.setProperty("verdict", verdict, "BootStep")
        self.build.setProperty("culprit", culprit, "BootStep")
        return step

    def tmp(self):
        tmp = Path(tempfile.mkdtemp(prefix="bisect-trigger-"))
        self.addCleanup(shutil.rmtree, tmp)
        return tmp

    @defer.inlineCallbacks
    def test_pass_then_fail_code_triggers_the_bisection(self):
        tmp = self.tmp()
        save_history(tmp / "history.json", TargetHistory("PASS", GOOD, GOOD))
        self.trigger(tmp, "FAIL", "code")
        triggered = {}

        # Buildbot's own Trigger.run (schedulers, build requests) is not what is tested here.
        def fake_run(self):
            triggered.update(self.set_properties)
            return defer.succeed(SUCCESS)

        with mock.patch.object(Trigger, "run", fake_run):
            self.expect_outcome(result=SUCCESS, state_string=f"PASS at {GOOD[:12]}, FAIL (code) at {BAD[:12]}: bisecting")
            yield self.run_step()
        assert triggered == {"good_rev": GOOD, "bad_rev": BAD, "target": "q35-pflash"}
        assert load_history(tmp / "history.json") == TargetHistory("FAIL", BAD, GOOD)

    def test_an_error_never_triggers_and_leaves_the_history(self):
        tmp = self.tmp()
        save_history(tmp / "history.json", TargetHistory("PASS", GOOD, GOOD))
        self.trigger(tmp, "ERROR", "firmware")
        self.expect_outcome(result=SKIPPED, state_string="ERROR is not the code's failure: no bisection")
        d = self.run_step()
        d.addCallback(lambda _: self.assertEqual(load_history(tmp / "history.json"), TargetHistory("PASS", GOOD, GOOD)))
        return d

    def test_a_try_build_never_triggers(self):
        tmp = self.tmp()
        save_history(tmp / "history.json", TargetHistory("PASS", GOOD, GOOD))
        self.trigger(tmp, "FAIL", "code", patch=(1, "diff"))
        self.expect_outcome(result=SKIPPED, state_string="a patched build (try) is not on the branch: no bisection")
        return self.run_step()
