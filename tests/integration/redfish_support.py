"""Helpers for the Redfish board tests: a Redfish virtual board (sushy-emulator + libvirt domain +
ser2net) on free loopback ports, its lab CA in the test's directory, always stopped after the test
and checked to have left nothing running (nor a domain in libvirt)."""
from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

from board_support import REPO, lingering

from rustux_bootlab.lab.board import Board
from rustux_bootlab.lab.inventory import Inventory, load_inventory
from rustux_bootlab.harness.local_lab import free_port
from rustux_bootlab.workers.vboard import libvirt, redfishboard
from rustux_bootlab.workers.vboard.manager import VboardStatus

INVENTORY = """\
lab: {{name: redfish-test}}
workers:
  local-qemu: {{kind: qemu}}
firmware:
  ovmf-4m: {{code: /usr/share/OVMF/OVMF_CODE_4M.fd, vars: /usr/share/OVMF/OVMF_VARS_4M.fd}}
targets:
boards:
  {name}:
    worker: local-qemu
    mac: "52:54:00:b0:07:52"
    bmc: {{protocol: redfish, host: 127.0.0.1, port: {bmc_port}, user: admin, password_secret: {name}-bmc,
          ca: {ca}, timeout_s: 10, retries: 1}}
    console: {{kind: rfc2217, host: 127.0.0.1, port: {console_port}}}
    deploy: {{method: virtual-media, serve: 127.0.0.1}}
    boot_timeout_s: 90
    milestones: {milestones}
    virtual: {{memory_mb: 256, firmware: ovmf-4m}}
"""


def redfish_inventory(tmp_path: Path, name: str = "rf-test", bmc_port: int | None = None) -> Path:
    path = tmp_path / "lab-inventory.yaml"
    path.write_text(INVENTORY.format(name=name, bmc_port=bmc_port or free_port(), console_port=free_port(),
                                     ca=tmp_path / "lab-ca.pem", milestones=REPO / "kernel" / "milestones.yaml"))
    return path


def board_of(path: Path) -> tuple[Inventory, Board]:
    inventory = load_inventory(path)
    return inventory, next(iter(inventory.boards.values()))


@contextlib.contextmanager
def running_redfish_board(inventory: Inventory, board: Board, **options: bool) -> Iterator[VboardStatus]:
    status = redfishboard.start(board, inventory, **options)
    try:
        yield status
    finally:
        redfishboard.stop(board)
        left = lingering(status.state)
        assert not left, f"left running after vboard stop: {left}"
        assert libvirt.virsh("dominfo", redfishboard.domain_name(board), check=False).returncode != 0, "the domain was left defined"


def domain_running(board: Board) -> bool:
    return libvirt.state(redfishboard.domain_name(board)) == "running"


def ps_text() -> str:
    return subprocess.run(["ps", "-ww", "-eo", "args="], capture_output=True, text=True, check=True).stdout
