"""Learned milestone deadlines: how soon a hang is judged, and whether a loaded host ever
makes a good kernel look hung.

All boots run the real `bootlab boot` with a private state directory (so the passing-boot
history is the bench's own, see lab/deadlines.py):
  1. history: MIN_HISTORY good boots per target on the host as it is, no load added;
  2. hang: build/variants/hang-after-heap on q35-pflash: when its next milestone was due
     (heap + the median heap -> exit-boot-services gap of the passing boots), when the
     verdict came, and the delay between them (goal: at most 2 s), next to the spec's
     timeout (heap + 15 s);
  3. soak: --boots good boots round-robin over the inventory's targets, --jobs at a time,
     with one busy loop per CPU started before and stopped after (the noisy case):
     false hangs (a good kernel judged hung; goal 0), other verdicts that are not PASS,
     and the tightest margin seen (the largest gap over its learned deadline).

Usage: .venv/bin/python bench/deadlines.py [--boots 100] [--jobs 2] [--no-soak]
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from rustux_bootlab.lab.deadlines import LEARNED, MIN_HISTORY  # noqa: E402

BOOTLAB = Path(sys.executable).parent / "bootlab"
HANG_TARGET = "q35-pflash"
HANG_VARIANT = "hang-after-heap"
DELAY_GOAL_S = 2.0


def boot(target: str, image: Path, out: Path, state: Path) -> dict:
    env = dict(os.environ, BOOTLAB_STATE=str(state))
    proc = subprocess.run([str(BOOTLAB), "boot", "--target", target, "--image", str(image), "--out", str(out), "--json"],
                          cwd=REPO, capture_output=True, text=True, env=env)
    if not proc.stdout.strip():
        sys.exit(f"bootlab boot --target {target} produced no result (exit {proc.returncode}): {proc.stderr.strip()}")
    return json.loads(proc.stdout)


def start_load() -> list[subprocess.Popen]:
    """One busy loop per CPU, each in its own process group."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
            for _ in range(os.cpu_count() or 1)]


def stop_load(load: list[subprocess.Popen]) -> None:
    for p in load:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
        p.wait()


def margin(result: dict) -> tuple[float, str]:
    """The largest gap / learned deadline of a passing boot, and where."""
    deadlines = {d["milestone"]: d for d in (result.get("deadlines") or {}).get("milestones", [])}
    worst, where = 0.0, "-"
    prev = 0.0
    for hit in result["milestones"]:
        d = deadlines.get(hit["name"])
        gap = hit["t"] - prev
        prev = hit["t"]
        if d and d["source"] == LEARNED and gap / d["seconds"] > worst:
            worst, where = gap / d["seconds"], f"{hit['name']}: {gap:.3f}s of {d['seconds']:.2f}s"
    return worst, where


def history(targets: list[str], image: Path, work: Path, state: Path) -> None:
    start = time.monotonic()
    for target in targets:
        for i in range(MIN_HISTORY):
            r = boot(target, image, work / f"history-{target}-{i}", state)
            if r["verdict"] != "PASS":
                sys.exit(f"the good kernel did not PASS on {target}: {r['verdict']} {r['reason']}")
    print(f"history: {MIN_HISTORY} passing boots on each of {', '.join(targets)} in {time.monotonic() - start:.0f} s (no load added)")


def hang(work: Path, state: Path) -> None:
    esp = REPO / "build" / "variants" / HANG_VARIANT / "esp"
    if not esp.is_dir():
        print(f"hang: {esp} not built (make variants): skipped")
        return
    r = boot(HANG_TARGET, esp, work / "hang", state)
    decided = (r.get("deadlines") or {}).get("decided_by")
    print(f"hang ({HANG_VARIANT} on {HANG_TARGET}): {r['verdict']} ({r['culprit']}): {r['reason']}")
    if not decided or decided["due_t"] is None:
        print("  not decided by a learned deadline: NOT met")
        return
    last = r["milestones"][-1]["t"]
    delay = decided["decided_t"] - decided["due_t"]
    rows = [
        (f"last milestone ({decided['after']}) at", last, ""),
        (f"{decided['milestone']} due at", decided["due_t"], f"(median gap {decided['expected_s']:.4f} s)"),
        ("verdict at", decided["decided_t"], f"deadline {decided['seconds']:.2f} s ({decided['source']})"),
        ("delay after the due time", delay, f"(goal <= {DELAY_GOAL_S:g} s: {'met' if delay <= DELAY_GOAL_S else 'NOT met'})"),
        ("the spec's timeout would decide at", last + 15, f"bootlab wall time {r['duration_s']:.2f} s"),
    ]
    for label, seconds, note in rows:
        print(f"  {label:36} {seconds:7.2f} s   {note}")


