"""A broken artifact is the build's, unless the lab damaged it on the way: the kernel step's
real pack command (steps/config.py) packs the ESP with `esp.sha256sums`, the archive is
unpacked as a boot builder does, and `bootlab boot --image artifact/esp` judges it.
1. The build made a BOOTX64.EFI that is not a UEFI application: FAIL/code (exit 1), never
   retried (it was ERROR/lab "image not bootable").
2. A good build whose BOOTX64.EFI changed after packing: ERROR/lab naming the file (exit 3).
No QEMU runs: the image is refused before any boot. A few seconds.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from bootlab_support import REPO, kernel_esp, run_boot
from rustux_bootlab.steps.config import ARTIFACT, kernel_factory

BOOT_FILE = Path("EFI/BOOT/BOOTX64.EFI")


def packed_and_unpacked(tmp_path: Path, esp: Path) -> Path:
    """`esp` built, packed by the kernel step's own command, unpacked like a boot builder: artifact/esp."""
    worker = tmp_path / "kernel-worker"
    shutil.copytree(esp, worker / "build" / "esp")
    (worker / "kernel").mkdir()
    shutil.copyfile(REPO / "kernel" / "milestones.yaml", worker / "kernel" / "milestones.yaml")
    pack = next(s for s in kernel_factory("repo", "main", tmp_path, []).steps if s.kwargs.get("name") == "pack")
    subprocess.run(pack.kwargs["command"], cwd=worker, check=True, timeout=60)
    boot_worker = tmp_path / "boot-worker" / "artifact"
    boot_worker.mkdir(parents=True)
    subprocess.run(["tar", "-xzf", worker / ARTIFACT, "-C", boot_worker], check=True, timeout=60)
    assert (boot_worker / "esp.sha256sums").is_file()
    return boot_worker / "esp"


def test_a_boot_file_the_build_made_broken_is_fail_code(tmp_path):
    esp = tmp_path / "built"
    shutil.copytree(kernel_esp(), esp)
    (esp / BOOT_FILE).write_bytes(b"#!/bin/sh\necho not a UEFI application\n")
    boot = run_boot(tmp_path / "record", "--target", "q35-pflash", "--image", packed_and_unpacked(tmp_path, esp))
    assert boot.rc == 1, boot.stderr
    assert boot.verdict == ("FAIL", "code")
    assert "not a PE/COFF executable" in boot.result["reason"]
    assert boot.result["reason"].endswith(": the build's artifact is broken")
    assert boot.result["qemu"]["command"] is None


def test_a_boot_file_damaged_after_the_build_is_error_lab(tmp_path):
    image = packed_and_unpacked(tmp_path, kernel_esp())
    good = (image / BOOT_FILE).read_bytes()
    (image / BOOT_FILE).write_bytes(b"\0" * 512 + good[512:])  # a transfer that lost the first sector
    boot = run_boot(tmp_path / "record", "--target", "q35-pflash", "--image", image)
    assert boot.rc == 3, boot.stderr
    assert boot.verdict == ("ERROR", "lab")
    assert "not a PE/COFF executable" in boot.result["reason"]
    assert "EFI/BOOT/BOOTX64.EFI is not what the build made (its sha256 differs from esp.sha256sums)" in boot.result["reason"]

