"""A person at a QEMU target's COM1 (`bootlab console --target`): what COM1 prints goes to
their terminal, what they type goes to COM1 (and into the timeline as channel `input`),
`~.` at the start of a line detaches. The boot around it is an ordinary one, record included."""
from __future__ import annotations

from typing import IO, BinaryIO

from lab.keys import describe
from workers.capture import Capture
from workers.console.escape import EscapeFilter
from workers.inputs import InputError, SocketSerial


class Attachment:
    def __init__(self, keys: IO[bytes] | None, screen: BinaryIO) -> None:
        self.keys = keys  # the terminal (raw mode); None: watch only
        self.screen = screen
        self.escape = EscapeFilter()
        self.detached = False

    def show(self, data: bytes) -> None:
        self.screen.write(data)
        self.screen.flush()

    def typed(self, data: bytes, port: SocketSerial, capture: Capture, t: float) -> None:
        """Keys from the terminal (an empty read: the terminal closed, so detach)."""
        send, self.detached = self.escape.feed(data) if data else (b"", True)
        if not send:
            return
        try:
            port.write(send)
        except InputError as e:
            self.show(f"\r\n[bootlab: not sent: {e.reason}]\r\n".encode())
            return
        capture.input(f"serial: {describe((send.decode('utf-8', 'replace'),))}", t)
