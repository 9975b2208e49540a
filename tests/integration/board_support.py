"""Helpers for the board tests: a virtual board on random loopback ports with its own state
and secrets directories, stopped (and checked to have left nothing running) after the test.

`vboard_inventory(tmp_path, deploy)` writes an inventory with one virtual board; the
`running_vboard` context manager starts it and always stops it. Each test's `$BOOTLAB_STATE`
and `$BOOTLAB_SECRETS` are its own (conftest.py), and `bootlab` subprocesses see the same."""
from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path


from rustux_bootlab.lab.board import Board
from rustux_bootlab.lab.inventory import Inventory, load_inventory
from rustux_bootlab.harness.local_lab import free_port
from rustux_bootlab.workers import secrets
from rustux_bootlab.workers.vboard import manager
from polling import wait_until

REPO = Path(__file__).resolve().parents[2]
BOOTLAB = Path(sys.executable).parent / "bootlab"

INVENTORY = """\
lab: {{name: board-test}}
workers:
  local-qemu: {{kind: qemu}}
firmware:
  ovmf-4m: {{code: /usr/share/OVMF/OVMF_CODE_4M.fd, vars: /usr/share/OVMF/OVMF_VARS_4M.fd}}
targets:
boards:
  {name}:
    worker: local-qemu
    mac: "52:54:00:b0:07:42"
    bmc: {{host: 127.0.0.1, port: {bmc_port}, user: admin, password_secret: {name}-bmc, min_interval_s: 0.1, timeout_s: 5, retries: {retries}}}
    console: {{kind: sol, user: sol, password_secret: {name}-sol}}
    deploy: {deploy}
    boot_timeout_s: 90
    milestones: {milestones}
    virtual: {{serial_port: {serial_port}, memory_mb: 256, firmware: ovmf-4m}}
"""


def vboard_inventory(tmp_path: Path, deploy: str = "pxe", name: str = "vb-test", retries: int = 1) -> Path:
    """An inventory with one virtual board on free loopback ports; `deploy` is pxe or usb."""
    spec = "{method: pxe, dhcp: proxy}" if deploy == "pxe" else f"{{method: usb, device: {tmp_path / 'usb.img'}, mux: {{kind: virtual}}}}"
    path = tmp_path / "lab-inventory.yaml"
    path.write_text(INVENTORY.format(
        name=name, bmc_port=free_port(socket.SOCK_DGRAM), serial_port=free_port(), retries=retries, deploy=spec,
        milestones=REPO / "kernel" / "milestones.yaml",
    ))
    return path


def board_of(path: Path) -> tuple[Inventory, Board]:
    inventory = load_inventory(path)
    return inventory, next(iter(inventory.boards.values()))


def password(board: Board) -> str:
    return secrets.resolve(board.bmc.credentials.password_secret)


def lingering(state: Path) -> list[str]:
    """Processes whose command line names the board's state dir (zombies excluded)."""
    out = subprocess.run(["ps", "-ww", "-eo", "stat=,args="], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if str(state) in line and not line.lstrip().startswith("Z")]


@contextlib.contextmanager
def running_vboard(inventory: Inventory, board: Board) -> Iterator[manager.VboardStatus]:
    status = manager.start(board, inventory)
    try:
        yield status
    finally:
        manager.stop(board)
        left = lingering(status.state)
        assert not left, f"left running after vboard stop: {left}"


def wait_for_text(path: Path, text: str, seconds: float) -> None:
    """Wait until `text` shows up in the file at `path` (a boot's timeline.log, written live)."""
    wait_until(lambda: path.exists() and text in path.read_text(errors="replace"), seconds, f"{text!r} in {path}")


def vboards_inventory(tmp_path: Path, names: tuple[str, ...], kind: str) -> Path:
    """An inventory with several PXE virtual boards of one `kind` (siblings), each on its own ports."""
    header, board = INVENTORY.split("boards:\n")
    blocks = []
    for i, name in enumerate(names):
        block = board.format(name=name, bmc_port=free_port(socket.SOCK_DGRAM), serial_port=free_port(), retries=1,
                             deploy="{method: pxe, dhcp: proxy}", milestones=REPO / "kernel" / "milestones.yaml")
        blocks.append(block.replace('"52:54:00:b0:07:42"', f'"52:54:00:b0:07:{0x42 + i:02x}"') + f"    kind: {kind}\n")
    path = tmp_path / "lab-inventory.yaml"
    path.write_text(header.format() + "boards:\n" + "".join(blocks))
    return path
