"""Firmware checks for AAVMF, EDK2's AArch64 build for QEMU `virt` (Debian 12's
qemu-efi-aarch64 2022.11), before every boot of an aarch64 target: the same promise as
lab/firmware.py (never blame the kernel for a broken firmware), with AAVMF's own shape.

Facts measured on the real files: `virt` maps two 64 MiB flash banks and QEMU 7.2 refuses a
pflash file of another size ("device requires 67108864 bytes"); AAVMF_CODE.fd starts with
4 KiB of reset code, its firmware volume (`_FVH`) at offset 4096, and is zero-padded to
64 MiB; AAVMF_VARS.fd ships all zero: AAVMF formats its variable store on first boot.

 rule (first match per file)                 code                     vars
 missing, unreadable, empty                  problem                  problem
 not 64 MiB                                  problem                  problem
 zero-filled                                 problem                  accepted (as shipped)
 blank (all 0xFF)                            problem                  problem
 no firmware volume header at 0 or 4096      problem                  - (zero or a store: both boot)
 its volume longer than the file             problem                  -
"""
from __future__ import annotations

from pathlib import Path

from rustux_bootlab.lab.firmware import FirmwareIdentity, FirmwareReport, Scanner, scan_file

BANK = 64 << 20
VOLUME_AT = (0, 4096)  # AAVMF: after the 4 KiB reset vector page
_FIX = "reinstall the qemu-efi-aarch64 package or point the target's firmware at AAVMF_CODE.fd + AAVMF_VARS.fd"


def inspect_aavmf(code: str | Path | None, vars: str | Path | None, scan: Scanner | None = None) -> FirmwareReport:
    """Check an AAVMF pflash pair; never raises for bad files."""
    report = FirmwareReport()
    if code is None or vars is None:
        report.problems.append("virt boots AAVMF from pflash: the target needs code and vars (mode: pflash)")
        return report
    for role, path in (("code", Path(code)), ("vars", Path(vars))):
        ident, problem = _inspect(role, path, scan or scan_file)
        report.identity[role] = ident
        if problem is not None:
            report.problems.append(problem)
    return report


def _inspect(role: str, path: Path, scan: Scanner) -> tuple[FirmwareIdentity, str | None]:
    if not path.exists():
        return FirmwareIdentity(role, str(path), None, None), f"{path} does not exist: {_FIX}"
    try:
        size = path.stat().st_size
        found = scan(path)
    except OSError as e:
        return FirmwareIdentity(role, str(path), None, None), f"{path} is not readable ({e.strerror}): {_FIX}"
    ident = FirmwareIdentity(role, str(path), size, found.sha256)
    name = path.name
    if size == 0:
        return ident, f"{name} is empty: {_FIX}"
    if size != BANK:
        return ident, f"{name} is {size} B; virt's flash banks are 64 MiB and QEMU refuses another size (truncated?): {_FIX}"
    if found.zero:
        return ident, None if role == "vars" else f"{name} is zero-filled: {_FIX}"
    if found.blank:
        return ident, f"{name} is blank (all 0xFF, erased flash): {_FIX}"
    if role == "vars":
        return ident, None
    at = next((o for o in VOLUME_AT if o in found.volumes), None)
    if at is None:
        return ident, f"{name} has no firmware volume header (_FVH) at offset 0 or 4096: not an AAVMF image; {_FIX}"
    if at + found.volumes[at] > size:
        return ident, f"{name} is truncated: its firmware volume at {at} needs {found.volumes[at]} B: {_FIX}"
    return ident, None
