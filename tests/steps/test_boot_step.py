"""BootStep against Buildbot's fake worker: ExpectShell plays bootlab's side of the contract."""
from __future__ import annotations

import io
import json
import shutil
import tarfile
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from twisted.internet import defer, error
from twisted.trial import unittest

from buildbot.config.errors import ConfigErrors, capture_config_errors

from buildbot.process.results import CANCELLED, EXCEPTION, FAILURE, RETRY, SKIPPED, SUCCESS, WARNINGS
from buildbot.test.reactor import TestReactorMixin
from buildbot.test.steps import ExpectRemoteRef, ExpectRmdir, ExpectShell, ExpectUploadDirectory, TestBuildStepMixin
from rustux_bootlab.steps.boot import BootStep
from rustux_bootlab.steps.transfer import MAX_LOG_BYTES, MAX_RECORD_BYTES, _BytesWriter, top_files

NAMES = ["entry", "memory-map", "gdt", "idt", "paging", "heap-ok"]
CMD = ["bootlab", "boot", "--json", "--target", "q35-pflash", "--image", "artifact/esp", "--out", "record",
       "--milestones", "artifact/milestones.yaml"]


def result_json(verdict, culprit=None, reason="", reached=6, total=6, duration=6.07, triage=None):
    milestones = [{"name": n, "t": i + 0.5, "channel": "debugcon", "line": n} for i, n in enumerate(NAMES[:reached])]
    return json.dumps({
        "verdict": verdict, "culprit": culprit, "reason": reason,
        "last_milestone": milestones[-1]["name"] if milestones else None,
        "milestones": milestones, "milestones_total": total, "target": "q35-pflash",
        "duration_s": duration, "triage": triage,
    })


