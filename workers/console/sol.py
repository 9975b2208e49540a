"""Serial-over-LAN console through the BMC (IPMI 2.0 lanplus, pyghmi).

Opened before the board is powered on, with `force=True` so a session left behind by a
killed client is taken over. pyghmi only notices a SOL session that the BMC deactivated
(another client, `ipmitool sol deactivate`, a BMC reset) at its ~25 s keepalive, so after
`probe_idle_s` of silence we ask the BMC who owns the SOL payload (Get Payload Activation
Status would not say *which* session; Get Payload Instance Info does). A drop is followed
by a reconnect every `retry_s`; the lost interval is reported as a `ConsoleGap`.

Give SOL its own IPMI user (inventory `console: {kind: sol, user, password_secret}`):
a pyghmi Console sharing a logged-in session with the power `Command` never activates.

```yaml
console: {kind: sol, user: sol, password_secret: vboard-1-sol}
```
"""
from __future__ import annotations

import struct
import time
from typing import Any

from pyghmi.ipmi import console as pyghmi_console

from rustux_bootlab.lab.verdict import Culprit
from rustux_bootlab.workers.board.error import ConsoleError
from rustux_bootlab.workers.console.base import Chunk, Clock, ConsoleDown, ConsoleGap
from rustux_bootlab.workers.ipmisession import end_session, refused

GET_PAYLOAD_INSTANCE_INFO = 0x4B  # netfn 6 (application), payload type 1 (SOL), instance 1
PROBE_TIMEOUT_S = 3.0


class SolConsole:
    name = "serial"

    def __init__(self, board: str, host: str, port: int, user: str, password: str, clock: Clock, *,
                 connect_timeout_s: float = 10.0, probe_idle_s: float = 2.0, retry_s: float = 1.0) -> None:
        self.board = board
        self.where = f"{host}:{port} (SOL user {user})"
        self._login = {"bmc": host, "port": port, "userid": user, "password": password}
        self._clock = clock
        self.connect_timeout_s = connect_timeout_s
        self.probe_idle_s = probe_idle_s
        self.retry_s = retry_s
        self._console: Any = None
        self._connected_at = 0.0
        self._pending: list[Chunk] = []
        self._last_alive = 0.0  # monotonic: last data, or the last probe that found the session ours
        self._last_probe = 0.0
        self._down_since: float | None = None  # caller's clock
        self._down_reason = ""
        self._next_attempt = 0.0  # monotonic
        self.gaps: list[ConsoleGap] = []

    def open(self) -> None:
        """Activate SOL; raise `ConsoleError` if the BMC refuses or does not answer in time."""
        error = self._connect(time.monotonic() + self.connect_timeout_s)
        if error is not None:
            ours = refused(error)  # our configuration, not the board
            raise ConsoleError(self.board, self.where, error + (": check the SOL user's secret" if ours else ""),
                               Culprit.LAB if ours else Culprit.BOARD)

    def read(self, timeout: float) -> list[Chunk]:
        if self._console is None and time.monotonic() >= self._next_attempt:
            self._reconnect()
        pyghmi_console.Console.wait_for_rsp(max(timeout, 0.0))
        if self._console is not None and time.monotonic() - max(self._last_alive, self._last_probe) >= self.probe_idle_s:
            self._probe()
        chunks, self._pending = self._pending, []
        return chunks

    def write(self, data: bytes) -> None:
        if self._console is None:
            raise ConsoleDown(f"SOL to {self.where} is down ({self._down_reason}): reconnecting")
        self._console.send_data(data)

    @property
    def down_since(self) -> float | None:
        """While the console is lost and not back yet: since when (caller's clock)."""
        return self._down_since if self._console is None else None

    def close(self) -> None:
        if self._console is not None:
            console, self._console = self._console, None
            session = console.ipmi_session
            console.close()  # deactivates the payload, so the next client need not force it
            _logout(session, self._login)

    @property
    def connected(self) -> bool:
        return self._console is not None

    def _connect(self, deadline: float) -> str | None:
        """One activation attempt, pumped until connected, refused or `deadline`."""
        errors: list[str] = []
        console = pyghmi_console.Console(iohandler=lambda d: self._receive(d, errors), force=True, **self._login)
        while not console.connected and not errors and time.monotonic() < deadline:
            pyghmi_console.Console.wait_for_rsp(0.1)
        if console.connected and not errors:
            self._console = console
            self._last_alive = time.monotonic()
            return None
        console.close()
        return errors[0] if errors else f"no SOL activation within {self.connect_timeout_s:g}s"

    def _receive(self, data: Any, errors: list[str]) -> None:
        if isinstance(data, bytes):
            self._last_alive = time.monotonic()
            self._pending.append(data)
        elif isinstance(data, dict) and "error" in data:
            if self._console is None:
                errors.append(str(data["error"]))
            else:
                self._drop(str(data["error"]))
        # {'info': 'Remote system is powered down'} needs no action: the console stays up.

    def _probe(self) -> None:
        """Does the BMC still route SOL to our session? (see the module docstring)"""
        self._last_probe = time.monotonic()  # one probe per idle period
        session = self._console.ipmi_session
        if session is None:
            self._drop("SOL session closed")
            return
        rsp = session.raw_command(netfn=6, command=GET_PAYLOAD_INSTANCE_INFO, data=(1, 1), timeout=PROBE_TIMEOUT_S)
        if "error" in rsp or rsp.get("code"):
            self._drop(f"BMC did not answer the SOL probe: {rsp.get('error') or hex(rsp['code'])}")
            return
        owner = struct.unpack("<I", bytes(rsp["data"][:4]))[0]
        if owner != session.sessionid:
            self._drop("SOL deactivated by the BMC or another client")
            return
        self._last_alive = time.monotonic()

    def _drop(self, reason: str) -> None:
        if self._console is None:
            return
        console, self._console = self._console, None
        console.broken = True  # pyghmi stops handing it our data
        # A fresh IPMI session for the reconnect: pyghmi reuses a logged-in one, and a SOL
        # activation on the session whose payload was taken away never completes.
        _logout(console.ipmi_session, self._login)
        # The session may have been gone since we last heard from it: the gap starts there.
        self._down_since = self._clock() - (time.monotonic() - self._last_alive)
        self._down_reason = reason
        self._next_attempt = time.monotonic()

    def _reconnect(self) -> None:
        self._next_attempt = time.monotonic() + self.retry_s
        if self._connect(time.monotonic() + min(self.connect_timeout_s, 3.0)) is not None:
            return
        assert self._down_since is not None
        gap = ConsoleGap(self._down_since, self._clock(), f"SOL to {self.where} dropped ({self._down_reason}), reconnected")
        self.gaps.append(gap)
        self._pending.append(gap)
        self._down_since = None


def _logout(session: Any, login: dict[str, Any]) -> None:
    end_session(session, login["bmc"], login["userid"], login["password"], login["port"])
