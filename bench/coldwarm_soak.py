"""Cold and warm boots alternating on the four x86 QEMU targets: the warm path's honesty over
many boots (issue 18's soak). Not a test: numbers, from one run.

Boot i runs target TARGETS[(i // 2) % 4], cold when i is even and warm (`--warm`) when odd, so
every warm boot has a cold twin of the same image on the same target just before it; the image
changes every 8 boots among the kernel and two known-bad variants that end at once (no hang:
a hang verdict anywhere is a false one). The first warm boot of each target makes its snapshot.
Checked, each with goal zero:
  - disagreements: a pair that both ran (the warm one warm) whose verdict, culprit or milestone
    names differ (lab/warmlane.py's compare, as `bootlab warm check` does),
  - false hangs: a verdict other than the image's own (PASS; FAIL/code by its fault),
  - unnamed fallbacks: a boot asked warm that ran cold without `boot_path_reason` and a warning.
Printed with the fallbacks counted and the median cold and warm wall times and their ratio.
A private state and snapshot directory; the KVM probe's answer is kept (XDG cache).

Usage: .venv/bin/python bench/coldwarm_soak.py [--boots 100]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rustux_bootlab.lab.warmlane import compare  # noqa: E402

BOOTLAB = Path(sys.executable).parent / "bootlab"
TARGETS = ("q35-pflash", "pc-pflash", "q35-bios", "pc-bios")
# name, image, the verdict it must get, and a word its reason must hold
IMAGES = (("kernel", REPO / "build" / "esp", ("PASS", None), ""),
          ("triple-fault", REPO / "build" / "variants" / "triple-fault" / "esp", ("FAIL", "code"), "reset"),
          ("shared-user-tables", REPO / "build" / "variants" / "shared-user-tables" / "esp", ("FAIL", "code"), "page fault"))


def boot(target: str, image: Path, out: Path, env: dict[str, str], warm: bool) -> tuple[float, dict]:
    start = time.monotonic()
    proc = subprocess.run([str(BOOTLAB), "boot", "--target", target, "--image", str(image), "--out", str(out),
                           "--json", "--warm" if warm else "--no-warm"], cwd=REPO, capture_output=True, text=True, env=env)
    wall = time.monotonic() - start
    if not proc.stdout.strip():
        sys.exit(f"bootlab boot on {target} produced no result (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
    return wall, json.loads(proc.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--boots", type=int, default=100)
    args = parser.parse_args()
    for _, image, _, _ in IMAGES:
        if not (image / "EFI" / "BOOT" / "BOOTX64.EFI").is_file():
            sys.exit(f"{image} has no EFI/BOOT/BOOTX64.EFI: run make kernel variants")
    walls: dict[str, list[float]] = {"cold": [], "warm": []}
    disagreements, false_verdicts, fallbacks, unnamed = [], [], [], []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        work = Path(tmp)
        env = dict(os.environ, BOOTLAB_SNAPSHOTS=str(work / "snapshots"), BOOTLAB_STATE=str(work / "state"))
        cold: dict = {}
        for i in range(args.boots):
            target, warm = TARGETS[(i // 2) % len(TARGETS)], i % 2 == 1
            name, image, expected, word = IMAGES[(i // 8) % len(IMAGES)]
            wall, result = boot(target, image, work / str(i), env, warm)
            path = result.get("boot_path")
            where = f"boot {i} {target} {name} {'warm' if warm else 'cold'}"
            if (result["verdict"], result["culprit"]) != expected or word not in result["reason"]:
                false_verdicts.append(f"{where}: {result['verdict']}/{result['culprit']} {result['reason']}")
            if warm and path != "warm":
                fallbacks.append(f"{where}: {result.get('boot_path_reason')}")
                if not result.get("boot_path_reason") or not (result.get("warm") or {}).get("warnings"):
                    unnamed.append(where)
            made = warm and result["warm"] and result["warm"].get("made_snapshot")
            if path == ("warm" if warm else "cold") and not made:  # fallbacks and snapshot-making boots apart
                walls[path].append(wall)
            if not warm:
                cold = result
            elif path == "warm" and not (agreement := compare(cold, result)).agree:
                disagreements.append(f"{where}: {agreement.summary()}")
            print(f"  {where:<50} {path:<5} {wall:6.2f}s  {result['verdict']}", flush=True)
    elapsed = time.monotonic() - started
    cold_s, warm_s = (statistics.median(walls[k]) if walls[k] else float("nan") for k in ("cold", "warm"))
    print(f"bench/coldwarm_soak.py: {args.boots} boots on {', '.join(TARGETS)} in {elapsed:.0f} s "
          f"(load {os.getloadavg()[0]:.1f} at the end)")
    print(f"  median wall: cold {cold_s:.2f} s ({len(walls['cold'])}), warm {warm_s:.2f} s ({len(walls['warm'])}, "
          f"snapshot-making boots left out), warm/cold {warm_s / cold_s:.2f}")
    print(f"  fallbacks to cold: {len(fallbacks)}, every one named: {'yes' if not unnamed else 'NO'}")
    for line in fallbacks:
        print(f"    {line}")
    rows = (("disagreements", disagreements), ("false verdicts (hangs included)", false_verdicts),
            ("unnamed fallbacks", unnamed))
    for name, found in rows:
        print(f"  {name:<32} {len(found):3d}  goal 0 {'ok' if not found else 'MISSED'}")
        for line in found:
            print(f"    {line}")
    return 1 if any(found for _, found in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
