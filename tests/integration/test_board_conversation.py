"""A conversation over SOL on a virtual board: `bootlab boot --board` types into OVMF's UEFI
shell through ipmi_sim's serial-over-LAN, the board's only console, as it does into COM1 on
a QEMU target. The ESP (tests/fixtures/shell-launcher) is written to the board's USB stick.
About 20 s."""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from board_support import BOOTLAB, REPO, board_of, password, running_vboard, vboard_inventory, wait_for_text

from shell_support import SPEC, shell_esp

from rustux_bootlab.workers.power.ipmi import IpmiPower


@pytest.mark.qemu
def test_the_efi_shell_answers_over_sol(tmp_path: Path) -> None:
    esp = shell_esp(tmp_path / "esp")
    inventory, board = board_of(vboard_inventory(tmp_path, deploy="usb"))
    out = tmp_path / "record"
    with running_vboard(inventory, board):
        proc = subprocess.run([str(BOOTLAB), "boot", "--board", board.name, "--image", str(esp), "--milestones", str(SPEC),
                               "--inventory", str(inventory.path), "--out", str(out), "--json"],
                              cwd=REPO, capture_output=True, text=True, timeout=180)
        power = IpmiPower.for_board(board)
        try:
            assert power.status() == "off", "the board was left powered on"
        finally:
            power.close()
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    assert result["verdict"] == "PASS", result["reason"]
    assert [m["name"] for m in result["milestones"]] == ["shell", "skip-startup", "hello", "ver"]
    assert {m["channel"] for m in result["milestones"]} == {"serial"}, "every answer comes over SOL"
    assert result["milestones_total"] == 4 and result["board"]["skipped_milestones"] == []
    steps = {s["name"]: s for s in result["conversation"]}
    assert steps["ver"]["exit_status"] == 0
    assert steps["hello"]["line"] == "hello"
    timeline = (out / "timeline.log").read_text()
    assert " input    serial: echo hello<enter>" in timeline
    sent, answered = steps["hello"]["sent"][0]["t"], steps["hello"]["answered"]
    print(f"SOL round trip echo hello: {answered - sent:.3f}s")


@pytest.mark.qemu
def test_sol_lost_for_good_during_a_step_is_an_error_of_the_board_not_a_failure(tmp_path: Path) -> None:
    """The SOL session is taken away while the shell works on a command (`stall`, 5 s) and cannot
    come back (its password changed on the BMC): the answer was never seen, so no FAIL."""
    esp = shell_esp(tmp_path / "esp")
    spec = tmp_path / "stall.yaml"
    spec.write_text(SPEC.read_text().split("    - {name: hello,")[0]
                    + "    - {name: stall, send: 'stall 5000000<enter>', expect: '^done$', timeout: 8}\n")
    inventory, board = board_of(vboard_inventory(tmp_path, deploy="usb"))
    out = tmp_path / "record"
    admin = ["ipmitool", "-I", "lanplus", "-C", "3", "-H", "127.0.0.1", "-p", str(board.bmc.port),
             "-U", board.bmc.credentials.user, "-E"]
    with running_vboard(inventory, board):
        env = dict(os.environ, IPMI_PASSWORD=password(board))  # through the environment, never argv
        proc = subprocess.Popen([str(BOOTLAB), "boot", "--board", board.name, "--image", str(esp), "--milestones",
                                 str(spec), "--inventory", str(inventory.path), "--out", str(out), "--json"],
                                cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_for_text(out / "timeline.log", " input    serial: stall", 120)
            for command in (["user", "set", "password", "3", "not-the-secret"], ["sol", "deactivate"]):
                done = subprocess.run(admin + command, env=env, capture_output=True, text=True, timeout=20)
                assert done.returncode == 0, done.stderr
            stdout, stderr = proc.communicate(timeout=120)
        finally:
            proc.kill()
            proc.wait()
    assert proc.returncode == 3, stderr[-2000:]
    result = json.loads(stdout)
    assert (result["verdict"], result["culprit"]) == ("ERROR", "board")
    assert re.fullmatch(r"no answer to stall within 8s after sending 'stall 5000000<enter>', but the console was "
                        r"down [\d.]+s-[\d.]+s meanwhile: the answer may be lost", result["reason"]), result["reason"]
    assert result["board"]["power_off"] == "off"
