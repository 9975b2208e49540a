"""Infrastructure signatures the lab knows for every kernel.

A spec is data written by kernel developers; these are facts about OVMF and QEMU that
must hold even when a spec forgets them, so a missing boot file is never blamed on the
kernel. A spec entry with the same name replaces the built-in one (and inherits its hint
if it gives none).
"""
from __future__ import annotations

import re
from dataclasses import replace

from lab.spec import InfraSignature
from lab.verdict import Culprit

_FIRMWARE_CONSOLES = frozenset({"serial", "firmware"})

# Not `BdsDxe: failed to load Boot... Not Found`: OVMF prints that on every good q35 boot
# for the empty DVD-ROM entry before it loads the disk (see tests/fixtures/captures/pass).
BUILTIN_INFRASTRUCTURE: tuple[InfraSignature, ...] = (
    InfraSignature(
        "firmware-shell-fallback",
        _FIRMWARE_CONSOLES,
        re.compile(r'BdsDxe: (?:loading|starting) Boot\S+ "EFI Internal Shell"', re.MULTILINE),
        Culprit.FIRMWARE,
        "the firmware found nothing to boot and fell back to the EFI shell: is EFI/BOOT/BOOTX64.EFI on the ESP?",
    ),
    InfraSignature(
        "no-bootable-device",
        _FIRMWARE_CONSOLES,
        re.compile(r"BdsDxe: No bootable option or device was found", re.MULTILINE),
        Culprit.FIRMWARE,
        "the firmware found no boot option: is EFI/BOOT/BOOTX64.EFI on the ESP?",
    ),
    InfraSignature(
        "kvm-internal-error",
        frozenset({"qemu"}),
        re.compile(r"KVM internal error", re.MULTILINE),
        Culprit.HOST,
        "KVM failed on this host: retry with --accel tcg",
    ),
)


def with_builtins(spec_signatures: tuple[InfraSignature, ...]) -> tuple[InfraSignature, ...]:
    """The spec's signatures (taking a built-in's hint when they have none) plus the other built-ins."""
    builtin = {s.name: s for s in BUILTIN_INFRASTRUCTURE}
    own = tuple(
        replace(s, hint=builtin[s.name].hint) if s.hint is None and s.name in builtin else s for s in spec_signatures
    )
    names = {s.name for s in own}
    return own + tuple(s for s in BUILTIN_INFRASTRUCTURE if s.name not in names)
