"""Each environment's cold and warm boot times, and what differs between environments on the
kernel and its known-bad variants: one run, printed (docs/environments.md keeps the numbers).

  1. the kernel (build/esp) on every q35 lane: cold (`--no-warm`), and where the lane can be
     warm (a UEFI shell to snapshot: not U-Boot, not Secure Boot) a first `--warm` that makes
     the snapshot and a second that restores it: QEMU start to kernel entry and to the last
     milestone, and the wall time of the `bootlab boot`;
  2. every variant in build/variants/ on the lanes without Secure Boot (cold): each lane's
     verdict, and the variants whose verdict, culprit or reason differ between the lanes.
Records, snapshots and the lab state go to a temp dir (the lab's own history is not touched).

Usage: .venv/bin/python bench/environments.py [--lanes a,b] [--variant-lanes a,b] [--no-variants]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BOOTLAB = Path(sys.executable).parent / "bootlab"
LANES = ("q35-pflash", "q35-pflash-trixie", "q35-uboot", "q35-secure-boot", "q35-strictnx-trixie")
VARIANT_LANES = ("q35-pflash", "q35-pflash-trixie", "q35-uboot")
TIMES = re.compile(r"\d+(\.\d+)?s\b")  # `at 15.15s`, `within 15s`: each lane's own speed, not a difference


def boot(target: str, image: Path, out: Path, env: dict[str, str], *flags: str) -> tuple[float, dict]:
    start = time.monotonic()
    proc = subprocess.run([str(BOOTLAB), "boot", "--target", target, "--image", str(image), "--out", str(out), "--json",
                           *flags], cwd=REPO, capture_output=True, text=True, env=env)
    wall = time.monotonic() - start
    if not proc.stdout.strip():
        sys.exit(f"bootlab boot --target {target} {' '.join(flags)}: no record (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
    return wall, json.loads(proc.stdout)


def times(result: dict) -> str:
    hits = result["milestones"]
    return f"{hits[0]['t']:5.2f} {hits[-1]['t']:6.2f}" if hits else "    -      -"


def qemu_of(result: dict) -> str:
    version = ((result.get("qemu") or {}).get("version") or "?").removeprefix("QEMU emulator version ").split(" (")[0]
    return f"{(result.get('environment') or {}).get('name', '?')} {version} {(result.get('qemu') or {}).get('accel') or '?'}"


def lane_times(lanes: list[str], image: Path, work: Path, env: dict[str, str], warm_lanes: set[str]) -> None:
    print(f"{'lane':<20} {'environment':<22} {'path':<5} {'entry':>5} {'last':>6} {'wall':>6}  verdict")
    for lane in lanes:
        runs = [("cold", "--no-warm")] + ([("make", "--warm"), ("warm", "--warm")] if lane in warm_lanes else [])
        for name, flag in runs:
            wall, result = boot(lane, image, work / lane / name, env, flag)
            path = result.get("boot_path") or "cold"
            label = name if name != "warm" or path == "warm" else "warm (ran cold)"
            print(f"{lane:<20} {qemu_of(result):<22} {label:<5} {times(result)} {wall:6.1f}  {result['verdict']}"
                  + (f" {result['culprit']}: {result['reason'][:90]}" if result["verdict"] != "PASS" else ""))


def variants(lanes: list[str], work: Path, env: dict[str, str]) -> None:
    found = sorted(p for p in (REPO / "build/variants").glob("*/esp") if (p / "EFI/BOOT/BOOTX64.EFI").is_file())
    differ = []
    print(f"\n{'variant':<20} " + " ".join(f"{lane:<28}" for lane in lanes))
    for esp in found:
        name = esp.parent.name
        got = {lane: boot(lane, esp, work / "variants" / name / lane, env, "--no-warm")[1] for lane in lanes}
        print(f"{name:<20} " + " ".join(f"{_short(got[lane]):<28}" for lane in lanes))
        if len({(r["verdict"], r["culprit"], TIMES.sub("<t>s", r["reason"])) for r in got.values()}) > 1:
            differ.append((name, got))
    print(f"\n{len(found)} variants on {len(lanes)} lanes; verdict, culprit or reason (but for its times) differ for {len(differ)}:")
    for name, got in differ:
        for lane, r in got.items():
            print(f"  {name:<18} {lane:<20} {r['verdict']}/{r['culprit']} {r['reason'][:140]}")


def _short(result: dict) -> str:
    headline = f"{result['verdict']}/{result['culprit']}" if result["culprit"] else result["verdict"]
    return f"{headline} {result['duration_s']:.1f}s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lanes", default=",".join(LANES))
    parser.add_argument("--variant-lanes", default=",".join(VARIANT_LANES))
    parser.add_argument("--no-variants", action="store_true")
    parser.add_argument("--image", type=Path, default=REPO / "build/esp")
    args = parser.parse_args()
    if not (args.image / "EFI/BOOT/BOOTX64.EFI").is_file():
        sys.exit(f"{args.image} has no EFI/BOOT/BOOTX64.EFI: run make kernel")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-environments-") as tmp:
        work = Path(tmp)
        env = dict(os.environ, BOOTLAB_SNAPSHOTS=str(work / "snapshots"), BOOTLAB_STATE=str(work / "state"))
        lane_times(args.lanes.split(","), args.image, work, env, warm_lanes={"q35-pflash", "q35-pflash-trixie"})
        if not args.no_variants:
            variants(args.variant_lanes.split(","), work, env)
    print(f"\nseconds after QEMU starts (entry: the kernel's first milestone; last: its last), wall: the whole"
          f" `bootlab boot`; {time.monotonic() - started:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
