"""Where a board's lab-side files live: `$BOOTLAB_STATE/<board>/` (default `build/lab/<board>`).

`tftp/` is the board's staged PXE root (unless the inventory names `deploy.tftp_root`),
`vboard/` the virtual board's BMC, supervisor and VM files. Board locks go here too.
"""
from __future__ import annotations

import os
from pathlib import Path

from lab.board import Board

REPO = Path(__file__).resolve().parents[1]
ENV = "BOOTLAB_STATE"


def state_root() -> Path:
    return Path(os.environ.get(ENV) or REPO / "build" / "lab")


def board_dir(board: Board) -> Path:
    return state_root() / board.name


def tftp_root(board: Board) -> Path:
    return board.deploy.tftp_root or board_dir(board) / "tftp"


def vboard_dir(board: Board) -> Path:
    return board_dir(board) / "vboard"
