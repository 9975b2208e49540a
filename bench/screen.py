#!/usr/bin/env python3
"""Screen reader: character error rate and ms per frame on the screen corpus.

The corpus (tests/fixtures/screens/*.png with their true text in *.txt): real OVMF
screens (ovmf-*) and screens drawn from the fonts with colours, inverse video, cursors,
torn redraws, offset grids and a picture (drawn-*). Per screen: character errors
(Levenshtein distance per line, leading and trailing blank lines ignored) and the time
to read a frame, both on the first frame (finding the grid) and on the next ones (the
grid known, as during a boot). Goals: 0 errors; <= 50 ms per 1280x800 frame.
Times are process CPU time (the machine is shared: wall time would measure the others).

Usage: .venv/bin/python bench/screen.py [--repeat 20]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lab.screen.reader import ScreenReader, frame_from_rgb  # noqa: E402
from workers.png import decode_png  # noqa: E402

CORPUS = ROOT / "tests" / "fixtures" / "screens"


def distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def char_errors(truth: str, read: str) -> int:
    t, r = truth.strip("\n").split("\n"), read.strip("\n").split("\n")
    r += [""] * (len(t) - len(r))
    t += [""] * (len(r) - len(t))
    return sum(distance(a, b) for a, b in zip(t, r)) + abs(len(truth.strip("\n").split("\n")) - len(read.strip("\n").split("\n")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    total_chars = total_errors = 0
    steady: list[float] = []
    print(f"{'screen':<24} {'size':>9} {'grid':<30} {'chars':>6} {'errors':>6} {'first ms':>8} {'next ms':>8}")
    for png in sorted(CORPUS.glob("*.png")):
        width, height, rgb = decode_png(png.read_bytes())
        frame = frame_from_rgb(width, height, rgb)
        truth = png.with_suffix(".txt").read_text().strip("\n")
        reader = ScreenReader()
        t0 = time.process_time()
        text = reader.read(frame)
        first = (time.process_time() - t0) * 1000
        times = []
        for _ in range(args.repeat):
            t0 = time.process_time()
            reader.read(frame)
            times.append((time.process_time() - t0) * 1000)
        errors = char_errors(truth, text.text)
        chars = len(truth.replace("\n", ""))
        total_chars, total_errors = total_chars + chars, total_errors + errors
        ms = statistics.median(times)
        if (width, height) == (1280, 800):
            steady.append(ms)
        grid = text.grid.describe().split(" cells, ")[1] if text.grid else "none"
        name = f"{text.grid.font.name}: {grid}" if text.grid else grid
        print(f"{png.stem:<24} {width}x{height:<4} {name:<30} {chars:>6} {errors:>6} {first:>8.1f} {ms:>8.1f}")
    cer = total_errors / total_chars if total_chars else 0.0
    print(f"character error rate: {total_errors}/{total_chars} = {cer:.4%}")
    print(f"ms per 1280x800 frame (grid known): median {statistics.median(steady):.1f}, worst {max(steady):.1f} (goal <= 50)")


if __name__ == "__main__":
    main()
