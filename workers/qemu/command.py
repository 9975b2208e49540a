"""QEMU command lines: the one place that knows QEMU's options. A boot's (`qemu_command`,
from a resolved target profile), the KVM probe's (workers/qemu/kvm.py) and a virtual board's
(workers/vboard/machine.py) share the machine and firmware arguments built here.

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
    arch: str = "x86_64"  # lab.arch: aarch64 is `virt` with a PL011, ramfb and virtio-blk


# The guest consoles: each a chardev on a unix socket the runner listens on, and the device
# writing to it. A new console is one row here (and its name in lab.spec.CHANNELS).
CONSOLES: dict[str, tuple[str, ...]] = {
    "debugcon": ("-device", f"isa-debugcon,iobase={DEBUGCON_PORT:#x},chardev=debugcon"),
    "serial": ("-serial", "chardev:serial"),
    "firmware": ("-device", f"isa-debugcon,iobase={FIRMWARE_LOG_PORT:#x},chardev=firmware"),
}
QMP = "qmp"
# virt has no ISA bus: its consoles' chardevs exist (the runner listens on every channel) but
# only the PL011 writes to one; the GOP is ramfb's (virtio-gpu's AAVMF GOP has no linear framebuffer).
VIRT_CPU = "cortex-a57"


def qemu_command(profile: Profile, sockets: dict[str, Path], binary: str = QEMU_BINARY,
                 extra: tuple[str, ...] = ()) -> list[str]:
    """`sockets`: a unix socket path per console of CONSOLES and for QMP; `extra`: arguments
    the boot's attachments add (workers/qemu/attach.py)."""
    virt = profile.arch == "aarch64"
    consoles = [arg for name, device in CONSOLES.items()
                for arg in ("-chardev", f"socket,id={name},path={sockets[name]}",
                            *(device if not virt or name == "serial" else ()))]
    return [
        binary,
        *machine_args(f"{profile.machine},smm=on" if profile.secure_boot else profile.machine,
                      profile.accel, profile.memory_mb),
        *(("-cpu", VIRT_CPU) if virt else ()),
        # the framebuffer, back after -nodefaults, for screen.png
        *(("-device", "ramfb") if virt else ("-vga", "std")),
        "-display", "none",
        "-no-reboot",
        *firmware_args(profile.firmware),
        # Only SMM code may write the flash: without it Secure Boot's variables are not protected.
        *(("-global", "driver=cfi.pflash01,property=secure,value=on") if profile.secure_boot else ()),
        *_disk_args(profile.image, virt),
        *consoles,
        *(() if virt else ("-device", f"isa-debug-exit,iobase={DEBUG_EXIT_PORT:#x},iosize=0x04")),
        "-chardev", f"socket,id={QMP},path={sockets[QMP]}",
        "-mon", f"chardev={QMP},mode=control",
        *extra,
    ]


def _disk_args(image: Path | None, virt: bool = False) -> list[str]:
    if image is None:
        return []
    # snapshot=on: guest writes never reach the image (it may be the user's own file).
    if virt:
        return ["-drive", f"if=none,id=esp,format=raw,file={image},snapshot=on", "-device", "virtio-blk-pci,drive=esp"]
    return ["-drive", f"format=raw,file={image},snapshot=on"]


def machine_args(machine: str, accel: str, memory_mb: int) -> list[str]:
    """The machine with no default devices: -nodefaults drops the default NIC (OVMF would try
    PXE for a minute) and the monitor on stdio; each user adds back what it needs."""
    return ["-machine", machine, "-accel", accel, "-m", str(memory_mb), "-nodefaults"]


def firmware_args(firmware: Firmware) -> list[str]:
    """`-bios`, or pflash: CODE read-only and the per-boot VARS copy."""
    if firmware.mode == "bios":
        return ["-bios", str(firmware.bios)]
    return [
        "-drive", f"if=pflash,format=raw,readonly=on,file={firmware.code}",
        "-drive", f"if=pflash,format=raw,file={firmware.vars}",
    ]
