"""The PDU board path on real components: pdudaemon (Debian's, its HTTP API and localcmdline
driver) switching the outlet of a virtual board (a QEMU VM), the ESP on its virtual USB stick,
the console through ser2net over raw TCP. With no read-back from the PDU, the console is the
read-back. After every outcome the board is off and released, and nothing is left running."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from board_support import BOOTLAB, REPO, lingering, wait_for_text
from polling import wait_until

from rustux_bootlab.lab.board import Board
from rustux_bootlab.lab.inventory import Inventory, load_inventory
from rustux_bootlab.lab.verdict import Culprit
from rustux_bootlab.harness.local_lab import free_port
from rustux_bootlab.workers.board.lock import BoardLock
from rustux_bootlab.workers.vboard import outlet, pduboard
from rustux_bootlab.workers.vboard.manager import spawn
from rustux_bootlab.workers.vboard.redfishboard import pids, write_pids

ESP = REPO / "build" / "esp"

INVENTORY = """\
lab: {{name: pdu-test}}
workers:
  local-qemu: {{kind: qemu}}
firmware:
  ovmf-4m: {{code: /usr/share/OVMF/OVMF_CODE_4M.fd, vars: /usr/share/OVMF/OVMF_VARS_4M.fd}}
targets:
boards:
  pdu-test:
    worker: local-qemu
    mac: "52:54:00:b0:07:62"
    bmc: {{protocol: pdu, host: 127.0.0.1, port: {pdu_port}, pdu: vpdu, outlet: 1, readback_s: {readback}}}
    console: {{kind: tcp, host: 127.0.0.1, port: {console_port}}}
    deploy: {{method: usb, device: {usb}, mux: {{kind: virtual}}}}
    boot_timeout_s: 90
    milestones: {milestones}
    virtual: {{memory_mb: 256, firmware: ovmf-4m}}
"""


def pdu_board(tmp_path: Path, readback: float = 20) -> tuple[Inventory, Board]:
    path = tmp_path / "lab-inventory.yaml"
    path.write_text(INVENTORY.format(pdu_port=free_port(), console_port=free_port(), readback=readback,
                                     usb=tmp_path / "usb.img", milestones=REPO / "kernel" / "milestones.yaml"))
    inventory = load_inventory(path)
    return inventory, inventory.board("pdu-test")


def boot(inventory: Inventory, out: Path) -> tuple[int, dict, str]:
    proc = subprocess.run([str(BOOTLAB), "boot", "--board", "pdu-test", "--image", str(ESP), "--inventory",
                           str(inventory.path), "--out", str(out), "--json"], cwd=REPO, capture_output=True, text=True,
                          timeout=150)
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else {}, proc.stderr


def assert_off_and_released(board: Board, state: Path) -> None:
    # pdudaemon switches from its queue, after it answered
    wait_until(lambda: outlet.running_pid(state) is None, 10, "the outlet switched off (left on, the VM runs)")
    lock = BoardLock(board)
    lock.acquire("test: is it free?")
    lock.release()


def stop_and_check(board: Board) -> None:
    status = pduboard.stop(board)
    left = lingering(status.state)
    assert not left, f"left running after vboard stop: {left}"


@pytest.mark.qemu
def test_kernel_boots_on_the_pdu_board(tmp_path: Path) -> None:
    inventory, board = pdu_board(tmp_path)
    status = pduboard.start(board, inventory)
    try:
        rc, result, stderr = boot(inventory, tmp_path / "record")
        assert rc == 0, stderr[-2000:]
        assert result["verdict"] == "PASS", result["reason"]
        info = result["board"]
        assert info["power_protocol"] == "pdu" and info["console"] == "tcp" and info["deploy"]["method"] == "usb"
        events = [p["event"] for p in info["power"]]
        assert events.count("outlet on requested") == 1 and "outlet off requested" in events
        assert_off_and_released(board, status.state)
    finally:
        stop_and_check(board)
    print(f"pdu: outlet on to final milestone {result['milestones'][-1]['t']:.2f}s")


def test_an_outlet_that_powers_nothing_is_said_by_the_console(tmp_path: Path) -> None:
    inventory, board = pdu_board(tmp_path, readback=3)
    status = pduboard.start(board, inventory)
    try:
        machine = status.state / "machine.json"  # the outlet's VM cannot start: a dead board on a live outlet
        machine.write_text(machine.read_text().replace("/usr/share/OVMF/OVMF_CODE_4M.fd", str(tmp_path / "no-firmware")))
        rc, result, stderr = boot(inventory, tmp_path / "record")
        assert result["verdict"] == "ERROR" and result["culprit"] == Culprit.BOARD.value, (result.get("reason"), stderr[-600:])
        assert "outlet 1 was switched on, but the console showed nothing for 3s" in result["reason"]
        assert_off_and_released(board, status.state)
    finally:
        stop_and_check(board)


def test_a_pdu_that_does_not_answer_is_an_error_of_the_board(tmp_path: Path) -> None:
    inventory, board = pdu_board(tmp_path)
    status = pduboard.start(board, inventory)
    try:
        pid = status.running["pdudaemon"]
        assert pid is not None
        pduboard.stop_pid(pid, status.state)  # pdudaemon gone, ser2net and the board still there
        rc, result, stderr = boot(inventory, tmp_path / "record")
        assert result["verdict"] == "ERROR" and result["culprit"] == Culprit.BOARD.value, (result.get("reason"), stderr[-600:])
        assert "pdudaemon does not answer" in result["reason"] and "check that it runs" in result["reason"]
        assert_off_and_released(board, status.state)
    finally:
        stop_and_check(board)


@pytest.mark.qemu
def test_ser2net_dropping_the_console_mid_boot_is_a_gap_never_a_fail(tmp_path: Path) -> None:
    inventory, board = pdu_board(tmp_path)
    status = pduboard.start(board, inventory)
    out = tmp_path / "record"
    try:
        proc = subprocess.Popen([str(BOOTLAB), "boot", "--board", "pdu-test", "--image", str(ESP), "--inventory",
                                 str(inventory.path), "--out", str(out), "--json"], cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        wait_for_text(out / "serial.log", "BdsDxe", 60)  # the firmware is talking: now ser2net goes away
        pid = status.running["ser2net"]
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)  # ser2net down for a moment (a restart by the lab controller's init)
        known = pids(status.state)
        known["ser2net"] = spawn(["ser2net", "-n", "-c", str(status.state / "ser2net.yaml"),
                                  "-P", str(status.state / "ser2net.pid")], status.state / "ser2net.log")
        write_pids(status.state, known)
        stdout, stderr = proc.communicate(timeout=150)
        result = json.loads(stdout)
        gaps = result["board"]["console_gaps"]
        assert len(gaps) == 1 and "tcp://127.0.0.1" in gaps[0]["reason"] and "reconnected" in gaps[0]["reason"], gaps
        assert result["verdict"] in ("PASS", "ERROR") and result["culprit"] != Culprit.CODE.value, result["reason"]
        assert_off_and_released(board, status.state)
    finally:
        stop_and_check(board)
