"""The QEMU command line for one boot, built from a resolved target profile.

Every console channel is a unix socket on which the *runner* listens and QEMU connects
as a client during its start-up, before any guest instruction runs: nothing the guest
prints can be lost, and there is no race on socket files appearing.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

QEMU_BINARY = "qemu-system-x86_64"

# isa-debugcon ports: the kernel's console, and OVMF's debug log (debug builds only).
DEBUGCON_PORT = 0xE9
FIRMWARE_LOG_PORT = 0x402
# isa-debug-exit: the guest writes v to 0xf4, QEMU exits with (v << 1) | 1.
DEBUG_EXIT_PORT = 0xF4


@dataclass(frozen=True)
class Firmware:
    """Firmware as QEMU loads it: `pflash` (CODE read-only + a per-boot VARS copy) or `bios`."""

    mode: str
    code: Path | None = None
    vars: Path | None = None  # the fresh per-boot copy, never the pristine template
    bios: Path | None = None


@dataclass(frozen=True)
class Profile:
    machine: str  # q35 | pc
    memory_mb: int
    accel: str  # kvm | tcg (already resolved from `auto`)
    firmware: Firmware
    image: Path | None  # raw FAT image holding the ESP; None: no boot disk (a warm machine)
    secure_boot: bool = False  # OVMF's Secure Boot build: SMM guards the variable store


# The guest consoles: each a chardev on a unix socket the runner listens on, and the device
# writing to it. A new console is one row here (and its name in lab.spec.CHANNELS).
CONSOLES: dict[str, tuple[str, ...]] = {
    "debugcon": ("-device", f"isa-debugcon,iobase={DEBUGCON_PORT:#x},chardev=debugcon"),
    "serial": ("-serial", "chardev:serial"),
    "firmware": ("-device", f"isa-debugcon,iobase={FIRMWARE_LOG_PORT:#x},chardev=firmware"),
}
QMP = "qmp"


def qemu_command(profile: Profile, sockets: dict[str, Path], binary: str = QEMU_BINARY,
                 extra: tuple[str, ...] = ()) -> list[str]:
    """`sockets`: a unix socket path per console of CONSOLES and for QMP; `extra`: arguments
    the boot's attachments add (workers/qemu/attach.py)."""
    consoles = [arg for name, device in CONSOLES.items()
                for arg in ("-chardev", f"socket,id={name},path={sockets[name]}", *device)]
    return [
        binary,
        "-machine", f"{profile.machine},smm=on" if profile.secure_boot else profile.machine,
        "-accel", profile.accel,
        "-m", str(profile.memory_mb),
        # -nodefaults drops the default NIC (OVMF would try PXE for a minute) and the
        # monitor on stdio; the framebuffer comes back explicitly for screen.png.
        "-nodefaults",
        "-vga", "std",
        "-display", "none",
        "-no-reboot",
        *_firmware_args(profile.firmware),
        # Only SMM code may write the flash: without it Secure Boot's variables are not protected.
        *(("-global", "driver=cfi.pflash01,property=secure,value=on") if profile.secure_boot else ()),
        *_disk_args(profile.image),
        *consoles,
        "-device", f"isa-debug-exit,iobase={DEBUG_EXIT_PORT:#x},iosize=0x04",
        "-chardev", f"socket,id={QMP},path={sockets[QMP]}",
        "-mon", f"chardev={QMP},mode=control",
        *extra,
    ]


def _disk_args(image: Path | None) -> list[str]:
    if image is None:
        return []
    # snapshot=on: guest writes never reach the image (it may be the user's own file).
    return ["-drive", f"format=raw,file={image},snapshot=on"]


def _firmware_args(firmware: Firmware) -> list[str]:
    if firmware.mode == "bios":
        return ["-bios", str(firmware.bios)]
    return [
        "-drive", f"if=pflash,format=raw,readonly=on,file={firmware.code}",
        "-drive", f"if=pflash,format=raw,file={firmware.vars}",
    ]
