"""Firmware image checks before every boot: never blame the kernel for a broken OVMF, and
never refuse a firmware QEMU boots (that would accuse the environment falsely).

A *problem* refuses the boot before QEMU starts (ERROR/firmware); a *warning* goes into
result.json and the boot goes on. Each rule was checked by booting such a file with QEMU
7.2 (Debian 12) and the Rustux kernel (q35, TCG; tests/unit/test_firmware.py lists them):

 rule                                        code / bios              vars
 missing, unreadable, empty                  problem                  problem (QEMU: "invalid size 0")
 size not a multiple of 4 KiB                problem                  problem (QEMU: "invalid size")
 zero-filled                                 problem (no output)      warning: OVMF rebuilds the store; boots
 blank (all 0xFF, erased flash)              problem (no output)      problem (OVMF faults at once)
 smaller than a firmware image               problem                  - (a 32 KiB cut of a store boots)
 no firmware volume header                   problem (no output)      problem (random bytes: OVMF faults)
 first volume longer than the file           problem (no output)      warning (a 256 KiB VARS_4M boots)
 CODE + VARS short of the CODE's 2/4 MiB     warning (4M CODE + 2M VARS boots: variables in RAM)
 CODE + VARS beyond it                       problem (2M CODE + 4M VARS: OVMF faults at once)
 bios without a header at 0 (its store)      warning if volumes from the first half reach the end
                                             (OVMF.fd with its store's header zeroed boots)
 bios that is a U-Boot ROM                   accepted: U-Boot has no firmware volumes; its ROM
                                             carries "U-Boot <version>" (u-boot-qemu 2023.01)

Facts about Debian's ovmf 2022.11 that the rules encode (measured on the real files):
- Every image starts with a UEFI firmware volume: signature `_FVH` at offset 40 and the
  volume length (u64) at offset 32; code, vars and the unified OVMF.fd alike.
- Split images pair by flash size: OVMF_CODE_4M.fd (3,653,632 B) + OVMF_VARS_4M.fd
  (540,672 B) fill a 4 MiB flash; OVMF_CODE.fd (1,966,080 B) + OVMF_VARS.fd (131,072 B)
  fill 2 MiB. A mismatched pair leaves OVMF's variable store at the wrong address: with
  less flash than its CODE was built for OVMF finds no store and keeps its variables in
  RAM (they do not persist), and boots; with more it finds garbage there and faults.
- The unified OVMF.fd for `-bios` is 2 MiB; its first volume is the variable store.
`inspect_firmware` never raises for bad files: every problem and warning is one line saying
what to do.
"""
from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

FV_SIGNATURE = b"_FVH"
FV_SIGNATURE_OFFSET = 40
FV_LENGTH_OFFSET = 32
BLOCK = 4096
MIN_SIZE = {"code": 1 << 20, "bios": 1 << 20, "vars": 64 << 10}
FLASH_SIZES = (2 << 20, 4 << 20)  # code + vars must fill one of these
OPTION = {"code": "--firmware-code", "vars": "--firmware-vars", "bios": "--firmware-bios"}
_CHUNK = 1 << 20


@dataclass(frozen=True)
class FirmwareIdentity:
    role: str  # code | vars | bios
    path: str
    size: int | None
    sha256: str | None

    def to_dict(self) -> dict[str, object]:
        return {"role": self.role, "path": self.path, "size": self.size, "sha256": self.sha256}


