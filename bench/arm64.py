"""What an arm64 boot costs against an x86 one, cold and warm, from one run (issue 19).

In order: the x86 kernel on q35-pflash and the arm64 kernel on virt-aavmf (TCG: no KVM for
arm64 on this host), each cold, then warm: a first warm boot makes the target's snapshot (its
making time is printed, the boot is not counted), the second restores it. For each counted
boot: QEMU start to the kernel's entry and to the shell prompt, entry to prompt, the `echo`
step's round trip (sent to answered) and `bootlab boot`'s wall time; then the ratios.
Measured, no goal. Timing on a shared 2-core host is noisy: the ratios come from this one
run, not from history.

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


def row(name: str, wall: float, result: dict) -> tuple[str, float, float, float, float, float]:
    t = {m["name"]: m["t"] for m in result["milestones"]}
    echo = next(step for step in result["conversation"] if step["name"] == "echo")
    return name, t["entry"], t["final"], t["final"] - t["entry"], (echo["answered"] - echo["sent"][0]["t"]) * 1000, wall


def main() -> int:
    for target, esp, boot_file, how in (X86, ARM64):
        if not (esp / boot_file).is_file():
            sys.exit(f"{esp} has no {boot_file}: run {how}")
    rows, walls, made = [], {}, []
    with tempfile.TemporaryDirectory(prefix="bench-arm64-") as tmp:
        work = Path(tmp)
        env = dict(os.environ, BOOTLAB_SNAPSHOTS=str(work / "snapshots"), BOOTLAB_STATE=str(work / "state"))
        for (target, esp, _, _), arch in ((X86, "x86"), (ARM64, "arm64")):
            wall, cold = boot(target, esp, work / f"{arch}-cold", env, "--no-warm")
            rows.append(row(f"{arch} cold ({cold['qemu']['accel']})", wall, cold))
            walls[f"{arch} cold"] = wall
            _, first = boot(target, esp, work / f"{arch}-snapshot", env, "--warm")
            wall, warm = boot(target, esp, work / f"{arch}-warm", env, "--warm")
            if first["boot_path"] != "warm" or warm["boot_path"] != "warm":
                sys.exit(f"{target} did not boot warm: {'; '.join(warm['warm']['warnings'])}")
            made.append(f"{arch} {first['warm']['snapshot']['creation_s']:.2f} s, {first['warm']['snapshot']['size'] / 2**20:.1f} MB")
            rows.append(row(f"{arch} warm ({warm['qemu']['accel']})", wall, warm))
            walls[f"{arch} warm"] = wall
    print("bench/arm64.py: times from QEMU start")
    print(f"  {'boot':<18} {'entry s':>8} {'prompt s':>9} {'entry->prompt s':>16} {'echo ms':>8} {'wall s':>7}")
    for name, entry, prompt, to_prompt, echo_ms, wall in rows:
        print(f"  {name:<18} {entry:8.2f} {prompt:9.2f} {to_prompt:16.3f} {echo_ms:8.1f} {wall:7.2f}")
    print(f"  making the snapshot: {'; '.join(made)}")
    print(f"  arm64 cold / x86 cold wall: {walls['arm64 cold'] / walls['x86 cold']:.2f}; "
          f"arm64 warm / x86 warm wall: {walls['arm64 warm'] / walls['x86 warm']:.2f}; "
          f"arm64 cold / arm64 warm wall: {walls['arm64 cold'] / walls['arm64 warm']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
