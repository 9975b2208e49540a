"""EFI System Partition images: a FAT file the firmware boots, made without root.

The image is formatted with `mkfs.fat -C` and filled with mtools (`mmd`, `mcopy`), then
read back with `mcopy` and compared file by file, so a recorded content hash is the
hash of what the firmware will actually see.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

BOOT_FILE = "EFI/BOOT/BOOTX64.EFI"
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


def build_esp_image(source: Path, out: Path) -> EspImage:
    """Make `out` from an ESP directory or a single `.efi` (installed as BOOTX64.EFI)."""
    source = Path(source)
    out = Path(out)
    files = esp_files(source)
    wanted = {rel: sha256_file(src) for rel, src in files.items()}
    total = sum(src.stat().st_size for src in files.values())
    size_kib = max(_MIN_IMAGE, _round_mib(total * 5 // 4 + _SLACK)) // 1024
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    _run(["mkfs.fat", "-C", "-n", "ESP", str(out), str(size_kib)])
    dirs = sorted({str(Path(rel).parent) for rel in files} - {"."}, key=lambda d: d.count("/"))
    for d in _with_parents(dirs):
        _run(["mmd", "-i", str(out), f"::/{d}"])
    for rel, src in files.items():
        _run(["mcopy", "-i", str(out), "-o", str(src), f"::/{rel}"])
    got = _read_back(out)
    if got != wanted:
        diff = sorted(set(got.items()) ^ set(wanted.items()))
        raise EspError(f"{out}: read-back differs from {source} ({diff[:3]}...): the image is corrupt; check disk space")
    return EspImage(out, out.stat().st_size, sha256_file(out), got[BOOT_FILE], content_hash(got), len(got))


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
        files = {BOOT_FILE: source}
    elif source.is_dir():
        files = {p.relative_to(source).as_posix(): p for p in sorted(source.rglob("*")) if p.is_file()}
    else:
        raise EspError(f"{source} does not exist: build the kernel first (make kernel) or pass an existing ESP")
    boot = {rel.upper(): rel for rel in files}.get(BOOT_FILE)
    if boot is None:
        raise EspError(f"{source} has no {BOOT_FILE}: the firmware would find nothing to boot; install the kernel as {BOOT_FILE}")
    with open(files[boot], "rb") as f:
        if f.read(2) != b"MZ":
            raise EspError(f"{files[boot]} is not a PE/COFF executable (no MZ header): not a UEFI application")
    if boot != BOOT_FILE:
        files[BOOT_FILE] = files.pop(boot)
    return files


def _read_back(image: Path) -> dict[str, str]:
    with tempfile.TemporaryDirectory(prefix="esp-readback-") as tmp:
        _run(["mcopy", "-i", str(image), "-s", "-n", "::/*", tmp])
        root = Path(tmp)
        return {p.relative_to(root).as_posix(): sha256_file(p) for p in root.rglob("*") if p.is_file()}


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


def _run(cmd: list[str]) -> None:
    # mkfs.fat lives in /usr/sbin, which is not on every user's PATH.
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    if shutil.which(cmd[0], path=path) is None:
        raise EspError(f"{cmd[0]} not found: install the mtools and dosfstools packages")
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1", PATH=path)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise EspError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")
