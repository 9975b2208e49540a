"""The resident loader's files on the worker: its binary for the target's architecture (`make
loader`, scripts/build-loader.sh builds x86_64 and aarch64) and the QEMU arguments that give
it, and its RAM, to a warm machine.

The snapshot is made with `-kernel <loader>` (OVMF starts it with no disk and no shell) and a
placeholder for `opt/rustux/esp`; the restoring QEMU gets the same names with the boot's ESP
image, which the loader reads through fw_cfg. Same names at save and restore keep fw_cfg's
directory indexes. The loader's hash is a fw_cfg string of the machine, so a rebuilt loader
makes another snapshot key.

Guest RAM lives in a file beside the snapshot's stream (`ram_backend`): mapped shared while the
snapshot is made, so QEMU's x-ignore-shared capability leaves it out of the stream, and mapped
private (copy on write) by every restore, so a warm boot neither copies nor changes it.
"""
from __future__ import annotations

import os
from pathlib import Path

from rustux_bootlab.lab.esp import sha256_file

REPO = Path(__file__).resolve().parents[2]
ESP_FILE = "opt/rustux/esp"  # loader/src/fwcfg.rs
PLACEHOLDER = "esp-placeholder"  # in the snapshot's work directory: smaller than any ESP, so never booted
PLACEHOLDER_BYTES = b"no ESP in a snapshot\n"
RAM_FILE = "ram.img"
IGNORE_SHARED = {"capabilities": [{"capability": "x-ignore-shared", "state": True}]}


class LoaderMissing(Exception):
    """The loader binary is not there: warm boots run cold, saying so."""


# Per architecture: where scripts/build-loader.sh puts the loader, and the variable naming another one.
LOADERS = {"x86_64": ("BOOTLAB_LOADER", Path("build/loader/rustux-loader.efi")),
           "aarch64": ("BOOTLAB_LOADER_AARCH64", Path("build/loader/aarch64/rustux-loader.efi"))}


def loader_path(arch: str = "x86_64") -> Path:
    if arch not in LOADERS:
        raise LoaderMissing(f"no resident loader is built for {arch} (scripts/build-loader.sh builds {', '.join(LOADERS)})")
    variable, built = LOADERS[arch]
    path = Path(os.environ.get(variable) or REPO / built)
    if not path.is_file():
        raise LoaderMissing(f"no resident loader for {arch} at {path}: run make loader (scripts/build-loader.sh)")
    return path


def warm_devices(esp: Path, arch: str = "x86_64") -> tuple[str, ...]:
    """What a warm machine has besides the cold one's devices (and no boot disk)."""
    loader = loader_path(arch)
    return ("-kernel", str(loader), "-fw_cfg", f"name={ESP_FILE},file={esp}",
            "-fw_cfg", f"name=opt/rustux/loader-sha256,string={sha256_file(loader)[:16]}")


def ram_backend(path: Path, memory_mb: int, shared: bool) -> tuple[str, ...]:
    """The machine's RAM as the file `path` (shared: the snapshot writes it; else a private map)."""
    return ("-object", f"memory-backend-file,id=warm-ram,size={memory_mb}M,mem-path={path},"
            f"share={'on' if shared else 'off'}", "-machine", "memory-backend=warm-ram")