def skipped(r: dict) -> bool:
    """The good kernel judged to have skipped a milestone (lab.matcher): as false as a hang."""
    return ((r.get("deadlines") or {}).get("decided_by") or {}).get("source") == "skipped"


def soak(targets: list[str], image: Path, boots: int, jobs: int, work: Path, state: Path) -> None:
    plan = [(i, targets[i % len(targets)]) for i in range(boots)]
    load = start_load()
    start = time.monotonic()
    try:
        with ThreadPoolExecutor(jobs) as pool:
            results = list(pool.map(lambda it: (it[1], boot(it[1], image, work / f"soak-{it[0]}", state)), plan))
    finally:
        stop_load(load)
    wall = time.monotonic() - start
    false_hangs = [(t, r) for t, r in results if r["verdict"] == "FAIL" and ("hung" in r["reason"] or skipped(r))]
    others = [(t, r) for t, r in results if r["verdict"] != "PASS" and (t, r) not in false_hangs]
    passes = [(t, r) for t, r in results if r["verdict"] == "PASS"]
    learned = sum(1 for _, r in results if (r.get("deadlines") or {}).get("learned"))
    worst = max((margin(r) + (t,) for t, r in passes), default=(0.0, "-", "-"))
    times = sorted(r["milestones"][-1]["t"] for _, r in passes)
    print(f"soak: {boots} boots over {len(targets)} targets, {jobs} at a time, {len(load)} busy loops, {wall:.0f} s")
    print(f"  PASS {len(passes)}, false hangs {len(false_hangs)} (goal 0; a milestone judged skipped counts), other {len(others)}; "
          f"{learned} boots judged with learned deadlines")
    if times:
        print(f"  boot time under load: median {times[len(times) // 2]:.1f} s, max {times[-1]:.1f} s")
    print(f"  tightest margin: {worst[0]:.0%} of a learned deadline ({worst[2]}, {worst[1]})")
    for t, r in false_hangs + others:
        print(f"  {t}: {r['verdict']} ({r['culprit']}): {r['reason']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="example:\n  .venv/bin/python bench/deadlines.py --boots 20 --jobs 2")
    parser.add_argument("--image", type=Path, default=REPO / "build" / "esp")
    parser.add_argument("--boots", type=int, default=100, help="soak boots (default: 100)")
    parser.add_argument("--jobs", type=int, default=2, help="soak boots at a time (default: 2)")
    parser.add_argument("--no-soak", dest="boots", action="store_const", const=0, help="history and hang only")
    args = parser.parse_args()
    if not (args.image / "EFI" / "BOOT" / "BOOTX64.EFI").is_file():
        sys.exit(f"{args.image} has no EFI/BOOT/BOOTX64.EFI: run make kernel")
    if args.jobs < 1:
        sys.exit(f"--jobs {args.jobs}: must be at least 1")
    inventory = yaml.safe_load((REPO / "lab-inventory.yaml").read_text())
    targets = [name for name, t in inventory["targets"].items() if t.get("enabled", True)]
    with tempfile.TemporaryDirectory(prefix="bench-deadlines-") as tmp:
        work, state = Path(tmp), Path(tmp) / "state"
        history(targets if args.boots else [HANG_TARGET], args.image, work, state)
        hang(work, state)
        if args.boots:
            soak(targets, args.image, args.boots, args.jobs, work, state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
