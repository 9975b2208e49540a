"""Where the lab keeps its state on a worker host: `$BOOTLAB_STATE` (default `build/lab`),
one directory per target or board name:

    <name>/health.json, health.lock   a target's or board's health (workers/health.py)
    <target>/warm-lane.json, .lock    whether the target may boot warm (workers/warm/lane.py)
    <board>/lock                      the board's session lock (workers/board/lock.py)
    <board>/tftp/                     the board's staged PXE root, unless the inventory names
                                      `deploy.tftp_root`
    <board>/vboard/                   a virtual board's BMC, supervisor and VM files
    pxe-<interface>/                  `bootlab pxe-server`'s dnsmasq files
    known_hosts                       SSH host keys of the hosts that hold USB sticks
"""
from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from rustux_bootlab.lab.board import Board
from rustux_bootlab.lab.jsonfile import write_json

REPO = Path(__file__).resolve().parents[1]


class _State(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


T = TypeVar("T", bound=_State)
ENV = "BOOTLAB_STATE"


def state_root() -> Path:
    return Path(os.environ.get(ENV) or REPO / "build" / "lab")


def cache_root() -> Path:
    """The worker's caches, which can be deleted at any time (KVM probe, firmware scans, ESP
    images, snapshots): `$XDG_CACHE_HOME/rustux-bootlab`."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rustux-bootlab"


def state_dir(name: str) -> Path:
    """A target's or board's own directory."""
    return state_root() / name


def tftp_root(board: Board) -> Path:
    return board.deploy.tftp_root or state_dir(board.name) / "tftp"


def vboard_dir(board: Board) -> Path:
    return state_dir(board.name) / "vboard"



class StateFile(Generic[T]):
    """One JSON state file per target or board (`<name>/<filename>`): read, or changed under
    an flock on `<stem>.lock` beside it (a boot's update and an operator's command never
    overwrite each other), written atomically (temp file + rename)."""

    def __init__(self, filename: str, parse: Callable[[Any], T], default: Callable[[], T],
                 error: type[Exception], deleting: str) -> None:
        self.filename = filename
        self.parse = parse  # raises `error` for content it cannot read
        self.default = default  # the state of a name without a file
        self.error = error
        self.deleting = deleting  # what deleting a broken file does, e.g. "makes {name} good"

    def path(self, name: str) -> Path:
        return state_dir(name) / self.filename

    def load(self, name: str) -> T:
        path = self.path(name)
        try:
            return self.parse(json.loads(path.read_text()))
        except FileNotFoundError:
            return self.default()
        except (json.JSONDecodeError, self.error) as e:
            raise self.error(f"{path}: {e}: fix or delete the file (deleting it {self.deleting.format(name=name)})") from e

    def update(self, name: str, change: Callable[[T], T]) -> T:
        path = self.path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            state = change(self.load(name))
            write_json(path, state.to_dict(), indent=2)
            return state
        finally:
            os.close(fd)
