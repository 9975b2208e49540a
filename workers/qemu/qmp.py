"""A tiny QMP client over a socket QEMU connected to: handshake, events, commands.

Events (SHUTDOWN with its reason, RESET, STOP) are facts for the timeline; the
session pumps them while the guest runs. While `execute` waits for its answer it calls
`drain` (the boot's channels read ahead, workers/capture.py `Streams.hold`) every
`DRAIN_S`: QEMU that cannot write a console cannot answer.
"""
from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Callable
from typing import Any

DRAIN_S = 0.005


class QmpError(Exception):
    """QMP answered with an error, closed, or did not answer in time."""


class QmpClient:
    def __init__(self, sock: socket.socket, drain: Callable[[], None] | None = None) -> None:
        self.sock = sock
        self.drain = drain
        self._ids = 0
        self._buffer = b""
        self.pending_events: list[dict[str, Any]] = []
        self.closed = False

    def handshake(self, timeout: float = 10.0) -> dict[str, Any]:
        greeting = self._next_message(time.monotonic() + timeout)
        if "QMP" not in greeting:
            raise QmpError(f"unexpected QMP greeting: {greeting!r}")
        self.execute("qmp_capabilities", timeout=timeout)
        return greeting["QMP"]

    def pump(self) -> list[dict[str, Any]]:
        """Read what is available without blocking; return the events received."""
        self.sock.setblocking(False)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    self.closed = True
                    break
                self._buffer += chunk
        except BlockingIOError:
            pass
        except OSError:
            self.closed = True
        for message in self._take_messages():
            if "event" in message:
                self.pending_events.append(message)
        events, self.pending_events = self.pending_events, []
        return events

    def execute(self, command: str, arguments: dict[str, Any] | None = None, timeout: float = 10.0) -> Any:
        self._ids += 1
        request: dict[str, Any] = {"execute": command, "id": self._ids}
        if arguments:
            request["arguments"] = arguments
        try:
            self.sock.setblocking(True)
            self.sock.sendall(json.dumps(request).encode() + b"\n")
        except OSError as exc:
            raise QmpError(f"QMP {command}: {exc}") from exc
        deadline = time.monotonic() + timeout
        while True:
            message = self._next_message(deadline)
            if "event" in message:
                self.pending_events.append(message)
            elif message.get("id", request["id"]) != request["id"]:
                continue  # the late answer to a command that timed out
            elif "error" in message:
                raise QmpError(f"QMP {command}: {message['error'].get('desc', message['error'])}")
            elif "return" in message:
                return message["return"]

    def close(self) -> None:
        self.closed = True
        self.sock.close()

    def _next_message(self, deadline: float) -> dict[str, Any]:
        while True:
            messages = self._take_messages(limit=1)
            if messages:
                return messages[0]
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.closed:
                raise QmpError("QMP did not answer in time" if remaining <= 0 else "QMP connection closed")
            if self.drain is not None and not select.select([self.sock], [], [], min(remaining, DRAIN_S))[0]:
                self.drain()
                continue
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError as exc:
                raise QmpError("QMP did not answer in time") from exc
            except OSError as exc:
                self.closed = True  # reset: QEMU is gone (a guest that powered itself off), not a broken QMP
                raise QmpError(f"QMP connection failed: {exc}") from exc
            if not chunk:
                self.closed = True
            self._buffer += chunk

    def _take_messages(self, limit: int | None = None) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while b"\n" in self._buffer and (limit is None or len(messages) < limit):
            line, self._buffer = self._buffer.split(b"\n", 1)
            if line.strip():
                messages.append(json.loads(line))
        return messages
