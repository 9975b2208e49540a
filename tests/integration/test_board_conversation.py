"""A conversation over SOL on a virtual board: `bootlab boot --board` types into OVMF's UEFI
shell through ipmi_sim's serial-over-LAN, the board's only console, as it does into COM1 on
a QEMU target. The ESP (tests/fixtures/shell-launcher) is written to the board's USB stick.
About 20 s."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from board_support import BOOTLAB, REPO, board_of, running_vboard, vboard_inventory

from shell_support import SPEC, shell_esp

from workers.power.ipmi import IpmiPower


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
