"""What every board console offers: read chunks (bytes or a gap marker), write keys, close.

A console is opened before the board is powered on so no early output is lost; after a
drop it reconnects by itself and reports the lost interval as a `ConsoleGap`, which the
board session writes into the timeline. Times are the caller's clock (seconds since the
boot started), so a gap lines up with the milestones around it.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

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


class ReconnectingConsole:
    """A console that, after a drop, tries again every `retry_s` and reports the interval as a
    `ConsoleGap`: the reconnect and gap accounting of the serial-cable and ser2net consoles.
    A subclass opens (`_open`), reads (`_read`: bytes, b"" for nothing, raises when the
    connection broke), writes and closes its connection; `_lost`/`_back` word the gap."""

    name = "serial"
    _errors: tuple[type[BaseException], ...] = (OSError,)  # what a broken connection raises
    _lost, _back = "lost", "reopened"  # in the gap: "<where> lost (<why>), reopened"
    _while_down = "is gone ({reason}): reopening"  # a write meanwhile

    def __init__(self, board: str, where: str, clock: Clock, retry_s: float) -> None:
        self.board = board
        self.where = where
        self._clock = clock
        self.retry_s = retry_s
        self._conn: Any = None
        self._down_since: float | None = None
        self._down_reason = ""
        self._next_attempt = 0.0
        self.gaps: list[ConsoleGap] = []

    def _open(self) -> Any:
        raise NotImplementedError

    def _read(self, timeout: float) -> bytes:
        raise NotImplementedError

    def _write(self, data: bytes) -> None:
        raise NotImplementedError

    def _close(self, conn: Any) -> None:
        conn.close()

    def read(self, timeout: float) -> list[Chunk]:
        chunks: list[Chunk] = []
        if self._conn is None:
            if time.monotonic() >= self._next_attempt:
                self._reopen(chunks)
            if self._conn is None:
                time.sleep(max(min(timeout, self._next_attempt - time.monotonic()), 0.0))
                return chunks
        try:
            data = self._read(max(timeout, 0.0))
        except self._errors as exc:
            self._drop(str(exc) or exc.__class__.__name__)
            return chunks
        if data:
            chunks.append(data)
        return chunks

    def write(self, data: bytes) -> None:
        if self._conn is None:
            raise ConsoleDown(f"{self.where} {self._while_down.format(reason=self._down_reason)}")
        try:
            self._write(data)
        except self._errors as exc:
            self._drop(str(exc))
            raise ConsoleDown(f"{self.where}: {exc}") from None

    @property
    def down_since(self) -> float | None:
        """While the console is lost and not back yet: since when (caller's clock)."""
        return self._down_since if self._conn is None else None

    def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            self._close(conn)

    def _drop(self, reason: str) -> None:
        self.close()
        self._down_since = self._clock()
        self._down_reason = reason
        self._next_attempt = time.monotonic() + self.retry_s

    def _reopen(self, chunks: list[Chunk]) -> None:
        try:
            self._conn = self._open()
        except self._errors:
            self._next_attempt = time.monotonic() + self.retry_s
            return
        assert self._down_since is not None
        gap = ConsoleGap(self._down_since, self._clock(), f"{self.where} {self._lost} ({self._down_reason}), {self._back}")
        self.gaps.append(gap)
        chunks.append(gap)
        self._down_since = None
