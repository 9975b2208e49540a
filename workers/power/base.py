"""What a board's power driver offers; it raises workers/board/error.py's BoardError."""
from __future__ import annotations

from typing import Literal, Protocol

PowerState = Literal["on", "off"]
BootDevice = Literal["network", "disk", "usb", "cd", "http"]  # cd: virtual media; http: UEFI HTTP boot
BOOT_DEVICES: tuple[BootDevice, ...] = ("network", "disk", "usb", "cd", "http")


class PowerProtocol(Protocol):
    def status(self) -> PowerState: ...

    def on(self) -> None: ...

    def off(self) -> None: ...

    def cycle(self) -> None: ...

    def reset(self) -> None: ...

    def set_boot(self, device: BootDevice) -> None: ...

    def close(self) -> None: ...