def tar_of(files: dict[str, str | bytes]) -> bytes:
    """A record directory as the worker's `uploadDirectory` sends it."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        subdir = tarfile.TarInfo("baseline")  # triage's record: not read
        subdir.type = tarfile.DIRTYPE
        tar.addfile(subdir)
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def record_upload(files: dict[str, str | bytes] | None) -> ExpectUploadDirectory:
    """The record read back in one transfer: a tar of `files`, or no record directory (None)."""
    upload = ExpectUploadDirectory(workersrc="record", workdir="wkdir", blocksize=256 * 1024, maxsize=MAX_RECORD_BYTES,
                                   compress=None, writer=ExpectRemoteRef(_BytesWriter))
    if files is None:
        return upload.exit(1)

    def send(command):
        command.args["writer"].remote_write(tar_of(files))
        command.args["writer"].remote_unpack()

    return upload.behavior(send).exit(0)


def test_top_files_takes_the_named_files_each_cut_at_the_limit_and_what_came_whole_of_a_cut_archive():
    big = b"x" * (MAX_LOG_BYTES + 10)
    archive = tar_of({"timeline.log": "t\n", "serial.log": big, "other.log": "o", "baseline/serial.log": "b"})
    assert top_files(archive, ["timeline.log", "serial.log", "screen.png", "baseline"]) == {
        "timeline.log": b"t\n", "serial.log": big[:MAX_LOG_BYTES]}
    # cut at the record's limit inside serial.log: timeline.log came whole, serial.log did not
    assert top_files(archive[:2048 + 1024], ["timeline.log", "serial.log"]) == {"timeline.log": b"t\n"}
    assert top_files(b"", ["timeline.log"]) == {}


def progress(reached, total=6):
    return "".join(f"bootlab: milestone {i + 1}/{total} {NAMES[i]} {i + 0.5:.2f}s\n" for i in range(reached))


class BootStepTest(TestBuildStepMixin, TestReactorMixin, unittest.TestCase):
    def setUp(self):
        self.setup_test_reactor()
        return self.setup_test_build_step(want_db=True)

    def step(self, **kwargs):
        return BootStep(target="q35-pflash", milestones="artifact/milestones.yaml", **kwargs)

    def expect_boot(self, stderr, stdout, rc, record=("timeline.log", "debugcon.log"), command=CMD, pictures=None):
        try:
            json.loads(stdout)
            files = {name: f"{name} text\n" for name in record} | (pictures or {})
            uploads = [record_upload(files)]
        except ValueError:  # bootlab printed no record: nothing is read back
            uploads = []
        self.expect_commands(
            ExpectRmdir(dir="record", log_environ=True).exit(0),
            ExpectShell(workdir="wkdir", command=command).stderr(stderr).stdout(stdout).exit(rc),
            *uploads,
        )

    def test_a_slower_pass_is_a_warning_with_the_step_in_the_summary(self):
        self.setup_step(self.step())
        slower = json.loads(result_json("PASS"))
        slower["boot_time"] = {"clock": "kernel", "history": 100, "steps": [],
                               "regressions": ["kernel:final: 250 → 330 ms (+32%, p=0.010)"]}
        self.expect_boot(progress(6), json.dumps(slower), 0)
        self.expect_outcome(result=WARNINGS,
                            state_string="PASS 6/6 in 6.1 s; slower: kernel:final: 250 → 330 ms (+32%, p=0.010)")
        return self.run_step()

    def test_pass_summary_properties_and_logs(self):
        self.setup_step(self.step())
        self.expect_boot(progress(6) + "bootlab: verdict PASS - all 6 milestones\n", result_json("PASS"), 0)
        self.expect_outcome(result=SUCCESS, state_string="PASS 6/6 in 6.1 s")
        self.expect_property("verdict", "PASS")
        self.expect_property("culprit", None)
        self.expect_property("milestones_reached", 6)
        self.expect_property("last_milestone", "heap-ok")
        self.expect_property("verdict_at", round(self.reactor.seconds(), 3))  # to the millisecond
        self.expect_log_file("timeline.log", "timeline.log text\n")
        self.expect_log_file("result.json", result_json("PASS"))
        self.expect_log_file("milestones", "   0.50 s  entry                entry\n   1.50 s  memory-map           memory-map\n"
                                           "   2.50 s  gdt                  gdt\n   3.50 s  idt                  idt\n"
                                           "   4.50 s  paging               paging\n   5.50 s  heap-ok              heap-ok\n")
        return self.run_step()

    @defer.inlineCallbacks
    def test_screenshots_are_kept_on_the_master_and_linked_from_the_step(self):
        basedir = Path(tempfile.mkdtemp(prefix="boot-step-"))  # not in the checkout, as trial's mktemp is
        self.addCleanup(shutil.rmtree, basedir, True)
        self.master.basedir = str(basedir / "master")
        self.setup_step(self.step())
        pictures = {"screen.png": "PNG last", "screen-gdt.png": "PNG gdt"}
        out = json.loads(result_json("PASS"))
        out["milestones"][2]["channel"] = "screen"  # gdt was read from the screen
        self.expect_boot(progress(6), json.dumps(out), 0, pictures=pictures)
        self.expect_outcome(result=SUCCESS, state_string="PASS 6/6 in 6.1 s")
        yield self.run_step()
        stored = Path(self.master.basedir) / "screens" / str(self.build.buildid) / "boot"
        assert sorted(p.name for p in stored.iterdir()) == ["screen-gdt.png", "screen.png"]
        assert (stored / "screen-gdt.png").read_text() == "PNG gdt"
        step = yield self.master.db.steps.getStep(self.get_nth_step(0).stepid)
        urls = {u.name: u.url for u in step.urls}
        assert sorted(urls) == ["screen-gdt.png", "screen.png"]
        assert urls["screen.png"].endswith(f"/plugins/bootlab_screens/{self.build.buildid}/boot/screen.png")

    def test_a_conversation_gets_a_console_log_and_its_steps_count(self):
        self.setup_step(self.step())
        result = json.loads(result_json("PASS", reached=5, total=6))
        result["milestones"].append({"name": "hello", "t": 5.9, "channel": "serial", "line": "hello", "step": True})
        result["conversation"] = [{"name": "hello", "sent": [{"t": 5.5, "input": "serial", "text": "echo hello<enter>"}]}]
        timeline = ("    5400 serial   rustux$ \n    5500 input    serial: echo hello<enter>\n"
                    "    5510 debugcon rustux$ echo hello\n    5512 serial   rustux$ echo hello\n    5900 serial   hello\n")
        self.expect_commands(ExpectRmdir(dir="record", log_environ=True).exit(0),
                             ExpectShell(workdir="wkdir", command=CMD).stdout(json.dumps(result)).exit(0),
                             record_upload({"timeline.log": timeline}))
        self.expect_outcome(result=SUCCESS, state_string="PASS 6/6 (1 step) in 6.1 s")
        self.expect_log_file("console", "   5.400 s  << rustux$ \n   5.500 s  >> serial: echo hello<enter>\n"
                                        "   5.512 s  << rustux$ echo hello\n   5.900 s  << hello\n")
        return self.run_step()

    def test_a_board_boots_with_board_and_its_bmc_error_is_not_retried(self):
        self.setup_step(BootStep(board="vboard-1", milestones="artifact/milestones.yaml"))
        self.build.requests = [SimpleNamespace(id=300)]
        command = [*CMD[:3], "--board", "vboard-1", *CMD[5:]]
        reason = "board vboard-1: BMC 127.0.0.1:9623 did not answer"
        self.expect_boot(f"bootlab: verdict ERROR board {reason}\n", result_json("ERROR", "board", reason, reached=0),
                         3, record=("timeline.log", "serial.log"), command=command)
        # a BMC that does not answer needs a person: retrying it would only repeat the ERROR
        self.expect_outcome(result=EXCEPTION, state_string=f"ERROR (board) before the first milestone: {reason}")
        self.expect_property("culprit", "board")
        self.expect_log_file("serial.log", "serial.log text\n")
        return self.run_step()

    def test_fail_names_last_milestone_and_reason(self):
        self.setup_step(self.step())
        rule = "baseline passed on the same target: the new image is at fault (FAIL/code kept)"
        out = result_json("FAIL", "code", "page fault at 0x401000", reached=4,
                          triage={"baseline": {"verdict": "PASS"}, "rule": rule})
        self.expect_boot(progress(4) + "bootlab: verdict FAIL code page fault at 0x401000\n", out, 1)
        self.expect_outcome(result=FAILURE, state_string="FAIL after idt: page fault at 0x401000")
        self.expect_property("verdict", "FAIL")
        self.expect_property("culprit", "code")
        self.expect_property("milestones_reached", 4)
        self.expect_log_file("milestones", "   0.50 s  entry                entry\n   1.50 s  memory-map           memory-map\n"
                                           "   2.50 s  gdt                  gdt\n   3.50 s  idt                  idt\n"
                                           "2 of 6 milestones not reached: FAIL\n"
                                           "triage: " + rule + "\n")
        self.expect_property("triage", rule)
        return self.run_step()

    def test_firmware_error_is_an_exception_not_a_failure(self):
        self.setup_step(self.step())
        out = result_json("ERROR", "firmware", "OVMF_CODE_4M.fd is zero-filled", reached=0)
        self.expect_boot("bootlab: verdict ERROR firmware OVMF_CODE_4M.fd is zero-filled\n", out, 3)
        self.expect_outcome(result=EXCEPTION,
                            state_string="ERROR (firmware) before the first milestone: OVMF_CODE_4M.fd is zero-filled")
        self.expect_property("culprit", "firmware")
        return self.run_step()

    def test_lab_error_is_retried_once(self):
        self.setup_step(self.step())
        self.build.requests = [SimpleNamespace(id=300)]
        out = result_json("ERROR", "lab", "worker disk full", reached=0)
        self.expect_boot("bootlab: verdict ERROR lab worker disk full\n", out, 3)
        self.expect_outcome(result=RETRY, state_string="ERROR (lab) before the first milestone: worker disk full")
        return self.run_step()

    def test_lab_error_is_not_retried_forever(self):
        self.setup_step(self.step(retries=0))
        self.build.requests = [SimpleNamespace(id=300)]
        out = result_json("ERROR", "lab", "worker disk full", reached=0)
        self.expect_boot("bootlab: verdict ERROR lab worker disk full\n", out, 3)
        self.expect_outcome(result=EXCEPTION, state_string="ERROR (lab) before the first milestone: worker disk full")
        return self.run_step()

    def test_miss_is_skipped(self):
        self.setup_step(self.step())
        out = result_json("MISS", None, "target q35-pflash is disabled", reached=0)
        self.expect_boot("bootlab: verdict MISS - target q35-pflash is disabled\n", out, 4, record=())
        self.expect_outcome(result=SKIPPED, state_string="MISS: target q35-pflash is disabled")
        return self.run_step()

    def test_usage_error_without_result_json_is_an_exception(self):
        self.setup_step(self.step())
        self.expect_commands(
            ExpectRmdir(dir="record", log_environ=True).exit(0),
            ExpectShell(workdir="wkdir", command=CMD)
            .stderr("bootlab: target q35-pflash: q35, pflash firmware\nbootlab: unknown target 'q35-pflash'\n").exit(2),
        )
        self.expect_outcome(result=EXCEPTION, state_string="bootlab exited 2: bootlab: unknown target 'q35-pflash'")
        self.expect_no_property("verdict")
        return self.run_step()

    def test_live_summary_follows_milestones(self):
        self.setup_step(self.step())
        step = self.get_nth_step(0)
        seen = []
        original = step.updateSummary

        def record_summary():
            seen.append(step.getCurrentSummary()["step"])
            return original()

        step.updateSummary = record_summary
        self.expect_boot(progress(3) + "bootlab: verdict FAIL code panic\n",
                         result_json("FAIL", "code", "panic", reached=3), 1)
        self.expect_outcome(result=FAILURE)
        d = self.run_step()
        d.addCallback(lambda _: self.assertEqual(
            [s for s in seen if "starting" not in s][:4],
            ["boot: 1/6 entry", "boot: 2/6 memory-map", "boot: 3/6 gdt", "boot: FAIL, reading the record"]))
        return d

    def test_a_stopped_boot_is_cancelled_not_retried(self):
        self.setup_step(self.step())
        self.build.requests = [SimpleNamespace(id=300)]
        self.interrupt_nth_remote_command(1)
        shell = ExpectShell(workdir="wkdir", command=CMD).stderr(progress(2)).stdout(
            result_json("ERROR", "lab", "interrupted by SIGTERM after 2.1s", reached=2)).exit(3)
        shell.interrupted = True
        self.expect_commands(ExpectRmdir(dir="record", log_environ=True).exit(0), shell)
        self.expect_outcome(result=CANCELLED)
        self.expect_property("verdict", "ERROR")
        return self.run_step()


    def test_a_worker_lost_mid_boot_is_an_error_of_the_lab_retried_elsewhere(self):
        self.setup_step(self.step())
        self.build.setProperty("workername", "qemu-2", "Worker")
        self.expect_commands(ExpectRmdir(dir="record", log_environ=True).exit(0),
                             ExpectShell(workdir="wkdir", command=CMD).stderr(progress(2)).error(error.ConnectionLost()))
        self.expect_outcome(result=RETRY, state_string="ERROR/lab: worker qemu-2 lost mid-boot; retried on a worker "
                                                       "that is connected")
        self.expect_property("verdict", "ERROR")
        self.expect_property("culprit", "lab")
        return self.run_step()


@pytest.mark.parametrize("kwargs", [{}, {"target": "q35-pflash", "board": "vboard-1"}])
def test_a_boot_step_boots_exactly_one_target_or_board(kwargs):
    with pytest.raises(ConfigErrors, match="target= .* or board= .*exactly one"):
        with capture_config_errors(raise_on_error=True):
            BootStep(**kwargs)
