"""Health with the real bootlab: quarantine and release by hand, a board quarantined by its
own ERRORs, and a quarantined board or target taking no boot (MISS, exit 4, naming who and why).

The board is a virtual board's inventory entry that is never started: its BMC does not answer,
which is the ERROR/board that makes a board suspect. No QEMU is started."""
from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from board_support import BOOTLAB, REPO, board_of, vboard_inventory

from rustux_bootlab.lab.health import QUARANTINE_AFTER, HealthRecord
from rustux_bootlab.workers import health, secrets

ESP = REPO / "build" / "esp"


def bootlab(*args: str | Path, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(BOOTLAB), *map(str, args)], cwd=REPO, capture_output=True, text=True, timeout=timeout)


def boot(inventory: Path, *where: str, out: Path) -> tuple[int, dict, str]:
    proc = bootlab("boot", *where, "--image", ESP, "--inventory", inventory, "--out", out, "--json")
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else {}, proc.stderr


def test_an_operator_quarantine_makes_a_target_miss_until_released(tmp_path):
    inventory = REPO / "lab-inventory.yaml"
    done = bootlab("quarantine", "pc-bios", "--reason", "host disk failing", "--by", "alice", "--inventory", inventory)
    assert done.returncode == 0, done.stderr
    started = time.monotonic()
    rc, result, stderr = boot(inventory, "--target", "pc-bios", out=tmp_path / "record")
    assert rc == 4, stderr
    assert (result["verdict"], result["culprit"]) == ("MISS", "lab")
    assert "target pc-bios is quarantined by alice" in result["reason"] and "host disk failing" in result["reason"]
    assert "bootlab release pc-bios" in result["reason"]
    assert json.loads((tmp_path / "record" / "result.json").read_text()) == result
    assert time.monotonic() - started < 5, "a quarantined target is not booted"
    released = bootlab("release", "pc-bios", "--reason", "disk replaced", "--by", "bob", "--inventory", inventory)
    assert released.returncode == 0 and "good by bob" in released.stdout, released
    again = bootlab("release", "pc-bios", "--inventory", inventory)
    assert again.returncode == 2 and "nothing to release" in again.stderr
    unknown = bootlab("quarantine", "pc-bois", "--reason", "x", "--inventory", inventory)
    assert unknown.returncode == 2 and "'pc-bois' is neither a target nor a board" in unknown.stderr


def test_a_board_whose_bmc_keeps_failing_is_quarantined_by_the_lab_and_then_takes_no_boot(tmp_path):
    inventory, board = board_of(vboard_inventory(tmp_path, retries=0))  # never started: the BMC is silent
    for name in (board.bmc.credentials.password_secret, board.console.credentials.password_secret):
        secrets.ensure(name)
    # as if the board had failed all but once already
    health.update(board.name, lambda r: HealthRecord(r.state, QUARANTINE_AFTER - 2))
    rc, result, stderr = boot(inventory.path, "--board", board.name, out=tmp_path / "first")
    assert (rc, result["verdict"], result["culprit"]) == (3, "ERROR", "board"), stderr
    listed = bootlab("boards", "--no-power", "--inventory", inventory.path)
    assert "suspect by lab since" in listed.stdout and board.bmc.address in listed.stdout, listed

    rc, result, stderr = boot(inventory.path, "--board", board.name, out=tmp_path / "second")
    assert (rc, result["verdict"]) == (3, "ERROR"), stderr
    record = health.load(board.name)
    assert (record.state.value, record.by) == ("quarantined", "lab")
    assert record.reason.startswith(f"{QUARANTINE_AFTER} ERRORs in a row, the last: ")

    rc, result, stderr = boot(inventory.path, "--board", board.name, out=tmp_path / "third")
    assert (rc, result["verdict"]) == (4, "MISS"), stderr
    assert f"board {board.name} is quarantined by lab" in result["reason"]
    assert "quarantined by lab" in bootlab("boards", "--no-power", "--inventory", inventory.path).stdout
    assert bootlab("release", board.name, "--reason", "BMC back", "--inventory", inventory.path).returncode == 0
    assert health.load(board.name).state.value == "good"
