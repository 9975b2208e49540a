#!/usr/bin/env python3
"""Screen reader: character error rate, unreadable cells and ms per frame on the screen corpus.

The corpus (tests/fixtures/screens/*.png with their true text in *.txt): real OVMF
screens (ovmf-*), real Linux framebuffer consoles (linux-*) and screens drawn from the
fonts with colours, inverse video, cursors, torn redraws, offset grids and a picture
(drawn-*). Per screen: character errors (Levenshtein distance per line, leading and
trailing blank lines ignored) and unreadable cells (U+FFFD read where the truth has a
character), both for the reader with the lab's own fonts only ("lab fonts": what it knew
before Linux's fonts) and with every font it knows (as boots read), and the time to read a
frame with every font, on the first frame (finding the grid) and on the next ones (the
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

from rustux_bootlab.lab.screen.reader import ScreenReader, frame_from_rgb, known_fonts  # noqa: E402
from rustux_bootlab.workers.qemu.png import decode_png  # noqa: E402

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


def unreadable(truth: str, read: str) -> int:
    """Cells read as U+FFFD where the truth has a character (the truth's own U+FFFD are pictures);
    with no text grid found, every character of the truth."""
    if not read.strip():
        return sum(1 for c in truth if c not in " \n\ufffd")
    rows = zip(truth.strip("\n").split("\n"), read.strip("\n").split("\n"))  # aligned as char_errors aligns them
    return sum(1 for t, r in rows for a, b in zip(t, r) if b == "\ufffd" != a)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    total_chars = 0
    errors = {"lab": 0, "all": 0}
    unread = {"lab": 0, "all": 0}
    steady: list[float] = []
    firsts: list[float] = []
    print(f"{'screen':<22} {'grid':<36} {'chars':>6} {'lab fonts: err':>14} {'unread':>6} {'all: err':>8} {'unread':>6}"
          f" {'first ms':>8} {'next ms':>7}")
    for png in sorted(CORPUS.glob("*.png")):
        width, height, rgb = decode_png(png.read_bytes())
        frame = frame_from_rgb(width, height, rgb)
        truth = png.with_suffix(".txt").read_text().strip("\n")
        lab_text = ScreenReader(known_fonts()).read(frame).text
        reader = ScreenReader()
        t0 = time.process_time()
        text = reader.read(frame)
        first = (time.process_time() - t0) * 1000
        times = []
        for _ in range(args.repeat):
            t0 = time.process_time()
            reader.read(frame)
            times.append((time.process_time() - t0) * 1000)
        chars = len(truth.replace("\n", ""))
        total_chars += chars
        row = []
        for key, read in (("lab", lab_text), ("all", text.text)):
            e, u = char_errors(truth, read), unreadable(truth, read)
            errors[key] += e
            unread[key] += u
            row += [e, u]
        ms = statistics.median(times)
        if (width, height) == (1280, 800):
            steady.append(ms)
            firsts.append(first)
        grid = text.grid.describe().split(" cells, ")[1] if text.grid else "none"
        name = f"{text.grid.font.name}: {grid}" if text.grid else grid
        print(f"{png.stem:<22} {name:<36} {chars:>6} {row[0]:>14} {row[1]:>6} {row[2]:>8} {row[3]:>6} {first:>8.1f} {ms:>7.1f}")
    for key, label in (("lab", "the lab's own fonts"), ("all", "every font known")):
        print(f"{label}: character error rate {errors[key]}/{total_chars} = {errors[key] / total_chars:.4%}, "
              f"unreadable cells {unread[key]}")
    print(f"ms per 1280x800 frame (grid known): median {statistics.median(steady):.1f}, worst {max(steady):.1f} (goal <= 50); "
          f"first frame (finding the grid): median {statistics.median(firsts):.1f}, worst {max(firsts):.1f}")


if __name__ == "__main__":
    main()
