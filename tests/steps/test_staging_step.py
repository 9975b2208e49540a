"""A boot's staging steps (steps/staging.py) against Buildbot's fake worker: a host that cannot
take the artifact (its disk full) is the lab's fault, retried, never a verdict-less build."""
from __future__ import annotations

import shutil
import tempfile
from types import SimpleNamespace

from twisted.trial import unittest

from buildbot.process import remotetransfer
from buildbot.process.results import EXCEPTION, RETRY, SUCCESS
from buildbot.test.reactor import TestReactorMixin
from buildbot.test.steps import ExpectDownloadFile, ExpectRemoteRef, ExpectShell, TestBuildStepMixin
from rustux_bootlab.steps.staging import StageBaseline, StageUnpack

CMD = ["sh", "-c", 'tar -xzf "$0"', "kernel.tar.gz"]
PROBLEM = ("ERROR/lab: worker qemu-2 could not stage kernel.tar.gz (unpack ended failure); "
           "retried on a worker that can")


class StagingTest(TestBuildStepMixin, TestReactorMixin, unittest.TestCase):
    def setUp(self):
        self.setup_test_reactor()
        return self.setup_test_build_step()

    def stage(self, retries=2):
        self.setup_step(StageUnpack(what="kernel.tar.gz", retries=retries, name="unpack", command=CMD))
        self.build.requests = [SimpleNamespace(id=300)]
        self.build.setProperty("workername", "qemu-2", "Worker")

    def test_staged_is_success_and_says_nothing(self):
        self.stage()
        self.expect_commands(ExpectShell(workdir="wkdir", command=CMD).exit(0))
        self.expect_outcome(result=SUCCESS)
        return self.run_step()

    def test_a_host_that_cannot_unpack_is_error_lab_and_retried(self):
        self.stage()
        self.expect_commands(ExpectShell(workdir="wkdir", command=CMD).stderr("tar: No space left on device\n").exit(2))
        self.expect_outcome(result=RETRY, state_string=PROBLEM)
        self.expect_property("verdict", "ERROR")
        self.expect_property("culprit", "lab")
        self.expect_property("reason", PROBLEM)
        return self.run_step()

    def test_it_is_not_retried_forever(self):
        self.stage(retries=0)
        self.expect_commands(ExpectShell(workdir="wkdir", command=CMD).exit(2))
        self.expect_outcome(result=EXCEPTION, state_string=PROBLEM)
        self.expect_property("verdict", "ERROR")
        return self.run_step()


class BaselineTest(TestBuildStepMixin, TestReactorMixin, unittest.TestCase):
    """The golden image's download sets the build's baseline only once the image is there."""
    def setUp(self):
        self.setup_test_reactor()
        return self.setup_test_build_step()

    def stage(self):
        tmp = tempfile.mkdtemp(prefix="golden-")
        self.addCleanup(shutil.rmtree, tmp)
        golden = f"{tmp}/golden.tar.gz"
        with open(golden, "wb") as out:
            out.write(b"golden")
        self.setup_step(StageBaseline(mastersrc=golden, workerdest="golden.tar.gz", baseline="golden/esp",
                                      name="download-golden"))
        self.build.requests = [SimpleNamespace(id=300)]
        self.build.setProperty("workername", "qemu-2", "Worker")

    def download(self):
        return ExpectDownloadFile(workerdest="golden.tar.gz", workdir="wkdir", blocksize=16384, maxsize=None,
                                  mode=None, reader=ExpectRemoteRef(remotetransfer.FileReader))

    def test_downloaded_it_is_the_baseline(self):
        self.stage()
        self.expect_commands(self.download().download_string(lambda data: None, size=6).exit(0))
        self.expect_outcome(result=SUCCESS)
        self.expect_property("baseline", "golden/esp")
        return self.run_step()

    def test_not_downloaded_there_is_no_baseline_and_the_lab_says_why(self):
        self.stage()
        self.expect_commands(self.download().exit(1))
        self.expect_outcome(result=RETRY)
        self.expect_property("verdict", "ERROR")
        self.expect_no_property("baseline")
        return self.run_step()
