"""A serial console behind a terminal server (ser2net): RFC 2217 (`rfc2217`) or a raw TCP socket (`tcp`).

Opened before power-on like every console. When the terminal server drops the connection
(restarted, `kickolduser` by another client, the network) the console reconnects every
`retry_s` and reports the lost interval as a `ConsoleGap`, as SOL and a local port do.

RFC 2217 goes through pyserial's `rfc2217://` client. It refuses a server that does not
offer the COM-PORT option, and it waits for the answer to every control request; ser2net
answers SET_CONTROL with values pyserial does not expect, so the URL carries
`ign_set_control` (pyserial's own switch for ser2net), and the negotiation gets
`NEGOTIATION_S`. labgrid went further and ships a pyserial fork (`pyserial-labgrid`) for
RFC 2217 fixes upstream never merged (a reader thread that dies silently on a closed socket,
a close that waits for answers from a dead server); here a dead reader thread is what
`read` notices as the drop, and the close never waits on the server.

```yaml
console: {kind: rfc2217, host: 10.0.0.5, port: 7001, baud: 115200}   # or kind: tcp
```
"""
from __future__ import annotations

import select
import socket
import time
from typing import Any

import serial

from workers.board.error import ConsoleError
from workers.console.base import Chunk, Clock, ConsoleDown, ConsoleGap

READ_CHUNK = 4096
NEGOTIATION_S = 3.0
CONNECT_TIMEOUT_S = 3.0


class NetConsole:
    name = "serial"

    def __init__(self, board: str, kind: str, host: str, port: int, baud: int, clock: Clock, *,
                 retry_s: float = 0.5) -> None:
        self.board = board
        self.kind = kind
        self.host, self.port, self.baud = host, port, baud
        self.where = f"{kind}://{host}:{port}"
        self._clock = clock
        self.retry_s = retry_s
        self._conn: Any = None  # serial.Serial (rfc2217) or socket.socket (tcp)
        self._down_since: float | None = None
        self._down_reason = ""
        self._next_attempt = 0.0
        self.gaps: list[ConsoleGap] = []

    def open(self) -> None:
        try:
            self._conn = self._open()
        except (serial.SerialException, OSError) as exc:
            raise ConsoleError(self.board, self.where, f"{exc}: check that ser2net runs there and serves this "
                               "port (and, for rfc2217, with telnet(rfc2217) on its accepter)") from None

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
        except (serial.SerialException, OSError, ConnectionError) as exc:
            self._drop(str(exc) or exc.__class__.__name__)
            return chunks
        if data:
            chunks.append(data)
        return chunks

    def write(self, data: bytes) -> None:
        if self._conn is None:
            raise ConsoleDown(f"{self.where} is down ({self._down_reason}): reconnecting")
        try:
            if self.kind == "tcp":
                self._conn.sendall(data)
            else:
                self._conn.write(data)
        except (serial.SerialException, OSError) as exc:
            self._drop(str(exc))
            raise ConsoleDown(f"{self.where}: {exc}") from None

    @property
    def down_since(self) -> float | None:
        return self._down_since if self._conn is None else None

    def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.close()
            except (serial.SerialException, OSError):
                pass  # the server is gone already

    def _open(self) -> Any:
        if self.kind == "tcp":
            return socket.create_connection((self.host, self.port), timeout=CONNECT_TIMEOUT_S)
        url = f"rfc2217://{self.host}:{self.port}?ign_set_control&timeout={NEGOTIATION_S:g}"
        return serial.serial_for_url(url, baudrate=self.baud, timeout=0)

    def _read(self, timeout: float) -> bytes:
        if self.kind == "tcp":
            ready, _, _ = select.select([self._conn], [], [], timeout)
            if not ready:
                return b""
            data = self._conn.recv(READ_CHUNK)
            if not data:
                raise ConnectionError("the terminal server closed the connection")
            return data
        self._conn.timeout = timeout
        data = self._conn.read(READ_CHUNK)
        if not data and not self._conn._thread.is_alive():  # pyserial's reader ends when the socket does
            raise ConnectionError("the terminal server closed the connection")
        return data

    def _drop(self, reason: str) -> None:
        self.close()
        self._down_since = self._clock()
        self._down_reason = reason
        self._next_attempt = time.monotonic() + self.retry_s

    def _reopen(self, chunks: list[Chunk]) -> None:
        try:
            self._conn = self._open()
        except (serial.SerialException, OSError):
            self._next_attempt = time.monotonic() + self.retry_s
            return
        assert self._down_since is not None
        gap = ConsoleGap(self._down_since, self._clock(), f"{self.where} dropped ({self._down_reason}), reconnected")
        self.gaps.append(gap)
        chunks.append(gap)
        self._down_since = None
