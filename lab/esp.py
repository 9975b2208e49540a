"""EFI System Partition images: what goes into the FAT file the firmware boots, and the check
of what came back out. Pure: workers/artifacts/image.py runs mkfs.fat and mtools with this plan and
hands the read-back here, so a recorded content hash is the hash of what the firmware sees.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from rustux_bootlab.lab.arch import ARCHES, BOOT_FILES, pe_machine

BOOT_FILE = "EFI/BOOT/BOOTX64.EFI"  # a single `.efi` is installed here; an ESP may hold BOOTAA64.EFI instead
_MIN_IMAGE = 8 << 20  # cheap to make; mkfs.fat picks FAT12 at this size, which OVMF reads
_SLACK = 2 << 20  # FAT tables, directories, cluster rounding


class EspError(Exception):
    """The ESP cannot be built: says what is missing and how to fix it."""


@dataclass(frozen=True)
class EspImage:
    path: Path
    size: int
    sha256: str  # of the image file
    boot_sha256: str  # of EFI/BOOT/BOOTX64.EFI as read back from the image
    content_sha256: str  # of every file's path and sha256, as read back
    files: int

    def to_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "size": self.size,
            "sha256": self.sha256,
            "boot_sha256": self.boot_sha256,
            "content_sha256": self.content_sha256,
            "files": self.files,
        }


@dataclass(frozen=True)
class EspPlan:
    source: Path
    files: dict[str, Path]  # path in the ESP -> source file
    wanted: dict[str, str]  # path in the ESP -> sha256
    size_kib: int
    dirs: list[str]  # to create, each after its parent

    def image(self, out: Path, got: dict[str, str]) -> EspImage:
        """The image `out`, once `got` (path -> sha256 read back from it) matches the plan."""
        if got != self.wanted:
            diff = sorted(set(got.items()) ^ set(self.wanted.items()))
            raise EspError(f"{out}: read-back differs from {self.source} ({diff[:3]}...): the image is corrupt; check disk space")
        boot = next(f for f in (BOOT_FILE, *BOOT_FILES) if f in got)
        return EspImage(out, out.stat().st_size, sha256_file(out), got[boot], content_hash(got), len(got))


def plan_esp(source: Path) -> EspPlan:
    """The ESP for an ESP directory or a single `.efi` (installed as its architecture's boot file)."""
    source = Path(source)
    files = esp_files(source)
    total = sum(src.stat().st_size for src in files.values())
    size_kib = max(_MIN_IMAGE, _round_mib(total * 5 // 4 + _SLACK)) // 1024
    dirs = sorted({str(Path(rel).parent) for rel in files} - {"."}, key=lambda d: d.count("/"))
    return EspPlan(source, files, {rel: sha256_file(src) for rel, src in files.items()}, size_kib, _with_parents(dirs))


def content_hash(files: dict[str, str]) -> str:
    """One hash over sorted `path sha256` pairs."""
    h = hashlib.sha256()
    for rel in sorted(files):
        h.update(f"{rel}\0{files[rel]}\n".encode())
    return h.hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def esp_files(source: Path) -> dict[str, Path]:
    """Relative path in the ESP -> source file; checks the boot file is there and is PE."""
    if source.is_file():
        if source.suffix.lower() != ".efi":
            raise EspError(f"{source} is neither an ESP directory nor a .efi file: pass build/esp or a BOOTX64.EFI")
        # Installed where the firmware of its architecture looks (BOOTAA64.EFI for an arm64 image).
        machine = pe_machine(source)
        files = {next((a.boot_file for a in ARCHES.values() if a.pe_machine == machine), BOOT_FILE): source}
    elif source.is_dir():
        files = {p.relative_to(source).as_posix(): p for p in sorted(source.rglob("*")) if p.is_file()}
    else:
        raise EspError(f"{source} does not exist: build the kernel first (make kernel) or pass an existing ESP")
    upper = {rel.upper(): rel for rel in files}
    wanted = next((f for f in (BOOT_FILE, *BOOT_FILES) if f in upper), BOOT_FILE)
    boot = upper.get(wanted)
    if boot is None:
        raise EspError(f"{source} has no {BOOT_FILE}: the firmware would find nothing to boot; install the kernel as {BOOT_FILE}")
    with open(files[boot], "rb") as f:
        if f.read(2) != b"MZ":
            raise EspError(f"{files[boot]} is not a PE/COFF executable (no MZ header): not a UEFI application")
    if boot != wanted:
        files[wanted] = files.pop(boot)
    return files


def _with_parents(dirs: list[str]) -> list[str]:
    out: list[str] = []
    for d in dirs:
        parts = d.split("/")
        for i in range(1, len(parts) + 1):
            p = "/".join(parts[:i])
            if p not in out:
                out.append(p)
    return out


def _round_mib(n: int) -> int:
    return -(-n // (1 << 20)) * (1 << 20)
