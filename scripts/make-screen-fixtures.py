#!/usr/bin/env python3
"""Render the screen corpus' synthetic screens: tests/fixtures/screens/drawn-*.png + .txt.

Each screen is drawn cell by cell from a known font (lab/screen/render.py) with what
breaks naive readers: every glyph, colours per cell, inverse video, cursors (painted and
XORed, on text and on blanks), a redraw torn mid-screen, a grid off the frame's corner,
VGA text mode's 9-pixel cells, a picture next to text. The .txt is the text drawn.
Usage (from the repository root, a few seconds): .venv/bin/python scripts/make-screen-fixtures.py
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rustux_bootlab.lab.screen.reader import known_fonts  # noqa: E402
from rustux_bootlab.lab.screen.render import BLACK, GREY, WHITE, Canvas, printable  # noqa: E402
from rustux_bootlab.workers.qemu.png import encode_png  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "screens"
# The 16 colours of the VGA palette, as consoles draw them.
VGA = [(0, 0, 0), (0, 0, 170), (0, 170, 0), (0, 170, 170), (170, 0, 0), (170, 0, 170), (170, 85, 0), (170, 170, 170),
       (85, 85, 85), (85, 85, 255), (85, 255, 85), (85, 255, 255), (255, 85, 85), (255, 85, 255), (255, 255, 85), (255, 255, 255)]


def save(name: str, canvas: Canvas) -> None:
    height, width, _ = canvas.pixels.shape
    (OUT / f"drawn-{name}.png").write_bytes(encode_png(width, height, canvas.pixels.tobytes()))
    (OUT / f"drawn-{name}.txt").write_text("\n".join(canvas.truth()) + "\n")


def words(rng: random.Random, chars: list[str], n: int) -> str:
    return "".join(rng.choice(chars) for _ in range(n))


def main() -> None:
    rustux, ovmf, vga9 = known_fonts()
    rng = random.Random(10)
    glyphs = list(printable(rustux))

    full = Canvas(1280, 800, rustux)  # every cell inked: the worst case for speed
    for row in range(full.rows):
        full.text(row, 0, "".join(glyphs[(row * full.cols + i) % len(glyphs)] for i in range(full.cols)), WHITE)
    save("rustux-full", full)

    colours = Canvas(1280, 800, rustux)
    for row in range(colours.rows):
        col = 0
        while col < colours.cols - 12:
            word = words(rng, glyphs, rng.randint(1, 10))
            fg, bg = rng.sample(VGA, 2)
            if row % 7 == 3:
                fg, bg = BLACK, GREY  # a whole inverse-video line
            colours.text(row, col, word, fg, bg)
            col += len(word) + rng.randint(0, 2)
    save("rustux-colours", colours)

    shell = Canvas(1280, 800, rustux)
    shell.text(0, 0, "Rustux shell v0.1 [PS/2] keyboard, 1280x800 console", WHITE)
    shell.text(1, 0, "rustux> echo hello_world", GREY)
    shell.text(2, 0, "hello_world", GREY)
    shell.text(3, 0, "rustux> ls /bin", GREY)
    shell.cursor(3, 8, 2)  # an underline painted over the `l`
    shell.text(4, 0, "init sh hello", GREY)
    shell.text(5, 0, "rustux> ", GREY)
    shell.cursor(5, 8, 2, WHITE)  # on a blank cell
    shell.text(6, 0, "rustux> cat /etc/motd", GREY)
    shell.cursor(6, 10, 3, GREY, xor=True)  # XORed in, EDK2-style
    shell.text(7, 0, "block", BLACK, GREY)  # a block cursor is inverse video
    save("rustux-cursor", shell)

    old, new = Canvas(1280, 800, rustux), Canvas(1280, 800, rustux)
    for row in range(0, old.rows, 2):
        old.text(row, 0, f"old line {row:02d} " + words(rng, glyphs, 60), GREY)
        new.text(row + 1, 4, f"new line {row + 1:02d} " + words(rng, glyphs, 70), (85, 255, 85))
    old.tear(new, 16 * 20 + 9)  # the redraw reached pixel row 329: cell row 20 is half old, half new
    save("rustux-torn", old)

    offset = Canvas(1280, 800, rustux, x0=5, y0=11)  # another kernel's console, not at the corner
    for row in range(0, offset.rows, 3):
        offset.text(row, 2, words(rng, glyphs, 50), VGA[row % 7 + 9])
    save("vga-offset", offset)

    text_mode = Canvas(720, 400, vga9)  # VGA text mode 80x25 as QEMU's screendump draws it
    text_mode.text(0, 0, "SeaBIOS-like text mode: 80x25, 9x16 cells", WHITE, VGA[1])
    for row in range(2, 25):
        text_mode.text(row, 0, words(rng, glyphs[:95], 78), VGA[row % 15 + 1])
    save("vga-text-mode", text_mode)

    setup = Canvas(1280, 800, ovmf, x0=240, y0=105, background=VGA[1])  # a firmware menu: grey on blue
    setup.text(0, 0, " " * 100, BLACK, GREY)
    setup.text(0, 40, "Boot Manager", BLACK, GREY)
    for i, item in enumerate(["UEFI QEMU HARDDISK QM00001", "EFI Internal Shell", "UEFI Shell (x64) v2.2"]):
        setup.text(4 + i, 10, item, *((WHITE, BLACK) if i == 1 else (GREY, VGA[1])))
    setup.text(29, 2, "^v=Move Highlight       <Enter>=Select Entry      Esc=Exit", (85, 255, 255), VGA[1])
    save("ovmf-menu", setup)

    logo = Canvas(1280, 800, rustux)
    logo.picture(40, 520, 200, 240)  # a firmware logo: never read as letters
    logo.text(20, 10, "Rustux kernel starting (framebuffer console)", WHITE)
    logo.text(21, 10, "rustux: boot services exited", GREY)
    save("rustux-logo", logo)


if __name__ == "__main__":
    main()
