"""The image under test as a FAT file QEMU can attach: built from a directory or `.efi`
(workers/artifacts/esp.py, cached by content in workers/artifacts/espcache.py), or an existing FAT image checked
for its boot file. An image may come with `<image>.sha256sums` (`sha256sum` lines, paths
relative to the image): what the build made, packed with it by the kernel step, so an image
damaged on the way is told from one the build made broken (`damage`)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from rustux_bootlab.lab.arch import Arch, image_arch_problem
from rustux_bootlab.lab.esp import BOOT_FILE, EspError, esp_files, sha256_file
from rustux_bootlab.workers.artifacts.esp import run_mtools
from rustux_bootlab.workers.artifacts.espcache import cached_esp_image
from rustux_bootlab.workers.workdir import workdir


def prepare_image(source: Path) -> tuple[Path, dict[str, Any]]:
    """The FAT image to boot (read it, never write it) and the record's `image` entry;
    raises `EspError`."""
    if source.is_file() and source.suffix.lower() != ".efi":
        return source, _existing_image(source)
    esp, cached = cached_esp_image(source)
    sha = sha256_file(source) if source.is_file() else esp.content_sha256
    return esp.path, {"path": str(source), "sha256": sha, "esp": {**esp.to_dict(), "cached": cached}}


def damage(source: Path) -> str | None:
    """What in `source` differs from its `.sha256sums`; None when all agrees or there is none."""
    manifest = source.with_name(source.name + ".sha256sums")
    if not manifest.is_file():
        return None
    for line in manifest.read_text(errors="replace").splitlines():
        want, _, rel = line.partition("  ")
        rel = rel.removeprefix("./")
        path = source if source.is_file() else source / rel
        if not path.is_file():
            return f"{rel} is missing, but the build made it ({manifest.name})"
        if sha256_file(path) != want.strip().lower():
            return f"{rel} is not what the build made (its sha256 differs from {manifest.name})"
    return None


def artifact_files(source: Path) -> frozenset[str] | None:
    """The ESP-relative files of the image the boot was handed (a directory or a .efi);
    None for a ready FAT image or one that cannot be read (the judge then does not know)."""
    if source.is_file() and source.suffix.lower() != ".efi":
        return None
    try:
        return frozenset(esp_files(source))
    except EspError:
        return None


def image_arch_problem_of(source: Path, arch: Arch) -> str | None:
    """Why the image under test cannot run on `arch` (another architecture's boot file or PE
    machine type), None if it can or the lab cannot tell (a ready FAT image, a broken ESP:
    prepare_image says what is wrong with those)."""
    if source.is_file() and source.suffix.lower() == ".efi":
        return image_arch_problem({arch.boot_file: source}, arch)
    if not source.is_dir():
        return None
    try:
        return image_arch_problem(esp_files(source), arch)
    except EspError:
        return None


def _existing_image(image: Path) -> dict[str, Any]:
    with workdir("img") as tmp:
        boot = tmp / "BOOTX64.EFI"
        proc = run_mtools(["mcopy", "-i", str(image), f"::/{BOOT_FILE}", str(boot)], check=False)
        if proc.returncode != 0 or not boot.exists():
            detail = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "not found"
            raise EspError(f"{image} has no {BOOT_FILE} ({detail}): the firmware would find nothing to boot; "
                           f"pass an ESP directory, a .efi, or a FAT image holding {BOOT_FILE}")
        boot_sha = sha256_file(boot)
    return {"path": str(image), "sha256": sha256_file(image), "boot_sha256": boot_sha}
