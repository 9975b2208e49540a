"""Infrastructure signatures the lab knows for every kernel.

A spec is data written by kernel developers; these are facts about OVMF and QEMU that
must hold even when a spec forgets them, so a missing boot file is never blamed on the
kernel. A spec entry with the same name replaces the built-in one (and inherits its hint
if it gives none). When the firmware gives up after it said why (an image that ran and
returned an error, a Secure Boot refusal), lab.bootoptions' table decides instead.
"""
from __future__ import annotations

import re
from dataclasses import replace

from rustux_bootlab.lab.spec import InfraSignature
from rustux_bootlab.lab.verdict import Culprit

_FIRMWARE_CONSOLES = frozenset({"serial", "firmware"})
# Why BdsDxe moved on from a boot option: `Not Found`, `Out of Resources`, `Access Denied`...
_LOAD_FAILED = re.compile(r'BdsDxe: failed to load (?P<option>Boot\S+) "(?P<device>[^"]*?)\s*" from .*: (?P<status>[^:]+?)\s*$',
                          re.MULTILINE)

# Not `BdsDxe: failed to load Boot... Not Found`: OVMF prints that on every good q35 boot
# for the empty DVD-ROM entry before it loads the disk (see tests/fixtures/captures/pass).
BUILTIN_INFRASTRUCTURE: tuple[InfraSignature, ...] = (
    InfraSignature(
        "firmware-shell-fallback",
        _FIRMWARE_CONSOLES,
        re.compile(r'BdsDxe: (?:loading|starting) Boot\S+ "EFI Internal Shell"', re.MULTILINE),
        Culprit.FIRMWARE,
        "the firmware found nothing to boot and fell back to the EFI shell: is EFI/BOOT/BOOTX64.EFI on the ESP?",
        _LOAD_FAILED,
    ),
    InfraSignature(
        "no-bootable-device",
        _FIRMWARE_CONSOLES,
        re.compile(r"BdsDxe: No bootable option or device was found", re.MULTILINE),
        Culprit.FIRMWARE,
        "the firmware found no boot option: is EFI/BOOT/BOOTX64.EFI on the ESP?",
        _LOAD_FAILED,
    ),
    # U-Boot's UEFI (u-boot-qemu 2023.01) says why on the line before `Loading image failed`
    # (`Machine type 0xaa64 is not supported`), then tries its other devices and stops at its prompt.
    InfraSignature(
        "u-boot-efi-load-failed",
        _FIRMWARE_CONSOLES,
        re.compile(r"^EFI LOAD FAILED", re.MULTILINE),
        Culprit.FIRMWARE,
        "U-Boot's UEFI could not load EFI/BOOT/BOOTX64.EFI",
        re.compile(r"^(?!Loading image failed|EFI LOAD FAILED|Booting )(?P<said>\S.*?)\s*$", re.MULTILINE),
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
    """The spec's signatures (taking a built-in's hint and cause when they have none) plus the other built-ins."""
    builtin = {s.name: s for s in BUILTIN_INFRASTRUCTURE}
    own = tuple(
        replace(s, hint=s.hint or builtin[s.name].hint, cause=s.cause or builtin[s.name].cause) if s.name in builtin else s
        for s in spec_signatures
    )
    names = {s.name for s in own}
    return own + tuple(s for s in BUILTIN_INFRASTRUCTURE if s.name not in names)
