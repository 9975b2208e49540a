"""Where a step's keys are typed: one port per input of `lab.conversation_spec.INPUTS`.

A port either delivers the keys or raises `InputError` with the culprit: the question never
reached the kernel, so the boot is ERROR (board or lab), never FAIL. A console that is down
for a moment (a SOL session being re-established) raises `InputDown`: the runner holds the
keys and tries again until the step's timeout, then gives up with `InputError`.

    ports = {"serial": SocketSerial(lambda: streams.connections.get("serial"))}  # QEMU: COM1's chardev socket
    ports = {"serial": ConsoleSerial(console)}      # a board: its SOL session or serial cable
"""
from __future__ import annotations

import select
import socket
import time
from collections.abc import Callable
from typing import Protocol

from rustux_bootlab.lab.keys import Keys, serial_bytes
from rustux_bootlab.lab.verdict import Culprit
from rustux_bootlab.workers.console.base import ConsoleDown, ConsoleProtocol

WRITE_TIMEOUT_S = 2.0  # QEMU reads COM1 as fast as the guest drains its FIFO: never this long


class InputError(Exception):
    def __init__(self, culprit: Culprit, reason: str) -> None:
        super().__init__(reason)
        self.culprit = culprit
        self.reason = reason


class InputDown(Exception):
    """The input is down for now; the same keys may be sent again later."""


class InputPort(Protocol):
    name: str

    def send(self, keys: Keys) -> None: ...


class SocketSerial:
    """COM1 of a QEMU target: the runner's end of the serial chardev socket, also read as `serial`."""

    name = "serial"

    def __init__(self, connection: Callable[[], socket.socket | None]) -> None:
        self.connection = connection  # QEMU connects while it starts: looked up when typing

    def send(self, keys: Keys) -> None:
        self.write(serial_bytes(keys))

    def write(self, data: bytes) -> None:
        conn = self.connection()
        if conn is None:
            raise InputError(Culprit.LAB, "QEMU never connected COM1's socket")
        deadline = time.monotonic() + WRITE_TIMEOUT_S
        try:
            while data:
                if not select.select([], [conn], [], max(deadline - time.monotonic(), 0.0))[1]:
                    raise InputError(Culprit.LAB, f"COM1 took no input for {WRITE_TIMEOUT_S:g}s ({len(data)} bytes left)")
                data = data[conn.send(data):]
        except OSError as e:
            raise InputError(Culprit.LAB, f"writing to COM1's socket failed: {e}") from None


class ConsoleSerial:
    """A board's console (SOL or serial cable): what a person types in `bootlab console`."""

    name = "serial"

    def __init__(self, console: ConsoleProtocol) -> None:
        self.console = console

    def send(self, keys: Keys) -> None:
        try:
            self.console.write(serial_bytes(keys))
        except ConsoleDown as e:
            raise InputDown(str(e)) from None
