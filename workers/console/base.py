"""What every board console offers: read chunks (bytes or a gap marker), write keys, close.

A console is opened before the board is powered on so no early output is lost; after a
drop it reconnects by itself and reports the lost interval as a `ConsoleGap`, which the
board session writes into the timeline. Times are the caller's clock (seconds since the
boot started), so a gap lines up with the milestones around it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

Clock = Callable[[], float]


class ConsoleDown(Exception):
    """`write` while the console is between a drop and its reconnect: nothing was sent."""


@dataclass(frozen=True)
class ConsoleGap:
    """The console was down between `start` (the last sign of life) and `end` (reconnected),
    on the caller's clock: what the board sent in between may be lost."""

    start: float
    end: float
    reason: str

    def text(self) -> str:
        return f"console gap {self.start:.2f}s-{self.end:.2f}s (up to {self.end - self.start:.2f}s lost): {self.reason}"


Chunk = bytes | ConsoleGap


class ConsoleProtocol(Protocol):
    name: str  # the record channel the console feeds (`serial`: SOL and cable alike)

    def open(self) -> None: ...

    def read(self, timeout: float) -> list[Chunk]: ...

    def write(self, data: bytes) -> None:
        """Send keys; raises `ConsoleDown` while the console is down (nothing was sent)."""

    @property
    def down_since(self) -> float | None:
        """Since when the console is down (caller's clock), None while it is up."""

    def close(self) -> None: ...
