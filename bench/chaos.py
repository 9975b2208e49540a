"""make chaos: the seeded chaos soak over the lab across hosts (harness/chaos/). Kernel builds
forced back to back while a nemesis driven by the seed injects one fault every 30-120 s; then
the checker: what went in must come out. Needs root. A benchmark, not a test: numbers.

Prints the seed and the fault schedule first, each fault's recovery as it happens, then the
recovery table per fault kind and, last, one line:
    lost=0 duplicated=0 false_fail=0 stuck=0 orphans=0
exiting 1 when any count is not 0 (or a known-bad kernel passed). The same SEED, BOOTS and
CHAOS_SCALE replay the same schedule.

Usage: .venv/bin/python bench/chaos.py [--seed N] [--boots 300] [--faults 20] [--scale 1.0] [--bad-every 5] [--minutes M]
"""
from __future__ import annotations

import argparse
import os
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rustux_bootlab.harness.chaos.run import report, soak  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    seed = os.environ.get("SEED") or str(random.SystemRandom().randrange(1, 1_000_000))
    p.add_argument("--seed", type=int, default=int(seed), help="the nemesis' seed (default: SEED, else a new one)")
    p.add_argument("--boots", type=int, default=int(os.environ.get("BOOTS") or 300), help="boots to run (default 300)")
    p.add_argument("--scale", type=float, default=float(os.environ.get("CHAOS_SCALE") or 1.0),
                   help="fault intervals and holds times this (default 1: every 30-120 s)")
    p.add_argument("--bad-every", type=int, default=5, help="every Nth kernel build is the known-bad one (default 5)")
    p.add_argument("--qemu-hosts", type=int, default=2)
    p.add_argument("--minutes", type=float, default=float(os.environ.get("CHAOS_MINUTES") or 0) or None,
                   help="trigger no new kernel build after this long (default: until BOOTS); the rest is checked")
    # A fast lab reaches 300 boots in ~20 min, before the schedule's 20th fault: go on to it.
    p.add_argument("--faults", type=int, default=int(os.environ.get("CHAOS_FAULTS") or 20),
                   help="builds go on past BOOTS until this many faults began (default 20)")
    args = p.parse_args()
    if os.geteuid() != 0:
        print("bench/chaos.py: network namespaces, iptables and tmpfs need root", file=sys.stderr)
        return 2
    print(f"chaos: SEED={args.seed}", flush=True)
    result = soak(args.seed, args.boots, args.scale, args.bad_every, args.qemu_hosts,
                  log=lambda line: print(line, flush=True), minutes=args.minutes, min_faults=args.faults)
    print(report(result), flush=True)
    return 0 if result.counts.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
