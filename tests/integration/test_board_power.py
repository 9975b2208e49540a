"""Board power over IPMI against a real BMC: OpenIPMI's `ipmi_sim` driving a virtual board's
QEMU (TCG, OVMF). Read-back after every change, `ipmitool -I lanplus -C 3` as a second client
seeing the same state, refused and unreachable BMCs as ERROR naming the board within a bounded
time, the boot override reaching the VM, nothing left running after `vboard stop`."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from board_support import BOOTLAB, REPO, board_of, lingering, running_vboard, vboard_inventory
from polling import wait_until

from rustux_bootlab.workers.board.error import BoardError
from rustux_bootlab.workers.power.ipmi import IpmiPower
from rustux_bootlab.workers.vboard import manager


def ipmitool(board, *args: str, password_file: Path) -> subprocess.CompletedProcess[str]:
    # -f FILE: the password never appears on a command line (ps)
    return subprocess.run(
        ["ipmitool", "-I", "lanplus", "-C", "3", "-H", board.bmc.host, "-p", str(board.bmc.port),
         "-U", board.bmc.credentials.user, "-f", str(password_file), *args],
        capture_output=True, text=True, timeout=30,
    )


def bootlab(*args: str, timeout: float = 60) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.monotonic()
    proc = subprocess.run([str(BOOTLAB), *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)
    return proc, time.monotonic() - start


def qemu_pids(state: Path) -> list[int]:
    out = subprocess.run(["ps", "-ww", "-eo", "pid=,stat=,args="], capture_output=True, text=True, check=True).stdout
    return [int(line.split()[0]) for line in out.splitlines()
            if "qemu-system" in line and str(state) in line and line.split()[1][0] != "Z"]


def qemu_running(state: Path) -> bool:
    return bool(qemu_pids(state))


@pytest.mark.qemu
def test_power_on_off_cycle_read_back_and_a_second_client_agrees(tmp_path):
    inventory, board = board_of(vboard_inventory(tmp_path))
    with running_vboard(inventory, board) as vb:
        pw_file = tmp_path / "secrets" / board.bmc.credentials.password_secret
        events: list[str] = []
        power = IpmiPower.for_board(board, log=events.append)
        try:
            assert power.status() == "off" and not qemu_running(vb.state)
            assert "Chassis Power is off" in ipmitool(board, "chassis", "power", "status", password_file=pw_file).stdout

            power.on()
            assert any(e.startswith("ipmi: power is on (read back") for e in events), events
            assert qemu_running(vb.state)
            assert "Chassis Power is on" in ipmitool(board, "chassis", "power", "status", password_file=pw_file).stdout
            before = qemu_pids(vb.state)

            power.cycle()
            readbacks = [e for e in events if "read back" in e]
            assert readbacks[-2].startswith("ipmi: power is off") and readbacks[-1].startswith("ipmi: power is on")
            after = qemu_pids(vb.state)
            assert power.status() == "on" and len(before) == len(after) == 1 and before != after

            # the second client switches it off; we see it
            assert ipmitool(board, "chassis", "power", "off", password_file=pw_file).returncode == 0
            assert power.status() == "off"
            wait_until(lambda: not qemu_running(vb.state), 3, "the virtual board's QEMU stopped")
            # every exchange answered without our retry; how fast is bench/vboard.py's to say
            rtts = [t for what, t in power.round_trips if what == "get power"]
            assert rtts and max(rtts) < board.bmc.timeout_s, power.round_trips
            assert not any("retrying" in e for e in events), events
        finally:
            power.close()


@pytest.mark.qemu
def test_boot_override_reaches_the_vm_once(tmp_path):
    inventory, board = board_of(vboard_inventory(tmp_path, deploy="usb"))
    (tmp_path / "usb.img").write_bytes(b"\0" * 1024 * 1024)  # an attached (blank) stick
    with running_vboard(inventory, board) as vb:
        power = IpmiPower.for_board(board)
        try:
            power.set_boot("network")
            assert manager.status(board).boot == "pxe"
            power.on()
            log = (vb.state / "supervisor.log").read_text()
            line = next(x for x in log.splitlines() if "power on, boot" in x)
            assert "boot pxe" in line and "romfile=,bootindex=1" in line and "usb-storage" in line and "bootindex=2" in line
            assert manager.status(board).boot == "default"  # one-time, like a real BMC
            power.reset()
            log = (vb.state / "supervisor.log").read_text()
            line = [x for x in log.splitlines() if "power on, boot" in x][-1]
            assert "boot default" in line and "drive=stick,removable=on,bootindex=1" in line
            power.off()
        finally:
            power.close()


def test_one_driver_after_another(tmp_path):
    # pyghmi hands a logged-out session to the next Command with the same credentials
    inventory, board = board_of(vboard_inventory(tmp_path))
    with running_vboard(inventory, board):
        for _ in range(3):
            power = IpmiPower.for_board(board)
            try:
                assert power.status() == "off"
            finally:
                power.close()


def test_wrong_password_is_error_naming_board_and_bmc_at_once(tmp_path):
    inventory, board = board_of(vboard_inventory(tmp_path))
    with running_vboard(inventory, board):
        bad = tmp_path / "bad-pw"
        bad.write_text("not-the-password\n")
        refused = ipmitool(board, "chassis", "power", "status", password_file=bad)
        assert refused.returncode != 0  # -C 3 checks the password (-C 0 would not)

        (tmp_path / "secrets" / board.bmc.credentials.password_secret).write_text("not-the-password\n")
        start = time.monotonic()
        with pytest.raises(BoardError) as e:
            IpmiPower.for_board(board).status()
        assert time.monotonic() - start < 4.0  # not retried: a retry waits ~5 s for pyghmi's login timeout
        assert e.value.culprit == "lab" and e.value.board == board.name
        assert f"board {board.name}: BMC {board.bmc.address}:" in str(e.value)
        assert "refused user 'admin'" in str(e.value) and board.bmc.credentials.password_secret in str(e.value)
        assert "not-the-password" not in str(e.value)

        proc, _ = bootlab("power", "--inventory", str(tmp_path / "lab-inventory.yaml"), board.name, "on")
        assert proc.returncode == 3, proc.stderr
        assert f"board {board.name}: BMC {board.bmc.address}" in proc.stderr and "ERROR/lab" in proc.stderr
        assert "not-the-password" not in proc.stderr + proc.stdout


def test_unreachable_bmc_is_error_naming_board_within_a_bounded_time(tmp_path):
    # nothing listens on this port: no vboard started
    path = vboard_inventory(tmp_path, retries=1)
    _, board = board_of(path)
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / board.bmc.credentials.password_secret).write_text("whatever\n")
    proc, took = bootlab("power", "--inventory", str(path), board.name, "status")
    assert proc.returncode == 3, proc.stderr
    assert f"board {board.name}: BMC {board.bmc.address}: get power:" in proc.stderr and "ERROR/board" in proc.stderr
    assert "2 attempts" in proc.stderr and "retrying (1/2)" in proc.stderr
    assert took < 15, took  # about 5 s per attempt (pyghmi's login timeout), 2 attempts
    # as a physical board (a stopped virtual one is listed without asking its BMC)
    path.write_text("".join(line for line in path.read_text().splitlines(keepends=True) if "virtual:" not in line))
    listing, took = bootlab("boards", "--inventory", str(path))
    assert listing.returncode == 0 and took < 8, took  # one attempt per BMC when listing
    row = next(line for line in listing.stdout.splitlines() if line.startswith(board.name))
    assert "physical" in row and "unknown (get power:" in row and "(1 attempt, the last" in row, row


def test_missing_secret_is_error_lab_naming_the_file(tmp_path):
    path = vboard_inventory(tmp_path)
    proc, took = bootlab("power", "--inventory", str(path), "vb-test", "status")
    assert proc.returncode == 3 and took < 5
    assert "secret 'vb-test-bmc' not found: create" in proc.stderr and str(tmp_path / "secrets") in proc.stderr
    assert "ERROR/lab" in proc.stderr


@pytest.mark.qemu
def test_cli_vboard_power_and_boards(tmp_path):
    path = vboard_inventory(tmp_path)
    _, board = board_of(path)
    inv = ["--inventory", str(path)]
    try:
        proc, took = bootlab("vboard", *inv, "start", board.name)
        assert proc.returncode == 0 and "power off" in proc.stdout, proc.stderr
        again, _ = bootlab("vboard", *inv, "start", board.name)
        assert again.returncode == 3 and "already running" in again.stderr
        on, _ = bootlab("power", *inv, board.name, "on", "--boot", "network")
        assert on.returncode == 0 and on.stdout.strip() == f"{board.name}: power on", on.stderr
        assert "power on requested" in on.stderr and "read back after" in on.stderr
        listing, _ = bootlab("boards", *inv)
        row = next(line for line in listing.stdout.splitlines() if line.startswith(board.name))
        assert row.split()[1:] == ["virtual", "ipmi", board.bmc.address, "sol", "pxe", "good", "on", "-"], row
        off, _ = bootlab("power", *inv, board.name, "off")
        assert off.returncode == 0 and off.stdout.strip() == f"{board.name}: power off"
        on, _ = bootlab("power", *inv, board.name, "on")  # stopped while powered on: the VM goes too
        assert on.returncode == 0
    finally:
        proc, _ = bootlab("vboard", *inv, "stop", board.name)
        assert proc.returncode == 0 and "stopped" in proc.stdout
    state = tmp_path / "state" / board.name / "vboard"
    assert not lingering(state)
    for kind, port in ((socket.SOCK_DGRAM, board.bmc.port), (socket.SOCK_STREAM, board.virtual.serial_port)):
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind(("127.0.0.1", port))  # the ports are free again
    status, _ = bootlab("vboard", *inv, "status", board.name, "--json")
    assert '"power": null' in status.stdout


@pytest.mark.qemu
def test_a_killed_supervisor_takes_the_vm_with_it(tmp_path):
    inventory, board = board_of(vboard_inventory(tmp_path))
    with running_vboard(inventory, board) as vb:
        power = IpmiPower.for_board(board)
        try:
            power.on()
            assert qemu_running(vb.state)
            os.kill(vb.running["supervisor"], signal.SIGKILL)
            wait_until(lambda: not qemu_running(vb.state), 3, "the virtual board's QEMU stopped with its supervisor")
            with pytest.raises(BoardError, match=rf"board {board.name}: BMC {board.bmc.address}: get power: the BMC answered"):
                power.status()  # ipmi_sim's chassis program finds no supervisor
        finally:
            power.close()
        assert manager.status(board).running["ipmi_sim"]  # still there: stop cleans it up
    with running_vboard(inventory, board):  # and it starts again at once on the same ports
        assert IpmiPower.for_board(board).status() == "off"


def test_a_port_in_use_is_named(tmp_path):
    path = vboard_inventory(tmp_path)
    inventory, board = board_of(path)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", board.virtual.serial_port))
        with pytest.raises(manager.VboardError, match=rf"virtual.serial_port 127.0.0.1:{board.virtual.serial_port} is taken"):
            manager.start(board, inventory)
    assert not any(manager.status(board).running.values())


def test_a_lab_network_that_is_not_there_is_named_before_anything_starts(tmp_path):
    path = vboard_inventory(tmp_path)
    path.write_text(path.read_text().replace("{method: pxe, dhcp: proxy}", "{method: pxe, dhcp: full, interface: nolab9}"))
    inventory, board = board_of(path)
    with pytest.raises(manager.VboardError, match="deploy.interface nolab9 is not a bridge on this host"):
        manager.start(board, inventory)
    assert not any(manager.status(board).running.values())


def test_boards_shows_the_holder_only_while_the_lock_is_held(tmp_path):
    from rustux_bootlab.workers.board.lock import BoardLock

    path = vboard_inventory(tmp_path)
    _, board = board_of(path)
    lock = BoardLock(board)
    lock.acquire("bootlab boot test-image")
    try:
        held, _ = bootlab("boards", "--inventory", str(path), "--no-power")
    finally:
        lock.release()
    assert "bootlab boot test-image (pid" in held.stdout
    (tmp_path / "state" / board.name / "lock").write_text("a session killed by SIGKILL\n")  # stale line, no flock
    free, _ = bootlab("boards", "--inventory", str(path), "--no-power")
    row = next(line for line in free.stdout.splitlines() if line.startswith(board.name))
    assert row.split()[-2:] == ["-", "-"], row
