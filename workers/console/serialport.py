"""A local serial port (pyserial) for boards wired to the lab controller.

A USB-serial adapter that vanishes (unplugged, board power glitch on a bus-powered
adapter) is reopened every `retry_s`; the interval in between is a `ConsoleGap`.

```yaml
console: {kind: serial, device: /dev/ttyUSB0, baud: 115200}
```
"""
from __future__ import annotations

import select
from pathlib import Path

import serial

from rustux_bootlab.workers.board.error import ConsoleError
from rustux_bootlab.workers.console.base import Clock, ReconnectingConsole

READ_CHUNK = 4096


class SerialConsole(ReconnectingConsole):
    _errors = (serial.SerialException, OSError)

    def __init__(self, board: str, device: Path, baud: int, clock: Clock, *, retry_s: float = 1.0) -> None:
        super().__init__(board, f"{device} at {baud} baud", clock, retry_s)
        self.device = device
        self.baud = baud

    def open(self) -> None:
        try:
            self._conn = self._open()
        except (serial.SerialException, OSError) as exc:
            raise ConsoleError(self.board, self.where, f"{exc}: check the cable, the device path and its permissions") from exc

    def _read(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self._conn.fileno()], [], [], timeout)
        return self._conn.read(READ_CHUNK) if ready else b""

    def _write(self, data: bytes) -> None:
        self._conn.write(data)

    def _open(self) -> serial.Serial:
        # Non-blocking reads (timeout=0) after select(); no flow control: boards' consoles are 3-wire.
        return serial.Serial(str(self.device), self.baud, timeout=0, exclusive=True)
