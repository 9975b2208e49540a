"""Reading the characters of one cell grid of a frame: exact bitmap lookup, no guessing.

Per cell: the top-left pixel is taken as the cell's background (no glyph of the known
fonts inks it, except box-drawing ones, handled by the complement below); every pixel of
another colour is ink. The ink bitmap, packed like the font's glyphs, is looked up:
1. as is (any foreground/background colours, inverse video included: the cell's own
   background is whatever its top-left pixel is);
2. complemented, for two-colour cells whose top-left pixel is ink (`┌`, `▀`);
3. as a glyph under a cursor: the bottom N rows (N <= `MAX_CURSOR_ROWS`) either all ink
   (an underline or block drawn over the cell) or the glyph's rows inverted (a cursor
   XORed in, as EDK2 draws it); the rows above must equal exactly one glyph's.
A cell that fits none of these, or more than one character, reads as `REPLACEMENT`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rustux_bootlab.lab.screen.font import Font
from rustux_bootlab.lab.screen.unreadable import REPLACEMENT

MAX_CURSOR_ROWS = 4
_MEMO_LIMIT = 1 << 16  # distinct cell bitmaps remembered per font


@dataclass(frozen=True)
class Grid:
    """Where a font's cells sit on a frame: the first cell's top-left pixel and the count."""

    font: Font
    x0: int
    y0: int
    cols: int
    rows: int

    def describe(self) -> str:
        f = self.font
        return f"{f.name} {f.width}x{f.height} cells, {self.cols}x{self.rows} at ({self.x0},{self.y0})"


CLEAN_ROW_KNOWN = 3
SHAPES = ("\u2580", "\u259f")  # block elements: read, but not counted as known text


@dataclass(frozen=True)
class CellRead:
    lines: tuple[str, ...]
    known: int  # cells with ink read as a character (block elements aside)
    unknown: int  # cells read as REPLACEMENT
    clean_rows: int  # rows with at least CLEAN_ROW_KNOWN characters and at most one REPLACEMENT (a cursor)
    cursor: tuple[int, int] | None = None  # (row, column) of a cell read under a cursor
    perfect_rows: int = 0  # rows with at least CLEAN_ROW_KNOWN characters and no REPLACEMENT


class GlyphLookup:
    """A font's lookup tables, with a memo of the bitmaps seen on screens."""

    def __init__(self, font: Font, searched: bool = True) -> None:
        self.font = font
        self.searched = searched  # worth a grid search anywhere on the frame (lab.screen.grid)
        rb = font.row_bytes
        self._full_row = np.packbits(np.ones(font.width, dtype=bool)).tobytes()
        self._own = {*font.bitmaps.values(), bytes(rb * font.height)}
        # rows kept above an N-row cursor -> the glyphs (bitmaps) that start so
        self._tops: dict[int, dict[bytes, list[bytes]]] = {}
        for n in range(1, MAX_CURSOR_ROWS + 1):
            table: dict[bytes, list[bytes]] = {}
            for bits in font.by_bitmap:
                table.setdefault(bits[: (font.height - n) * rb], []).append(bits)
            self._tops[n] = table
        self._memo: dict[tuple[bytes, bool], str | None] = {}
        self.cursor_keys: set[bytes] = set()  # bitmaps that were read as a glyph under a cursor

    def char(self, key: bytes, two_colour: bool, cursor: bool = True) -> str | None:
        """The character of a cell's ink bitmap; with `cursor=False` only as drawn (the
        cheap first look at every distinct bitmap of a frame)."""
        if not cursor:
            return self.font.by_bitmap.get(key)
        memo = self._memo.get((key, two_colour), "")
        if memo != "":
            return memo
        found = self._classify(key, two_colour)
        if len(self._memo) < _MEMO_LIMIT:
            self._memo[(key, two_colour)] = found
        return found

    def _classify(self, key: bytes, two_colour: bool) -> str | None:
        by_bitmap = self.font.by_bitmap
        direct = by_bitmap.get(key)
        complement = by_bitmap.get(bytes(b ^ m for b, m in zip(key, self._row_masks()))) if two_colour else None
        if direct is not None and complement is not None and direct != complement:
            return None  # `▀` on one colour or `▄` on the other: both are on the screen
        if direct is not None or complement is not None:
            return direct or complement
        return self._under_cursor(key)

    def _row_masks(self) -> bytes:
        return self._full_row * self.font.height

    def _under_cursor(self, key: bytes) -> str | None:
        rb, height = self.font.row_bytes, self.font.height
        for n in range(1, MAX_CURSOR_ROWS + 1):
            cut = (height - n) * rb
            top, bottom = key[:cut], key[cut:]
            candidates = self._tops[n].get(top, [])
            if not candidates:
                continue
            full = bottom == self._full_row * n
            fitting = [b for b in candidates if full or bottom == _inverted(b[cut:], self._full_row)]
            # The font's own glyphs first, then other fonts' of its size (their `_` may sit
            # lower than this font's and fit under a cursor where a blank does).
            own = {self.font.by_bitmap[b] for b in fitting if b in self._own}
            fits = own or {self.font.by_bitmap[b] for b in fitting}
            if len(fits) == 1:
                if len(self.cursor_keys) < _MEMO_LIMIT:
                    self.cursor_keys.add(key)
                return fits.pop()
            if fits:
                return None  # the cursor hides what tells them apart
        return None


