"""The ESP of tests/fixtures/shell-launcher: BOOTX64.EFI starts OVMF's own UEFI shell, a real
interactive shell for conversation tests (COM1 on QEMU, SOL on a virtual board).

Built once with the toolchain the kernel uses (cargo, build-std, no registry); cargo keeps
the result in build/shell-launcher-target, so later runs cost well under a second."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "tests" / "fixtures" / "shell-launcher"
TARGET_DIR = REPO / "build" / "shell-launcher-target"
BUILT = TARGET_DIR / "x86_64-unknown-uefi" / "release" / "shell-launcher.efi"
SPEC = REPO / "tests" / "fixtures" / "specs" / "efi-shell.yaml"


def shell_esp(dest: Path) -> Path:
    """An ESP directory at `dest` whose EFI/BOOT/BOOTX64.EFI launches the UEFI shell."""
    env = dict(os.environ, PATH=f"/usr/bin:{os.environ.get('PATH', '')}", RUSTC_BOOTSTRAP="1",
               RUSTFLAGS="-C linker=lld-link-19")
    subprocess.run(
        ["cargo", "build", "-q", "--release", "--target", "x86_64-unknown-uefi",
         "-Zbuild-std=core,compiler_builtins", "-Zbuild-std-features=compiler-builtins-mem",
         "--config", 'source.crates-io.replace-with="vendored"',
         "--config", 'source.vendored.directory="/usr/lib/rustlib/src/rust/library/vendor"',
         "--target-dir", str(TARGET_DIR)],
        cwd=SOURCE, env=env, check=True, timeout=600)
    boot = dest / "EFI" / "BOOT"
    boot.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(BUILT, boot / "BOOTX64.EFI")
    return dest
