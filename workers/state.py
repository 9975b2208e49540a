"""Where the lab keeps its state on a worker host: `$BOOTLAB_STATE` (default `build/lab`),
one directory per target or board name:

    <name>/health.json, health.lock   a target's or board's health (workers/health.py)
    <board>/lock                      the board's session lock (workers/board/lock.py)
    <board>/tftp/                     the board's staged PXE root, unless the inventory names
                                      `deploy.tftp_root`
    <board>/vboard/                   a virtual board's BMC, supervisor and VM files
    pxe-<interface>/                  `bootlab pxe-server`'s dnsmasq files
    known_hosts                       SSH host keys of the hosts that hold USB sticks
"""
from __future__ import annotations

import os
from pathlib import Path

from lab.board import Board

REPO = Path(__file__).resolve().parents[1]
ENV = "BOOTLAB_STATE"


def state_root() -> Path:
    return Path(os.environ.get(ENV) or REPO / "build" / "lab")


def state_dir(name: str) -> Path:
    """A target's or board's own directory."""
    return state_root() / name


def tftp_root(board: Board) -> Path:
    return board.deploy.tftp_root or state_dir(board.name) / "tftp"


def vboard_dir(board: Board) -> Path:
    return state_dir(board.name) / "vboard"
