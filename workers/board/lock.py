"""One session per board: an exclusive `flock` on `$BOOTLAB_STATE/<board>/lock`.

The kernel drops a flock when its holder dies, even by SIGKILL, so a crashed session never
leaves a board taken. While held, the file's first line says who holds it (read by
`bootlab boards`); it is emptied on release.
"""
from __future__ import annotations

import fcntl
import os
import socket
import time
from pathlib import Path

from rustux_bootlab.lab.board import Board
from rustux_bootlab.workers.state import state_dir

LOCK_FILE = "lock"


class BoardBusy(Exception):
    """Another session holds the board."""


class BoardLock:
    def __init__(self, board: Board) -> None:
        self.board = board
        self.path = state_dir(board.name) / LOCK_FILE
        self._fd: int | None = None

    def acquire(self, purpose: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = Path(self.path).read_text(errors="replace").strip() or "another session"
            os.close(fd)
            raise BoardBusy(f"board {self.board.name} is held by {holder}") from None
        os.ftruncate(fd, 0)
        line = f"{purpose} (pid {os.getpid()} on {socket.gethostname()}, since {time.strftime('%Y-%m-%d %H:%M:%S')})\n"
        os.write(fd, line.encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        os.ftruncate(fd, 0)
        os.close(fd)  # closing drops the flock


def holder(board: Board) -> str:
    """Who holds the board: the lock file's first line while its flock is held, else '-'."""
    try:
        fd = os.open(state_dir(board.name) / LOCK_FILE, os.O_RDONLY)
    except OSError:
        return "-"
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return "-"  # nobody holds it (a session killed by SIGKILL may have left its line)
    except BlockingIOError:
        return os.read(fd, 4096).decode(errors="replace").split("\n")[0].strip() or "?"
    finally:
        os.close(fd)
