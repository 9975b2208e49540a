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
from typing import Any

import serial

from rustux_bootlab.workers.board.error import ConsoleError
from rustux_bootlab.workers.console.base import Clock, ReconnectingConsole

READ_CHUNK = 4096
NEGOTIATION_S = 3.0
CONNECT_TIMEOUT_S = 3.0


class NetConsole(ReconnectingConsole):
    _errors = (serial.SerialException, OSError, ConnectionError)
    _lost, _back = "dropped", "reconnected"
    _while_down = "is down ({reason}): reconnecting"

    def __init__(self, board: str, kind: str, host: str, port: int, baud: int, clock: Clock, *,
                 retry_s: float = 0.5) -> None:
        super().__init__(board, f"{kind}://{host}:{port}", clock, retry_s)
        self.kind = kind
        self.host, self.port, self.baud = host, port, baud

    def open(self) -> None:
        try:
            self._conn = self._open()
        except (serial.SerialException, OSError) as exc:
            raise ConsoleError(self.board, self.where, f"{exc}: check that ser2net runs there and serves this "
                               "port (and, for rfc2217, with telnet(rfc2217) on its accepter)") from None

    def _write(self, data: bytes) -> None:
        if self.kind == "tcp":
            self._conn.sendall(data)
        else:
            self._conn.write(data)

    def _close(self, conn: Any) -> None:
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