def _inverted(rows: bytes, full_row: bytes) -> bytes:
    width = len(full_row)
    return bytes(b ^ full_row[i % width] for i, b in enumerate(rows))


def pack_pixels(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 -> (H, W) uint32 colours, so a pixel compares in one operation."""
    height, width, _ = rgb.shape
    padded = np.zeros((height, width, 4), dtype=np.uint8)
    padded[..., :3] = rgb
    return padded.view(np.uint32)[..., 0]


def read_cells(pixels: np.ndarray, grid: Grid, lookup: GlyphLookup, first_look_only: bool = False) -> CellRead:
    """The grid's text; `first_look_only` skips cursors and complements (grid search)."""
    rows, cols = grid.rows, grid.cols
    region, keys = _cell_keys(pixels, grid)
    inked = np.flatnonzero(keys.any(axis=1))
    chars = np.full(rows * cols, " ", dtype="<U1")
    cursor = None
    if inked.size:
        # Screens repeat glyphs: look each distinct bitmap up once.
        distinct, which = np.unique(np.ascontiguousarray(keys[inked]).view(f"V{keys.shape[1]}").ravel(), return_inverse=True)
        which = which.ravel()
        found = [lookup.char(key.tobytes(), two_colour=False, cursor=False) for key in distinct]
        chars[inked] = np.array([REPLACEMENT if c is None else c for c in found], dtype="<U1")[which]
        for j in (j for j, c in enumerate(found) if c is None and not first_look_only):
            for cell in inked[which == j].tolist():  # cells no glyph matched as they are
                key = keys[cell].tobytes()
                chars[cell] = _second_look(region, cell, cols, key, lookup)
                if key in lookup.cursor_keys:  # several cursor-like cells: the last one is the console's
                    cursor = max(cursor or (0, 0), divmod(cell, cols))
    grid_chars = chars.reshape(rows, cols)
    unknown_per_row = np.count_nonzero(grid_chars == REPLACEMENT, axis=1)
    blank_per_row = np.count_nonzero(grid_chars == " ", axis=1)
    # Block elements (a logo's solid cells read as `▄` in some font) are no evidence of text.
    shapes_per_row = np.count_nonzero((grid_chars >= SHAPES[0]) & (grid_chars <= SHAPES[1]), axis=1)
    known_per_row = cols - blank_per_row - unknown_per_row - shapes_per_row
    clean = int(np.count_nonzero((unknown_per_row <= 1) & (known_per_row >= CLEAN_ROW_KNOWN)))
    perfect = int(np.count_nonzero((unknown_per_row == 0) & (known_per_row >= CLEAN_ROW_KNOWN)))
    lines = tuple("".join(row).rstrip(" ") for row in grid_chars.tolist())
    return CellRead(lines, int(known_per_row.sum()), int(unknown_per_row.sum()), clean, cursor, perfect)


def _cell_keys(pixels: np.ndarray, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """The grid's cells as (rows, height, cols, width) pixels and, per cell, its ink bitmap."""
    font = grid.font
    cw, ch, rows, cols = font.width, font.height, grid.rows, grid.cols
    region = pixels[grid.y0 : grid.y0 + rows * ch, grid.x0 : grid.x0 + cols * cw].reshape(rows, ch, cols, cw)
    ink = region != region[:, :1, :, :1]  # against each cell's top-left pixel
    return region, np.packbits(ink, axis=3).transpose(0, 2, 1, 3).reshape(rows * cols, -1)


def row_bitmaps(pixels: np.ndarray, grid: Grid, row: int) -> list[bytes]:
    """The ink bitmaps of one row's cells, packed like the font's glyphs (learning a font)."""
    _, keys = _cell_keys(pixels, grid)
    return [keys[row * grid.cols + col].tobytes() for col in range(grid.cols)]


def _second_look(region: np.ndarray, cell: int, cols: int, key: bytes, lookup: GlyphLookup) -> str:
    """A cell that is not a glyph as drawn: complemented, or under a cursor."""
    pixels = region[cell // cols, :, cell % cols, :]
    two_colour = np.unique(pixels).size == 2
    found = lookup.char(key, two_colour) if two_colour else lookup.char(key, two_colour=False, cursor=True)
    return REPLACEMENT if found is None else found
