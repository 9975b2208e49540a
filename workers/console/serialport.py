"""A local serial port (pyserial) for boards wired to the lab controller.

A USB-serial adapter that vanishes (unplugged, board power glitch on a bus-powered
adapter) is reopened every `retry_s`; the interval in between is a `ConsoleGap`.

```yaml
console: {kind: serial, device: /dev/ttyUSB0, baud: 115200}
```
"""
from __future__ import annotations

import select
import time
from pathlib import Path

import serial

from workers.board.error import ConsoleError
from workers.console.base import Chunk, Clock, ConsoleDown, ConsoleGap

READ_CHUNK = 4096


class SerialConsole:
    name = "serial"

    def __init__(self, board: str, device: Path, baud: int, clock: Clock, *, retry_s: float = 1.0) -> None:
        self.board = board
        self.device = device
        self.baud = baud
        self.where = f"{device} at {baud} baud"
        self._clock = clock
        self.retry_s = retry_s
        self._port: serial.Serial | None = None
        self._down_since: float | None = None
        self._down_reason = ""
        self._next_attempt = 0.0
        self.gaps: list[ConsoleGap] = []

    def open(self) -> None:
        try:
            self._port = self._open()
        except (serial.SerialException, OSError) as exc:
            raise ConsoleError(self.board, self.where, f"{exc}: check the cable, the device path and its permissions") from exc

    def read(self, timeout: float) -> list[Chunk]:
        chunks: list[Chunk] = []
        if self._port is None:
            if time.monotonic() >= self._next_attempt:
                self._reopen(chunks)
            if self._port is None:
                time.sleep(max(min(timeout, self._next_attempt - time.monotonic()), 0.0))
                return chunks
        assert self._port is not None
        ready, _, _ = select.select([self._port.fileno()], [], [], max(timeout, 0.0))
        if not ready:
            return chunks
        try:
            data = self._port.read(READ_CHUNK)
        except (serial.SerialException, OSError) as exc:
            self._drop(str(exc))
            return chunks
        if data:
            chunks.append(data)
        return chunks

    def write(self, data: bytes) -> None:
        if self._port is None:
            raise ConsoleDown(f"{self.where} is gone ({self._down_reason}): reopening")
        try:
            self._port.write(data)
        except (serial.SerialException, OSError) as exc:
            self._drop(str(exc))
            raise ConsoleDown(f"{self.where}: {exc}") from None

    @property
    def down_since(self) -> float | None:
        """While the console is lost and not back yet: since when (caller's clock)."""
        return self._down_since if self._port is None else None

    def close(self) -> None:
        if self._port is not None:
            port, self._port = self._port, None
            port.close()

    def _open(self) -> serial.Serial:
        # Non-blocking reads (timeout=0) after select(); no flow control: boards' consoles are 3-wire.
        return serial.Serial(str(self.device), self.baud, timeout=0, exclusive=True)

    def _drop(self, reason: str) -> None:
        self.close()
        self._down_since = self._clock()
        self._down_reason = reason
        self._next_attempt = time.monotonic() + self.retry_s

    def _reopen(self, chunks: list[Chunk]) -> None:
        try:
            self._port = self._open()
        except (serial.SerialException, OSError):
            self._next_attempt = time.monotonic() + self.retry_s
            return
        assert self._down_since is not None
        gap = ConsoleGap(self._down_since, self._clock(), f"{self.where} lost ({self._down_reason}), reopened")
        self.gaps.append(gap)
        chunks.append(gap)
        self._down_since = None
