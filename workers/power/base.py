"""What a board's power driver offers, and the error every board driver raises.

A `BoardError` ends a board boot in ERROR, never FAIL: the kernel was not at fault. Its
culprit says whose it is: `board` (the BMC does not answer, refuses a command, the state does
not follow) or `lab` (our own misconfiguration: a missing secret, a wrong password).
"""
from __future__ import annotations

from typing import Literal, Protocol

PowerState = Literal["on", "off"]
BootDevice = Literal["network", "disk", "usb"]
BOOT_DEVICES: tuple[BootDevice, ...] = ("network", "disk", "usb")


class BoardError(Exception):
    """A board driver failed; `str()` names the board and the address it was reached at."""

    def __init__(self, board: str, where: str, message: str, culprit: Literal["board", "lab"] = "board") -> None:
        super().__init__(f"board {board}: BMC {where}: {message}")
        self.board = board
        self.where = where
        self.message = message
        self.culprit = culprit


class PowerProtocol(Protocol):
    def status(self) -> PowerState: ...

    def on(self) -> None: ...

    def off(self) -> None: ...

    def cycle(self) -> None: ...

    def reset(self) -> None: ...

    def set_boot(self, device: BootDevice) -> None: ...

    def close(self) -> None: ...
