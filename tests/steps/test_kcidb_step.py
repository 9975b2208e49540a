"""KcidbReport never writes KCIDB JSON for a build that has no commit (a failed checkout of a
revision like `master`): the schema needs a 40-hex commit hash, and there is none to name.
The written case (a try's checkout named by base + patch) runs through a real master in
tests/integration/test_bootlab_try.py."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from twisted.trial import unittest

from buildbot.process.results import SKIPPED
from buildbot.test.reactor import TestReactorMixin
from buildbot.test.steps import TestBuildStepMixin
from rustux_bootlab.steps.kcidb import KcidbReport


class KcidbReportTest(TestBuildStepMixin, TestReactorMixin, unittest.TestCase):
    def setUp(self):
        self.setup_test_reactor()
        return self.setup_test_build_step()

    def test_a_build_whose_revision_is_a_branch_name_writes_nothing(self):
        out = Path(tempfile.mkdtemp(prefix="kcidb-step-")) / "kcidb"  # not in the checkout, as trial's mktemp is
        self.addCleanup(shutil.rmtree, out.parent, True)
        self.setup_step(KcidbReport(out, "https://example.org/rustux.git", "main"))
        self.build.setProperty("revision", "master", "try")
        self.expect_outcome(result=SKIPPED, state_string="no KCIDB JSON: the build has no commit (revision 'master')")
        d = self.run_step()
        d.addCallback(lambda _: self.assertFalse(out.exists()))
        return d
