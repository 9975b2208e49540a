"""Drawing text screens from a font, as a console would: the screen corpus' fixtures.

A `Canvas` holds an RGB frame; `text` draws cells (any foreground and background, so
inverse video is just swapped colours), `cursor` draws an underline or block cursor the
two ways consoles do (painted over, or XORed in as EDK2 does), `tear` copies part of
another frame over this one (a screendump taken in the middle of a redraw).
`truth` is what a reader must read: per cell the character whose glyph the cell shows
exactly, U+FFFD where no glyph does (a torn cell, a picture).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rustux_bootlab.lab.screen.cells import REPLACEMENT
from rustux_bootlab.lab.screen.font import Font

Colour = tuple[int, int, int]
BLACK, GREY, WHITE, GREEN = (0, 0, 0), (170, 170, 170), (255, 255, 255), (85, 255, 85)


class Canvas:
    def __init__(self, width: int, height: int, font: Font, x0: int = 0, y0: int = 0, background: Colour = BLACK) -> None:
        self.font, self.x0, self.y0 = font, x0, y0
        self.cols, self.rows = (width - x0) // font.width, (height - y0) // font.height
        self.pixels = np.empty((height, width, 3), dtype=np.uint8)
        self.pixels[:] = background
        self.chars = [[" "] * self.cols for _ in range(self.rows)]

    def _cell(self, row: int, col: int) -> np.ndarray:
        f = self.font
        y, x = self.y0 + row * f.height, self.x0 + col * f.width
        return self.pixels[y : y + f.height, x : x + f.width]

    def text(self, row: int, col: int, text: str, fg: Colour = GREY, bg: Colour = BLACK) -> None:
        for i, char in enumerate(text):
            cell = self._cell(row, col + i)
            cell[:] = bg
            if char != " ":
                cell[self.font.mask(char)] = fg
            self.chars[row][col + i] = char

    def cursor(self, row: int, col: int, rows: int, colour: Colour = GREY, xor: bool = False) -> None:
        band = self._cell(row, col)[self.font.height - rows :]
        if xor:
            band ^= np.array(colour, dtype=np.uint8)
        else:
            band[:] = colour

    def picture(self, y: int, x: int, height: int, width: int, seed: int = 1) -> None:
        """Noise standing for a logo: no glyph in it."""
        rng = np.random.default_rng(seed)
        self.pixels[y : y + height, x : x + width] = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        f = self.font
        for row in range(max(0, (y - self.y0) // f.height), min(self.rows, (y + height - self.y0 - 1) // f.height + 1)):
            for col in range(max(0, (x - self.x0) // f.width), min(self.cols, (x + width - self.x0 - 1) // f.width + 1)):
                self.chars[row][col] = REPLACEMENT

    def tear(self, other: "Canvas", from_y: int) -> None:
        """Rows of pixels from `from_y` down come from `other` (same size and grid)."""
        self.pixels[from_y:] = other.pixels[from_y:]
        f = self.font
        for row in range(self.rows):
            top = self.y0 + row * f.height
            if top >= from_y:
                self.chars[row] = list(other.chars[row])
            elif top + f.height > from_y:
                self.chars[row] = [self._read_back(row, col) for col in range(self.cols)]

    def _read_back(self, row: int, col: int) -> str:
        cell = self._cell(row, col).astype(np.uint32)
        packed = (cell[..., 0] << 16) | (cell[..., 1] << 8) | cell[..., 2]
        colours = np.unique(packed)
        if colours.size == 1:
            return " "
        ink = packed != packed[0, 0]
        bits = np.packbits(ink, axis=1).tobytes()
        return self.font.by_bitmap.get(bits, REPLACEMENT) if colours.size == 2 else REPLACEMENT

    def truth(self) -> list[str]:
        lines = ["".join(row).rstrip(" ") for row in self.chars]
        while lines and not lines[-1]:
            lines.pop()
        return lines


def printable(font: Font) -> Sequence[str]:
    """The characters a reader can tell apart (not the ones sharing a glyph)."""
    return sorted(c for c in font.bitmaps if c != " " and c not in font.shadowed)
