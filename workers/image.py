"""The image under test as a FAT file QEMU can attach: built from a directory or `.efi` with
mkfs.fat and mtools to `lab.esp`'s plan and read back, or an existing FAT image checked for
its boot file. Made without root."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from lab.esp import BOOT_FILE, EspError, EspImage, plan_esp, sha256_file


def prepare_image(source: Path, workdir: Path) -> tuple[Path, dict[str, Any]]:
    """The FAT image to boot and the record's `image` entry; raises `EspError`."""
    if source.is_file() and source.suffix.lower() != ".efi":
        return source, _existing_image(source)
    esp = build_esp_image(source, workdir / "esp.img")
    sha = sha256_file(source) if source.is_file() else esp.content_sha256
    return esp.path, {"path": str(source), "sha256": sha, "esp": esp.to_dict()}


def build_esp_image(source: Path, out: Path) -> EspImage:
    """Make `out` from an ESP directory or a single `.efi`, verified by reading it back."""
    plan = plan_esp(source)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    _run(["mkfs.fat", "-C", "-n", "ESP", str(out), str(plan.size_kib)])
    for d in plan.dirs:
        _run(["mmd", "-i", str(out), f"::/{d}"])
    for rel, src in plan.files.items():
        _run(["mcopy", "-i", str(out), "-o", str(src), f"::/{rel}"])
    return plan.image(out, out.stat().st_size, _read_back(out))


def _read_back(image: Path) -> dict[str, str]:
    with tempfile.TemporaryDirectory(prefix="esp-readback-") as tmp:
        _run(["mcopy", "-i", str(image), "-s", "-n", "::/*", tmp])
        root = Path(tmp)
        return {p.relative_to(root).as_posix(): sha256_file(p) for p in root.rglob("*") if p.is_file()}


def _existing_image(image: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bootlab-img-") as tmp:
        boot = Path(tmp) / "BOOTX64.EFI"
        proc = _mtools(["mcopy", "-i", str(image), f"::/{BOOT_FILE}", str(boot)])
        if proc.returncode != 0 or not boot.exists():
            detail = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "not found"
            raise EspError(f"{image} has no {BOOT_FILE} ({detail}): the firmware would find nothing to boot; "
                           f"pass an ESP directory, a .efi, or a FAT image holding {BOOT_FILE}")
        boot_sha = sha256_file(boot)
    return {"path": str(image), "sha256": sha256_file(image), "boot_sha256": boot_sha}


def _run(cmd: list[str]) -> None:
    proc = _mtools(cmd)
    if proc.returncode != 0:
        raise EspError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")


def _mtools(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    # mkfs.fat lives in /usr/sbin, which is not on every user's PATH.
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    if shutil.which(cmd[0], path=path) is None:
        raise EspError(f"{cmd[0]} not found: install the mtools and dosfstools packages")
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1", PATH=path)
    return subprocess.run(cmd, capture_output=True, text=True, env=env)
