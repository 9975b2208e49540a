"""A boot's start (steps/staging.py) against Buildbot's fake worker: the parent check, the
artifact and golden image staged and unpacked in one step; a host that cannot take them (its
disk full) is the lab's fault, retried, never a verdict-less build."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from types import SimpleNamespace

from twisted.internet import defer
from twisted.trial import unittest

from buildbot.process import remotetransfer
from buildbot.process.results import CANCELLED, EXCEPTION, RETRY, SUCCESS
from buildbot.test import fakedb
from buildbot.test.reactor import TestReactorMixin
from buildbot.test.steps import ExpectDownloadFile, ExpectRemoteRef, ExpectShell, TestBuildStepMixin
from rustux_bootlab.steps.staging import ARTIFACT, GOLDEN_ARCHIVE, UNPACK, StageBoot, StageUnpack

PROBLEM = ("ERROR/lab: worker qemu-2 could not stage the artifact and the golden image (unpack exited 2); "
           "retried on a worker that can")


class StageBootTest(TestBuildStepMixin, TestReactorMixin, unittest.TestCase):
    @defer.inlineCallbacks
    def setUp(self):
        self.setup_test_reactor()
        self.tmp = Path(tempfile.mkdtemp(prefix="stage-"))  # not in the checkout, as trial's mktemp is
        self.addCleanup(shutil.rmtree, self.tmp)
        (self.tmp / "kernel-7.tar.gz").write_bytes(b"artifact")
        yield self.setup_test_build_step(want_db=True)
        yield self.master.db.insert_test_data([fakedb.Buildset(id=22)])  # a boot forced by hand: no parent

    def stage(self, golden=True, retries=2, bsid=22):
        if golden:
            (self.tmp / "golden.tar.gz").write_bytes(b"golden")
        self.setup_step(StageBoot(str(self.tmp / "kernel-7.tar.gz"), golden=self.tmp / "golden.tar.gz",
                                  baseline="golden/esp", retries=retries))
        self.build.requests = [SimpleNamespace(id=300, bsid=bsid)]
        self.build.setProperty("workername", "qemu-2", "Worker")

    def download(self, dest, size):
        return ExpectDownloadFile(workerdest=dest, workdir="wkdir", blocksize=256 * 1024, maxsize=None, mode=None,
                                  reader=ExpectRemoteRef(remotetransfer.FileReader)).download_string(lambda data: None,
                                                                                                     size=size)

    def test_staged_with_the_golden_image_it_is_the_baseline(self):
        self.stage()
        self.expect_commands(self.download(ARTIFACT, 8).exit(0), self.download(GOLDEN_ARCHIVE, 6).exit(0),
                             ExpectShell(workdir="wkdir", command=UNPACK).exit(0))
        self.expect_outcome(result=SUCCESS, state_string="staged the artifact and the golden image")
        self.expect_property("baseline", "golden/esp")
        return self.run_step()

    def test_without_a_golden_image_there_is_no_baseline(self):
        self.stage(golden=False)
        self.expect_commands(self.download(ARTIFACT, 8).exit(0), ExpectShell(workdir="wkdir", command=UNPACK).exit(0))
        self.expect_outcome(result=SUCCESS, state_string="staged the artifact")
        self.expect_no_property("baseline")
        return self.run_step()

    def test_a_host_that_cannot_unpack_is_error_lab_and_retried(self):
        self.stage()
        self.expect_commands(self.download(ARTIFACT, 8).exit(0), self.download(GOLDEN_ARCHIVE, 6).exit(0),
                             ExpectShell(workdir="wkdir", command=UNPACK).stderr("tar: No space left on device\n").exit(2))
        self.expect_outcome(result=RETRY, state_string=PROBLEM)
        self.expect_property("verdict", "ERROR")
        self.expect_property("culprit", "lab")
        self.expect_property("reason", PROBLEM)
        self.expect_log_file("problem", PROBLEM + "\n")
        self.expect_no_property("baseline")
        return self.run_step()

    def test_it_is_not_retried_forever(self):
        self.stage(retries=0)
        self.expect_commands(self.download(ARTIFACT, 8).exit(0), self.download(GOLDEN_ARCHIVE, 6).exit(0),
                             ExpectShell(workdir="wkdir", command=UNPACK).exit(2))
        self.expect_outcome(result=EXCEPTION, state_string=PROBLEM)
        self.expect_property("verdict", "ERROR")
        return self.run_step()

    def test_a_golden_image_not_downloaded_is_the_labs_and_no_baseline(self):
        self.stage()
        self.expect_commands(self.download(ARTIFACT, 8).exit(0), self.download(GOLDEN_ARCHIVE, 6).exit(1))
        problem = ("ERROR/lab: worker qemu-2 could not stage the golden image (download of golden.tar.gz exited 1); "
                   "retried on a worker that can")
        self.expect_outcome(result=RETRY, state_string=problem)
        self.expect_property("reason", problem)
        self.expect_no_property("baseline")
        return self.run_step()

    def test_an_artifact_gone_from_the_master_is_the_labs(self):
        self.stage(golden=False)
        (self.tmp / "kernel-7.tar.gz").unlink()
        self.expect_outcome(result=RETRY)
        self.expect_property("verdict", "ERROR")
        self.expect_property("culprit", "lab")
        return self.run_step()

    @defer.inlineCallbacks
    def test_a_boot_of_a_kernel_build_that_ended_does_not_run(self):
        yield self.master.db.insert_test_data([
            fakedb.Master(id=1), fakedb.Worker(id=2, name="qemu-2"), fakedb.Builder(id=3, name="kernel"),
            fakedb.Buildset(id=20), fakedb.BuildRequest(id=10, buildsetid=20, builderid=3),
            fakedb.Build(id=5, number=7, buildrequestid=10, builderid=3, workerid=2, masterid=1,
                         complete_at=1, results=RETRY),
            fakedb.Buildset(id=21, parent_buildid=5),
        ])
        self.stage(bsid=21)
        self.expect_outcome(result=CANCELLED, state_string="kernel build 7 ended (retry) before this boot started: "
                                                           "its build request runs again and boots the kernel afresh")
        yield self.run_step()


UNPACK_GOLDEN = ["sh", "-c", 'tar -xzf "$0"', "golden.tar.gz"]
UNPACK_PROBLEM = ("ERROR/lab: worker qemu-2 could not stage golden.tar.gz (unpack-golden ended failure); "
                  "retried on a worker that can")


class StageUnpackTest(TestBuildStepMixin, TestReactorMixin, unittest.TestCase):
    """The golden builder's own unpack: a host that cannot take the archive is the lab's, as StageBoot says."""
    def setUp(self):
        self.setup_test_reactor()
        return self.setup_test_build_step()

    def stage(self, retries=2):
        self.setup_step(StageUnpack(what="golden.tar.gz", retries=retries, name="unpack-golden", command=UNPACK_GOLDEN))
        self.build.requests = [SimpleNamespace(id=300)]
        self.build.setProperty("workername", "qemu-2", "Worker")

    def test_staged_is_success_and_says_nothing(self):
        self.stage()
        self.expect_commands(ExpectShell(workdir="wkdir", command=UNPACK_GOLDEN).exit(0))
        self.expect_outcome(result=SUCCESS)
        return self.run_step()

    def test_a_host_that_cannot_unpack_is_error_lab_and_retried(self):
        self.stage()
        self.expect_commands(ExpectShell(workdir="wkdir", command=UNPACK_GOLDEN)
                             .stderr("tar: No space left on device\n").exit(2))
        self.expect_outcome(result=RETRY, state_string=UNPACK_PROBLEM)
        self.expect_property("verdict", "ERROR")
        self.expect_property("culprit", "lab")
        self.expect_property("reason", UNPACK_PROBLEM)
        return self.run_step()

    def test_it_is_not_retried_forever(self):
        self.stage(retries=0)
        self.expect_commands(ExpectShell(workdir="wkdir", command=UNPACK_GOLDEN).exit(2))
        self.expect_outcome(result=EXCEPTION, state_string=UNPACK_PROBLEM)
        self.expect_property("verdict", "ERROR")
        return self.run_step()
