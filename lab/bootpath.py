"""Which path a QEMU target's boots take by default: warm (the firmware restored from a
snapshot, the resident loader starting the image) or cold, and why cold.

Warm is the default: a restored firmware reaches the kernel in a tenth of a cold boot's time,
and the cold/warm agreement check (lab/warmlane.py) turns a target's lane off the moment the
two paths disagree. A target boots cold by default only where the warm path cannot restore it
at all. Rules, first match wins (each row has a test in tests/unit/test_bootpath.py):

 #  the target                                            default  why (the record's boot_path_reason)
 1  `warm: true` or `warm: false` in the inventory        as said  "lab-inventory.yaml sets warm: false"
 2  Secure Boot enforcing                                 cold     the firmware would refuse the unsigned
                                                                   loader; the lane tests the firmware's own
                                                                   verification of the image on its disk
 3  U-Boot firmware (`-bios u-boot.rom`)                  cold     U-Boot has no `-kernel` EFI loader nor
                                                                   RAM disk for the loader to start from
 4  a QEMU of another environment (its own root)          cold     its snapshot and loader are unchecked there:
                                                                   the lane is a compatibility check, booted cold
 5  otherwise                                             warm     (the warm lane then decides, boot by boot)

A boot asked with `--warm` or `--no-warm` takes that path whatever the default. A warm default
is a request: where the lane is off or a restore fails, the boot runs cold and its record says
why (workers/warm/boot.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PathFacts:
    """What the default depends on, read from the inventory."""

    name: str
    secure_boot: bool
    bios: Path | None  # the -bios image, for firmware mode bios
    environment_root: Path | None  # None: the host's own QEMU
    environment: str = ""
    warm: bool | None = None  # the inventory's `warm:`, None when it says nothing


def cold_reason(facts: PathFacts) -> str:
    """Why `facts`' target boots cold by default, or "" when it boots warm."""
    if facts.warm is not None:
        return "" if facts.warm else f"lab-inventory.yaml sets warm: false for {facts.name}"
    if facts.secure_boot:
        return f"{facts.name} enforces Secure Boot: the firmware would refuse the unsigned resident loader"
    if facts.bios is not None and "u-boot" in facts.bios.name.lower():
        return f"{facts.name} runs U-Boot ({facts.bios.name}): it has no -kernel EFI loader for the resident loader"
    if facts.environment_root is not None:
        return f"{facts.name} runs environment {facts.environment}'s QEMU: the warm lane is checked on the host's QEMU only"
    return ""
