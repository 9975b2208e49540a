"""The screen reader: a frame's pixels in, the text of its console out.

Exact on fixed-cell bitmap-font consoles: each cell's bitmap is looked up in the known
fonts (`lab.screen.cells`), the grid found once and kept while it keeps reading
(`lab.screen.grid`). A cell no font explains reads as U+FFFD, never as a likely letter.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from rustux_bootlab.lab.screen.cells import REPLACEMENT, CellRead, GlyphLookup, Grid, pack_pixels, read_cells
from rustux_bootlab.lab.screen.font import Font, load_font, widened
from rustux_bootlab.lab.screen.fontset import by_size, system_fonts
from rustux_bootlab.lab.screen.grid import detect_grid, good_enough, score

REPO = Path(__file__).resolve().parents[2]
FONT_FILES = {
    "rustux": REPO / "kernel" / "font" / "vga-8x16.psf",  # our kernel's console, the VGA 8x16 family
    "ovmf": Path(__file__).with_name("fonts") / "ovmf-8x19.glyphs",  # EDK2's GraphicsConsole
}


@dataclass(frozen=True)
class ScreenText:
    lines: tuple[str, ...]
    grid: Grid | None  # None: no text grid found on the frame
    unknown: int  # cells read as REPLACEMENT
    cursor: tuple[int, int] | None = None  # (row, column) where a cursor was seen

    @property
    def text(self) -> str:
        return "\n".join(self.lines).rstrip("\n")


def frame_from_rgb(width: int, height: int, rgb: bytes) -> np.ndarray:
    """A screendump's packed RGB bytes as the (height, width, 3) array `read` takes."""
    return np.frombuffer(rgb, dtype=np.uint8).reshape(height, width, 3)


@cache
def known_fonts() -> tuple[Font, ...]:
    rustux = load_font(FONT_FILES["rustux"], "rustux")
    # VGA text mode draws the same glyphs in 9-pixel cells (the 9th column blank).
    return (rustux, load_font(FONT_FILES["ovmf"], "ovmf"), widened(rustux, 9, "vga-9x16"))


@cache
def reader_fonts() -> tuple[Font, ...]:
    """What a reader knows by default, one per cell size: the lab's fonts, the glyphs it
    learned from real screens (the other fonts/*.glyphs: Linux's built-in fonts where they
    differ from Debian's files, EDK2's box drawing seen in GRUB's menu), then Linux's
    console fonts as Debian installs them."""
    learned = tuple(load_font(p) for p in sorted(FONT_FILES["ovmf"].parent.glob("*.glyphs"))
                    if p not in FONT_FILES.values())
    return by_size((*known_fonts(), *learned, *system_fonts()))


class ScreenReader:
    """Reads frames of one screen in order; remembers the grid between frames. `fonts`
    replaces what it knows; `first` (a spec's `screen_font`) goes before the defaults."""

    def __init__(self, fonts: Sequence[Font] | None = None, first: Sequence[Font] = ()) -> None:
        known = fonts or reader_fonts()
        own = {(f.width, f.height) for f in (*first, *(fonts or known_fonts()))}
        self.lookups = [GlyphLookup(f, searched=(f.width, f.height) in own)
                        for f in (by_size((*first, *known)) if first else known)]
        self._by_font = {id(lk.font): lk for lk in self.lookups}
        self.grid: Grid | None = None
        self._shape: tuple[int, ...] | None = None  # the frame size the grid was found on

    def read(self, rgb: np.ndarray) -> ScreenText:
        """`rgb`: (height, width, 3) uint8, as a screendump holds it."""
        pixels = pack_pixels(rgb)
        read: CellRead | None = None
        if self.grid is not None and self._shape == pixels.shape:
            read = read_cells(pixels, self.grid, self._by_font[id(self.grid.font)])
        if read is None or not good_enough(read) or (read.unknown and not read.perfect_rows):
            # A kept grid that reads no row without unread cells may be the wrong one (found
            # on a logo; a font of another size reads text nearly right): a better grid wins.
            found = detect_grid(pixels, self.lookups)
            if found is not None and (read is None or not good_enough(read) or score(found[1]) > score(read)):
                (self.grid, read), self._shape = found, pixels.shape
            elif read is None or read.known == 0:
                self.grid = None
                return ScreenText((), None, 0)
        assert read is not None
        return ScreenText(read.lines, self.grid, read.unknown, read.cursor)


__all__ = ["REPLACEMENT", "ScreenReader", "ScreenText", "frame_from_rgb", "known_fonts", "reader_fonts"]
