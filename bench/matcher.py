#!/usr/bin/env python3
"""Matcher throughput: MB/s and memory high-water for three streams (goal: >= 50 MB/s).

Every stream starts with the real kernel's first three milestones and ends with the rest
(from the kernel-pass capture, matched with its spec), so the flood comes mid-boot, with
the full set of signatures and later milestones active:
1. a realistic boot log (OVMF's ANSI-painted console plus kernel-style log lines of mixed
   length), repeated to ~100 MB, fed alternately on serial and debugcon;
2. binary garbage (random bytes: NULs, ESCs, invalid UTF-8, random line ends);
3. a flood of 100 MB of 1 MiB lines (everything past each line's 4 KiB head is dropped).
Streams are fed in 64 KiB reads, as the runner reads its sockets. Memory: tracemalloc
peak of a separate 20 MB run of each stream (tracemalloc slows the timed runs).

Usage: .venv/bin/python bench/matcher.py [--mb 100]
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rustux_bootlab.lab.milestones import BootMatcher, load_spec  # noqa: E402

SPEC = ROOT / "tests" / "fixtures" / "specs" / "rustux.yaml"
CAPTURES = ROOT / "tests" / "fixtures" / "captures"
CHUNK = 64 << 10
MB = 1_000_000


def realistic_block() -> bytes:
    """~1 MB of console traffic that contains no milestone, fatal or infrastructure line."""
    rng = random.Random(7)
    ovmf = b"".join(
        line + b"\n"
        for line in (CAPTURES / "no-bootfile" / "serial.log").read_bytes().splitlines()
        if b"BdsDxe" not in line and b"Shell" not in line
    )
    words = [b"pmm", b"heap", b"frame", b"paging", b"sched", b"irq", b"timer", b"acpi", b"pci", b"virtio"]
    out = bytearray()
    while len(out) < MB:
        if rng.random() < 0.05:
            out += ovmf[: rng.randrange(200, 2000)] + b"\r\n"
        else:
            t = rng.random() * 10
            msg = b" ".join(rng.choice(words) for _ in range(rng.randrange(3, 20)))
            out += b"[%12.6f] %s: 0x%016x %s\r\n" % (t, rng.choice(words), rng.getrandbits(64), msg)
    return bytes(out)


def ending() -> dict[str, bytes]:
    """The real kernel's milestones (kernel-pass capture) that end every stream."""
    serial = (CAPTURES / "kernel-pass" / "serial.log").read_bytes()
    kernel = serial[serial.index(b"[rustux]") :]
    return {"debugcon": (CAPTURES / "kernel-pass" / "debugcon.log").read_bytes(), "serial": kernel}


def stream(kind: str, total: int):
    """Yield (channel, chunk) pairs totalling `total` bytes."""
    channels = ("serial", "debugcon")
    head = b"".join(ending()["debugcon"].splitlines(keepends=True)[:3])
    yield "debugcon", head  # entry, banner, memory-map: the flood comes mid-boot
    if kind == "realistic":
        block = realistic_block()
        sent = 0
        i = 0
        while sent < total:
            for off in range(0, len(block), CHUNK):
                yield channels[i % 2], block[off : off + CHUNK]
                i += 1
            sent += len(block)
    elif kind == "garbage":
        block = os.urandom(8 << 20)
        for _ in range(0, total, len(block)):
            for off in range(0, len(block), CHUNK):
                yield "serial", block[off : off + CHUNK]
    elif kind == "long-lines":
        line = b"x" * ((1 << 20) - 1) + b"\n"
        for _ in range(0, total, len(line)):
            for off in range(0, len(line), CHUNK):
                yield "serial", line[off : off + CHUNK]
    yield from ending().items()


def run(spec, kind: str, total: int) -> tuple[float, int, BootMatcher]:
    chunks = list(stream(kind, total))  # generated up front so the timing is the matcher's alone
    size = sum(len(c) for _, c in chunks)
    m = BootMatcher(spec)
    start = time.perf_counter()
    for i, (channel, data) in enumerate(chunks):
        m.feed(channel, data, i * 1e-4)
    m.close(len(chunks) * 1e-4)
    return time.perf_counter() - start, size, m


def peak_memory(spec, kind: str) -> int:
    """Peak bytes the matcher allocates beyond what the input generator holds."""
    m = BootMatcher(spec)
    tracemalloc.start()
    base = 0
    for i, (channel, data) in enumerate(stream(kind, 20 * MB)):
        if i == 1:  # the generator has now allocated its input block
            base = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
        m.feed(channel, data, i * 1e-4)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - base


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100, help="megabytes per stream (default 100)")
    args = parser.parse_args()
    spec = load_spec(SPEC)
    print(f"matcher throughput, {args.mb} MB per stream, {CHUNK // 1024} KiB reads, spec {SPEC.relative_to(ROOT)}")
    worst = float("inf")
    for kind in ("realistic", "garbage", "long-lines"):
        secs, size, m = run(spec, kind, args.mb * MB)
        rate = size / MB / secs
        worst = min(worst, rate)
        verdict = m.decided.summary() if m.decided else "undecided"
        peak = peak_memory(spec, kind)
        print(f"  {kind:11} {size / MB:7.1f} MB in {secs:6.2f} s = {rate:7.1f} MB/s   "
              f"matcher peak {peak / 1024:7.0f} KiB   ({verdict})")
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"process max RSS {maxrss / 1024:.0f} MiB (includes the pre-generated input)")
    print(f"slowest stream {worst:.1f} MB/s: goal >= 50 MB/s {'met' if worst >= 50 else 'NOT met'}")
    return 0 if worst >= 50 else 1


if __name__ == "__main__":
    sys.exit(main())
