"""Conversations on real QEMU: `bootlab boot` types into OVMF's own UEFI shell on COM1.

The shell is a real interactive program that needs no kernel of ours, started by
tests/fixtures/shell-launcher (shell_support.py). One boot proves the conversation passes
(echo, a prompt on an open line, the exit status read back); one proves a failing step is
FAIL/code naming the step. About 20 s on two cores.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bootlab_support import run_boot
from shell_support import SPEC, shell_esp as build_shell_esp

pytestmark = pytest.mark.qemu


@pytest.fixture(scope="module")
def shell_esp(tmp_path_factory) -> Path:
    return build_shell_esp(tmp_path_factory.mktemp("esp"))


@pytest.fixture(scope="module")
def talk_boot(tmp_path_factory, shell_esp):
    return run_boot(tmp_path_factory.mktemp("talk"), "--target", "q35-pflash", "--image", shell_esp,
                    "--milestones", SPEC, "--accel", "tcg")


def test_the_conversation_passes_and_steps_are_milestones(talk_boot):
    assert talk_boot.rc == 0, talk_boot.stderr
    r = talk_boot.result
    assert (r["verdict"], r["culprit"]) == ("PASS", None)
    assert r["reason"].startswith("all 1 milestones and 3 steps reached")
    assert [m["name"] for m in r["milestones"]] == ["shell", "skip-startup", "hello", "ver"]
    assert r["milestones_total"] == 4 and r["last_milestone"] == "ver"
    assert [m.get("step", False) for m in r["milestones"]] == [False, True, True, True]
    hello = r["milestones"][2]
    assert (hello["channel"], hello["line"]) == ("serial", "hello")
    progress = [line for line in talk_boot.stderr.splitlines() if line.startswith("bootlab: milestone")]
    assert [line.split()[2] for line in progress] == ["1/4", "2/4", "3/4", "4/4"]


def test_the_exit_status_is_read_back_and_the_timeline_has_the_input(talk_boot):
    steps = {s["name"]: s for s in talk_boot.result["conversation"]}
    assert steps["ver"]["exit_status"] == 0
    marker_send = steps["ver"]["sent"][1]["text"]
    assert re.fullmatch(r"echo BL[0-9a-f]{8}Q%lasterror%<enter>", marker_send)
    hello = steps["hello"]
    assert hello["sent"][0]["text"] == "echo hello<enter>"
    assert hello["sent"][0]["t"] < hello["answered"] <= hello["done"]
    timeline = (talk_boot.out / "timeline.log").read_text().splitlines()
    sent = next(i for i, line in enumerate(timeline) if line.split()[1:] == ["input", "serial:", "echo", "hello<enter>"])
    answer = next(i for i, line in enumerate(timeline) if line.split()[1:] == ["serial", "hello"])
    assert sent < answer  # question and answer on one clock, in order
    assert any(line.split()[1:3] == ["serial", "Shell>"] and "echo hello" in line for line in timeline)


@pytest.fixture(scope="module")
def failing_spec(tmp_path_factory) -> Path:
    text = SPEC.read_text().replace("send: 'echo hello<enter>', expect: '^hello$'",
                                    "send: 'nosuchcommand<enter>', expect: '^hello$'")
    path = tmp_path_factory.mktemp("spec") / "efi-shell-failing.yaml"
    path.write_text(text)
    return path


def test_a_failure_regex_is_fail_naming_the_step(tmp_path, shell_esp, failing_spec):
    boot = run_boot(tmp_path / "fail", "--target", "q35-pflash", "--image", shell_esp, "--milestones", failing_spec,
                    "--accel", "tcg")
    assert boot.rc == 1, boot.stderr
    assert (boot.result["verdict"], boot.result["culprit"]) == ("FAIL", "code")
    assert boot.result["reason"] == ("hello: failure 'is not recognized as an internal or external command' matched: "
                                     "'nosuchcommand' is not recognized as an internal or external command, operabl...")
    assert boot.result["last_milestone"] == "shell"
    assert [m["name"] for m in boot.result["milestones"]] == ["shell", "skip-startup"]
