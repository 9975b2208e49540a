"""A person at a QEMU target's COM1 (`bootlab console --target`), as an attachment: what COM1
prints goes to their terminal, what they type goes to COM1 (and into the timeline as
channel `input`), `~.` at the start of a line detaches. The boot goes on past its verdict
while they are attached (`holds`) and ends when they detach (`ended`)."""
from __future__ import annotations

import os
import select
from typing import BinaryIO

from rustux_bootlab.lab.keys import describe
from rustux_bootlab.workers.console.escape import EscapeFilter
from rustux_bootlab.workers.qemu.attach import Attachment, LiveBoot

DETACHED = "detached at the console (~.)"


class PersonAtConsole(Attachment):
    def __init__(self, keys: int | None, screen: BinaryIO) -> None:
        self.keys = keys  # the terminal's fd (raw mode); None: watch only
        self.screen = screen
        self.escape = EscapeFilter()
        self.detached = False
        self._shown = 0  # how much of serial.log is on the screen

    def fed(self, live: LiveBoot, channel: str) -> None:
        if channel == "serial":
            self._show(live)
        self._type(live)

    def tick(self, live: LiveBoot, t: float) -> None:
        self._show(live)
        self._type(live)

    def holds(self, live: LiveBoot) -> bool:
        return not self.detached

    def ended(self, live: LiveBoot) -> str | None:
        return DETACHED if self.detached else None

    def _show(self, live: LiveBoot) -> None:
        # serial.log is written unbuffered as the runner reads COM1: follow it like `tail -f`.
        with open(live.out / "serial.log", "rb") as log:
            log.seek(self._shown)
            data = log.read()
        if data:
            self._shown += len(data)
            self.screen.write(data)
            self.screen.flush()

    def _type(self, live: LiveBoot) -> None:
        if self.keys is None or self.detached or not select.select([self.keys], [], [], 0)[0]:
            return
        data = os.read(self.keys, 1024)
        send, self.detached = self.escape.feed(data) if data else (b"", True)  # no more keys: detach
        if not send:
            return
        try:
            live.send("serial", send)
        except (OSError, ValueError) as e:
            self.screen.write(f"\r\n[bootlab: not sent: {e}]\r\n".encode())
            return
        live.capture.input(f"serial: {describe((send.decode('utf-8', 'replace'),))}", live.now())
