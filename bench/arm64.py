"""What an arm64 boot costs against an x86 one, from one run (issue 19: measure it, warm is
the lever).

In order, with a private snapshot cache: the x86 kernel cold on q35-pflash, the arm64 kernel
cold on virt-aavmf (TCG: no KVM for arm64 on this host), a warm arm64 boot that makes the
snapshot, and a warm arm64 boot from it. For each: QEMU start to the kernel's entry, entry to
the shell prompt, the `echo` step's round trip (sent to answered) and `bootlab boot`'s wall
time; then the ratios. The goal: a warm arm64 boot costs no more wall time than a cold x86
one, so the arm64 target does not stretch a push's fan-out. Exit 1 if it is missed.
Timing on a shared 2-core host is noisy: the ratios come from this one run, not from history.

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
        first_wall, first = boot(ARM64[0], ARM64[1], work / "first", env, "--warm")
        warm_wall, warm = boot(ARM64[0], ARM64[1], work / "warm", env, "--warm")
    if warm.get("boot_path") != "warm":
        sys.exit(f"the warm arm64 boot ran cold: {warm.get('warm', {}).get('warnings')}")
    rows = [row(f"x86 cold ({x86['qemu']['accel']})", x86_wall, x86), row("arm64 cold (tcg)", cold_wall, cold),
            row("arm64 warm (tcg)", warm_wall, warm)]
    print("bench/arm64.py: times from QEMU start")
    print(f"  {'boot':<18} {'entry s':>8} {'entry->prompt s':>16} {'echo ms':>8} {'wall s':>7}")
    for name, entry, to_prompt, echo_ms, wall in rows:
        print(f"  {name:<18} {entry:8.2f} {to_prompt:16.3f} {echo_ms:8.1f} {wall:7.2f}")
    snap = first["warm"]["snapshot"]
    print(f"  snapshot made once: {snap['creation_s']:.1f} s, {snap['size'] / 2**20:.0f} MiB (that boot's wall {first_wall:.2f} s)")
    print(f"  arm64 cold / x86 cold wall: {cold_wall / x86_wall:.2f}; arm64 warm / arm64 cold: {warm_wall / cold_wall:.2f}")
    ok = warm_wall <= x86_wall
    print(f"  arm64 warm / x86 cold wall: {warm_wall / x86_wall:.2f}  goal <= 1  {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
