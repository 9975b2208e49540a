"""What an arm64 boot costs against an x86 one, from one run (issue 19: measure it).

In order: the x86 kernel cold on q35-pflash and the arm64 kernel cold on virt-aavmf (TCG: no
KVM for arm64 on this host; no warm boot on arm64: the resident loader is x86_64's). For
each: QEMU start to the kernel's entry, entry to the shell prompt, the `echo` step's round
trip (sent to answered) and `bootlab boot`'s wall time; then the ratio. Measured, no goal.
Timing on a shared 2-core host is noisy: the ratio comes from this one run, not from history.

Usage: .venv/bin/python bench/arm64.py
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from warm import boot  # bench/warm.py: one `bootlab boot --json`, its wall time and record

REPO = Path(__file__).resolve().parents[1]
X86 = ("q35-pflash", REPO / "build" / "esp", "EFI/BOOT/BOOTX64.EFI", "make kernel")
ARM64 = ("virt-aavmf", REPO / "build" / "aarch64" / "esp", "EFI/BOOT/BOOTAA64.EFI", "make kernel ARCH=aarch64")


def row(name: str, wall: float, result: dict) -> tuple[str, float, float, float, float]:
    t = {m["name"]: m["t"] for m in result["milestones"]}
    echo = next(step for step in result["conversation"] if step["name"] == "echo")
    return name, t["entry"], t["final"] - t["entry"], (echo["answered"] - echo["sent"][0]["t"]) * 1000, wall


def main() -> int:
    for target, esp, boot_file, how in (X86, ARM64):
        if not (esp / boot_file).is_file():
            sys.exit(f"{esp} has no {boot_file}: run {how}")
    with tempfile.TemporaryDirectory(prefix="bench-arm64-") as tmp:
        work = Path(tmp)
        env = dict(os.environ, BOOTLAB_SNAPSHOTS=str(work / "snapshots"), BOOTLAB_STATE=str(work / "state"))
        x86_wall, x86 = boot(X86[0], X86[1], work / "x86", env, "--no-warm")
        cold_wall, cold = boot(ARM64[0], ARM64[1], work / "cold", env, "--no-warm")
    rows = [row(f"x86 cold ({x86['qemu']['accel']})", x86_wall, x86), row("arm64 cold (tcg)", cold_wall, cold)]
    print("bench/arm64.py: times from QEMU start")
    print(f"  {'boot':<18} {'entry s':>8} {'entry->prompt s':>16} {'echo ms':>8} {'wall s':>7}")
    for name, entry, to_prompt, echo_ms, wall in rows:
        print(f"  {name:<18} {entry:8.2f} {to_prompt:16.3f} {echo_ms:8.1f} {wall:7.2f}")
    print(f"  arm64 cold / x86 cold wall: {cold_wall / x86_wall:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
