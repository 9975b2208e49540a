"""Firmware image checks before every boot: never blame the kernel for a broken OVMF.

Facts about Debian's ovmf 2022.11 that the rules encode (measured on the real files):
- Every image starts with a UEFI firmware volume: signature `_FVH` at offset 40 and the
  volume length (u64) at offset 32; code, vars and the unified OVMF.fd alike.
- Split images pair by flash size: OVMF_CODE_4M.fd (3,653,632 B) + OVMF_VARS_4M.fd
  (540,672 B) fill a 4 MiB flash; OVMF_CODE.fd (1,966,080 B) + OVMF_VARS.fd (131,072 B)
  fill 2 MiB. A mismatched pair leaves OVMF's variable store at the wrong address.
- The unified OVMF.fd for `-bios` is 2 MiB; its first volume is the variable store.
`inspect_firmware` never raises for bad files: every problem is one line saying what to do.
"""
from __future__ import annotations

import hashlib
import struct
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
    problems: list[str] = field(default_factory=list)

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
        lines.append("firmware OK" if self.ok else f"firmware NOT OK ({len(self.problems)} problem(s))")
        return "\n".join(lines)


def inspect_firmware(code: str | Path | None = None, vars: str | Path | None = None, bios: str | Path | None = None) -> FirmwareReport:
    """Check the given images; pflash needs code and vars, `-bios` needs bios."""
    report = FirmwareReport()
    given = {role: Path(p) for role, p in (("code", code), ("vars", vars), ("bios", bios)) if p is not None}
    if not given:
        report.problems.append("no firmware given: pass code + vars (pflash) or bios")
    if ("code" in given) != ("vars" in given):
        missing = "vars" if "code" in given else "code"
        report.problems.append(f"pflash needs both code and vars: add {OPTION[missing]}")
    for role, path in given.items():
        ident, problems = _inspect_file(role, path)
        report.identity[role] = ident
        report.problems += problems
    code_id, vars_id = report.identity.get("code"), report.identity.get("vars")
    if code_id and vars_id and code_id.size and vars_id.size and code_id.size + vars_id.size not in FLASH_SIZES:
        report.problems.append(
            f"{Path(code_id.path).name} ({_size(code_id.size)}) and {Path(vars_id.path).name} ({_size(vars_id.size)}) "
            "are not a pair: use OVMF_CODE_4M.fd with OVMF_VARS_4M.fd, or OVMF_CODE.fd with OVMF_VARS.fd"
        )
    return report


def _inspect_file(role: str, path: Path) -> tuple[FirmwareIdentity, list[str]]:
    fix = f"reinstall the ovmf package or point {OPTION[role]} at a good image"
    name = path.name
    if not path.exists():
        return FirmwareIdentity(role, str(path), None, None), [f"{path} does not exist: {fix}"]
    try:
        size = path.stat().st_size
        digest, zero, blank, head = _scan(path)
    except OSError as e:
        return FirmwareIdentity(role, str(path), None, None), [f"{path} is not readable ({e.strerror}): {fix}"]
    ident = FirmwareIdentity(role, str(path), size, digest)
    if size == 0:
        return ident, [f"{name} is empty: {fix}"]
    if zero:
        return ident, [f"{name} is zero-filled: {fix}"]
    if blank:
        return ident, [f"{name} is blank (all 0xFF, erased flash): {fix}"]
    problems = []
    if size < MIN_SIZE[role] or size % BLOCK:
        problems.append(f"{name} is {size} B, not a firmware image (expected a multiple of 4 KiB, at least {_size(MIN_SIZE[role])}; truncated?): {fix}")
    if head[FV_SIGNATURE_OFFSET : FV_SIGNATURE_OFFSET + 4] != FV_SIGNATURE:
        problems.append(f"{name} has no firmware volume header (_FVH at offset {FV_SIGNATURE_OFFSET}): not a UEFI image; {fix}")
    elif not problems:
        (fv_length,) = struct.unpack_from("<Q", head, FV_LENGTH_OFFSET)
        if fv_length > size:
            problems.append(f"{name} is truncated: its first firmware volume needs {fv_length} B but the file has {size} B; {fix}")
    return ident, problems


def _scan(path: Path) -> tuple[str, bool, bool, bytes]:
    """sha256, all-zero?, all-0xFF?, first 64 bytes; one streaming pass."""
    h = hashlib.sha256()
    zero = blank = True
    head = b""
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            if not head:
                head = chunk[:64]
            h.update(chunk)
            zero = zero and not chunk.strip(b"\0")
            blank = blank and not chunk.strip(b"\xff")
    return h.hexdigest(), zero and bool(head), blank and bool(head), head


def _size(n: int) -> str:
    if n % (1 << 20) == 0:
        return f"{n >> 20} MiB"
    if n % (1 << 10) == 0:
        return f"{n >> 10} KiB"
    return f"{n} B"
