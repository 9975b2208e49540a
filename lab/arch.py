"""Architectures a target can boot: the UEFI boot file its firmware looks for, the PE machine
type of an image it can run, the QEMU that emulates it, and the channels its machine lacks.

 arch     boot file             PE machine  QEMU                  machines   no such channel
 x86_64   EFI/BOOT/BOOTX64.EFI  0x8664      qemu-system-x86_64    q35, pc    -
 aarch64  EFI/BOOT/BOOTAA64.EFI 0xaa64      qemu-system-aarch64   virt       debugcon (port 0xE9), firmware
                                                                             (OVMF's log port 0x402),
                                                                             isa-debug-exit, PS/2 keyboard

On `virt` the kernel and the firmware both write to the PL011 (the lab's `serial`); `poweroff`
is PSCI SYSTEM_OFF, after which QEMU exits 0, as it does after a panic: there the verdict
comes from the lines. Keyboard steps of a conversation are skipped and listed.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Arch:
    name: str
    boot_file: str  # ESP-relative, upper case as the UEFI spec names it
    pe_machine: int
    qemu: str
    machines: tuple[str, ...]
    missing_channels: tuple[str, ...] = ()  # guest channels its machine does not have
    keyboard: bool = True  # a PS/2 keyboard QMP can type on
    build_dir: str = "."  # where `make kernel ARCH=<name>` puts its esp/, relative to build/
    spec: str = "milestones.yaml"  # the kernel's milestone spec for it, in kernel/

X86_64 = Arch("x86_64", "EFI/BOOT/BOOTX64.EFI", 0x8664, "qemu-system-x86_64", ("q35", "pc"))
AARCH64 = Arch("aarch64", "EFI/BOOT/BOOTAA64.EFI", 0xAA64, "qemu-system-aarch64", ("virt",),
               missing_channels=("debugcon", "firmware"), keyboard=False, build_dir="aarch64",
               spec="milestones-aarch64.yaml")
ARCHES = {a.name: a for a in (X86_64, AARCH64)}
BOOT_FILES = {a.boot_file: a for a in ARCHES.values()}
_PE_OFFSET = 0x3C  # where the MZ header keeps the PE header's offset


def pe_machine(path: Path) -> int | None:
    """The COFF machine type of a PE image, None if it is not one; raises `OSError`."""
    with open(path, "rb") as f:
        head = f.read(4096)
    if head[:2] != b"MZ" or len(head) < _PE_OFFSET + 4:
        return None
    (pe,) = struct.unpack_from("<I", head, _PE_OFFSET)
    if head[pe:pe + 4] != b"PE\0\0" or len(head) < pe + 6:
        return None
    (machine,) = struct.unpack_from("<H", head, pe + 4)
    return int(machine)


def arch_of_machine(machine: int | None) -> str:
    """`x86_64`, `aarch64`, or the type in hex for one the lab does not boot."""
    return next((a.name for a in ARCHES.values() if a.pe_machine == machine), "unknown" if machine is None else f"{machine:#06x}")


def image_arch_problem(files: dict[str, Path], arch: Arch) -> str | None:
    """Why an ESP (ESP-relative path -> file) cannot boot on `arch`, or None: its boot file is
    another architecture's, or the file at the right path is built for another machine."""
    upper = {rel.upper(): path for rel, path in files.items()}
    if arch.boot_file not in upper:
        others = [a for f, a in BOOT_FILES.items() if f in upper]
        if others:
            return (f"the image holds {others[0].boot_file} (an {others[0].name} image) but the target is {arch.name}: "
                    f"its firmware looks for {arch.boot_file}; build for {arch.name} (make kernel ARCH={arch.name}) "
                    f"or boot it on an {others[0].name} target")
        return None  # no boot file at all: lab.esp says so
    try:
        machine = pe_machine(upper[arch.boot_file])
    except OSError:
        return None
    if machine is not None and machine != arch.pe_machine:
        return (f"{arch.boot_file} is a PE32+ image for {arch_of_machine(machine)} (machine {machine:#06x}), not "
                f"{arch.name} ({arch.pe_machine:#06x}): the firmware would refuse to run it; rebuild it for {arch.name}")
    return None