@dataclass
class FirmwareReport:
    identity: dict[str, FirmwareIdentity] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # the boot is refused
    warnings: list[str] = field(default_factory=list)  # unusual, but QEMU boots it

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, object]:
        return {role: ident.to_dict() for role, ident in self.identity.items()}

    def render(self) -> str:
        """The text of `bootlab inspect-firmware`."""
        lines = []
        for ident in self.identity.values():
            size = "-" if ident.size is None else f"{ident.size} B"
            lines.append(f"{ident.role:5} {ident.path}  {size}  sha256 {ident.sha256 or '-'}")
        lines += [f"problem: {p}" for p in self.problems]
        lines += [f"warning: {w}" for w in self.warnings]
        warned = f" ({len(self.warnings)} warning(s))" if self.warnings else ""
        lines.append(f"firmware OK{warned}" if self.ok else f"firmware NOT OK ({len(self.problems)} problem(s)){warned}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Scan:
    """What one streaming read of an image found."""

    sha256: str
    zero: bool  # all 0x00
    blank: bool  # all 0xFF
    volumes: dict[int, int]  # firmware volumes at 4 KiB boundaries: offset -> length


Scanner = Callable[[Path], Scan]


def inspect_firmware(code: str | Path | None = None, vars: str | Path | None = None, bios: str | Path | None = None,
                     scan: Scanner | None = None) -> FirmwareReport:
    """Check the given images; pflash needs code and vars, `-bios` needs bios. `scan` reads
    one image (default `scan_file`; a worker may remember scans of unchanged files)."""
    report = FirmwareReport()
    given = {role: Path(p) for role, p in (("code", code), ("vars", vars), ("bios", bios)) if p is not None}
    if not given:
        report.problems.append("no firmware given: pass code + vars (pflash) or bios")
    if ("code" in given) != ("vars" in given):
        missing = "vars" if "code" in given else "code"
        report.problems.append(f"pflash needs both code and vars: add {OPTION[missing]}")
    for role, path in given.items():
        ident, problems, warnings = _inspect_file(role, path, scan or scan_file)
        report.identity[role] = ident
        report.problems += problems
        report.warnings += warnings
    code_id, vars_id = report.identity.get("code"), report.identity.get("vars")
    if code_id and vars_id and code_id.size and vars_id.size and code_id.size + vars_id.size not in FLASH_SIZES:
        pair = (f"{Path(code_id.path).name} ({_size(code_id.size)}) and {Path(vars_id.path).name} ({_size(vars_id.size)}) "
                "are not a pair")
        fix = "use OVMF_CODE_4M.fd with OVMF_VARS_4M.fd, or OVMF_CODE.fd with OVMF_VARS.fd"
        # OVMF built for an N MiB flash looks for its store N MiB below 4 GiB: below the
        # mapped flash it finds none and keeps variables in RAM; inside VARS it finds garbage.
        flash = next((n for n in FLASH_SIZES if n >= code_id.size), FLASH_SIZES[-1])
        if code_id.size + vars_id.size < flash:
            report.warnings.append(f"{pair}, so OVMF keeps its variables in RAM: {fix}")
        else:
            report.problems.append(f"{pair}: OVMF would look for its variable store inside {Path(vars_id.path).name} "
                                   f"and fault at once; {fix}")
    return report


def _inspect_file(role: str, path: Path, scan: Scanner) -> tuple[FirmwareIdentity, list[str], list[str]]:
    """Identity, problems, warnings (the table above)."""
    fix = f"reinstall the ovmf package or point {OPTION[role]} at a good image"
    name = path.name
    store = role == "vars"  # OVMF rebuilds a variable store it cannot use; it cannot rebuild its code
    if not path.exists():
        return FirmwareIdentity(role, str(path), None, None), [f"{path} does not exist: {fix}"], []
    try:
        size = path.stat().st_size
        found = scan(path)
    except OSError as e:
        return FirmwareIdentity(role, str(path), None, None), [f"{path} is not readable ({e.strerror}): {fix}"], []
    ident = FirmwareIdentity(role, str(path), size, found.sha256)
    volumes = found.volumes
    if size == 0:
        return ident, [f"{name} is empty: {fix}"], []
    if found.zero:
        if store and size % BLOCK == 0:
            return ident, [], [f"{name} is zero-filled: OVMF creates a fresh variable store and boots; {fix} to keep variables"]
        return ident, [f"{name} is zero-filled: {fix}"], []
    if found.blank:
        return ident, [f"{name} is blank (all 0xFF, erased flash): {fix}"], []
    problems: list[str] = []
    warnings: list[str] = []
    if size % BLOCK or (size < MIN_SIZE[role] and not store):  # QEMU refuses a flash that is not whole 4 KiB blocks
        problems.append(f"{name} is {size} B, not a firmware image (expected a multiple of 4 KiB, at least {_size(MIN_SIZE[role])}; truncated?): {fix}")
    if 0 not in volumes:
        if role == "bios" and not problems and uboot_version(path) is not None:
            return ident, [], []
        if role == "bios" and _code_after_store(volumes, size):
            warnings.append(f"{name} has no firmware volume header at offset 0, where its variable store is: "
                            f"OVMF creates a new store and boots; {fix} to keep variables")
        else:
            problems.append(f"{name} has no firmware volume header (_FVH at offset {FV_SIGNATURE_OFFSET}): not a UEFI image; {fix}")
    elif not problems:
        short = _overflow(volumes, 0, size)
        if short is not None:
            offset, length = short
            where = "its first firmware volume" if offset == 0 else f"its firmware volume at offset {offset}"
            (warnings if store else problems).append(
                f"{name} is truncated: {where} needs {length} B but the file has {size - offset if offset else size} B"
                f"{' from there' if offset else ''}; {fix}")
    return ident, problems, warnings


def _overflow(volumes: dict[int, int], start: int, size: int) -> tuple[int, int] | None:
    """Walk the chain of volumes from `start`: (offset, length) of the first that runs past
    the end of the file, None if none does (the chain may end early: content we cannot judge)."""
    offset = start
    while offset in volumes:
        length = volumes[offset]
        if offset + length > size:
            return offset, length
        if length == 0:
            return None
        offset += length
    return None


def _code_after_store(volumes: dict[int, int], size: int) -> bool:
    """A unified image (variable store, then code) whose store header is gone: a chain of
    volumes from the first half of the file reaches exactly its end, where the reset vector is."""
    for start in sorted(o for o in volumes if o <= size // 2):
        offset = start
        while offset in volumes and volumes[offset] > 0 and offset + volumes[offset] <= size:
            offset += volumes[offset]
        if offset == size:
            return True
    return False


_UBOOT_VERSION = re.compile(rb"U-Boot (20\d\d\.\d\d[^\0\n]*)")


def uboot_version(path: Path) -> str | None:
    """`2023.01+dfsg-2+deb12u3 (...)` if `path` is a U-Boot ROM, else None; raises `OSError`."""
    with path.open("rb") as f:
        found = _UBOOT_VERSION.search(f.read(8 << 20))
    return found.group(1).decode("ascii", "replace") if found else None


def scan_file(path: Path) -> Scan:
    """One streaming pass over `path`; raises `OSError`."""
    h = hashlib.sha256()
    zero = blank = True
    volumes: dict[int, int] = {}
    seen = 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):  # _CHUNK is a multiple of BLOCK: headers never straddle chunks
            h.update(chunk)
            zero = zero and not chunk.strip(b"\0")
            blank = blank and not chunk.strip(b"\xff")
            at = chunk.find(FV_SIGNATURE)
            while at >= 0:
                header = at - FV_SIGNATURE_OFFSET
                if header % BLOCK == 0 and header + FV_LENGTH_OFFSET + 8 <= len(chunk):
                    (volumes[seen + header],) = struct.unpack_from("<Q", chunk, header + FV_LENGTH_OFFSET)
                at = chunk.find(FV_SIGNATURE, at + 1)
            seen += len(chunk)
    return Scan(h.hexdigest(), zero and seen > 0, blank and seen > 0, volumes)


def _size(n: int) -> str:
    if n % (1 << 20) == 0:
        return f"{n >> 20} MiB"
    if n % (1 << 10) == 0:
        return f"{n >> 10} KiB"
    return f"{n} B"
