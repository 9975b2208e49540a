"""Finding the cell grid of a frame: which font, cell size and origin.

Consoles put their grid in a few places: the top-left corner (a kernel's framebuffer
console), or centred on the frame (EDK2 centres its text mode, e.g. 100x31 cells of
8x19 in a 1280x800 frame start at (240,105)). Those origins are tried first, as grids
that reach the frame's edges (cells outside the console's area are blank). Failing
them, a search: the vertical origin is where the font's never-inked glyph rows (row 15
of the VGA 8x16 glyphs, rows 0 and 18 of EDK2's) fall on the flattest pixel rows; for the
best two of those, every horizontal origin is tried on three bands of text rows (top,
middle and bottom of what is drawn; only for the lab's own fonts and a spec's: Linux's
consoles start at (0,0)). A grid counts only if it reads a clean row: at least
three glyphs and at most one unknown cell, a cursor (a wrong grid splits glyphs and
reads no row cleanly).
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np

from rustux_bootlab.lab.screen.cells import CellRead, GlyphLookup, Grid, read_cells
from rustux_bootlab.lab.screen.font import Font

MIN_KNOWN = 4  # fewer glyphs than this on a frame is no evidence of a grid
BAND_ROWS = 3
Y_CANDIDATES = 2
EDK2_MODES = ((80, 25), (100, 31), (128, 40), (160, 42), (240, 56))
EDK2_FONTS = {"ovmf"}  # fonts whose consoles use EDK2's centred text modes


def score(read: CellRead) -> int:
    return read.known - 4 * read.unknown


def good_enough(read: CellRead) -> bool:
    return read.known >= MIN_KNOWN and read.clean_rows >= 1


def full_grid(font: Font, x0: int, y0: int, height: int, width: int) -> Grid:
    return Grid(font, x0, y0, (width - x0) // font.width, (height - y0) // font.height)


def likely_grids(font: Font, height: int, width: int) -> list[Grid]:
    """Grids reach the frame's edges: only the origin modulo the cell size matters (a
    text mode's extent is where its ink is)."""
    modes = [(width // font.width, height // font.height), *EDK2_MODES]
    origins = [(0, 0)] + [((width - cols * font.width) // 2, (height - rows * font.height) // 2) for cols, rows in modes
                          if cols * font.width <= width and rows * font.height <= height]
    aligned = dict.fromkeys((x % font.width, y % font.height) for x, y in origins)
    return [full_grid(font, x0, y0, height, width) for x0, y0 in aligned]


def detect_grid(pixels: np.ndarray, lookups: Sequence[GlyphLookup]) -> tuple[Grid, CellRead] | None:
    """The grid that reads best, with its full reading; None when no grid reads cleanly."""
    height, width = pixels.shape
    drawn = np.flatnonzero(np.count_nonzero(pixels[:, 1:] != pixels[:, :-1], axis=1))
    if drawn.size == 0:
        return None
    best: tuple[int, Grid, GlyphLookup] | None = None
    for lookup in lookups:
        perfect = False
        for grid in likely_grids(lookup.font, height, width):
            read = read_cells(pixels, _inked_rows(grid, int(drawn[0]), int(drawn[-1])), lookup, first_look_only=True)
            if good_enough(read) and (best is None or score(read) > best[0]):
                best = (score(read), grid, lookup)
            perfect = read.unknown == 0 and read.known >= MIN_KNOWN
            if perfect:
                break  # every inked cell a glyph: this is the grid (no other font's cells fit so)
        if perfect:
            break
    if best is None:
        best = _search(pixels, [lk for lk in lookups if lk.searched])
    if best is None:
        return None
    _, grid, lookup = best
    read = read_cells(pixels, grid, lookup)
    if not good_enough(read):
        return None
    box = _edk2_box(grid, read, height, width)
    return (box, read_cells(pixels, box, lookup)) if box is not None else (grid, read)


def _inked_rows(grid: Grid, top: int, bottom: int) -> Grid:
    """`grid` cut to the text rows between pixel rows `top` and `bottom` (the first look
    reads only where something is drawn: most of a boot's screens are mostly blank)."""
    h = grid.font.height
    first = max(0, (top - grid.y0) // h)
    last = min(grid.rows - 1, max(first, (bottom - grid.y0) // h))
    return Grid(grid.font, grid.x0, grid.y0 + first * h, grid.cols, last - first + 1)


def _edk2_box(grid: Grid, read: CellRead, height: int, width: int) -> Grid | None:
    """EDK2 draws its text mode centred: the largest of its modes on this grid that holds
    all the text is the console, so its first column reads as column 0 (`^Shell>`)."""
    f = grid.font
    if not EDK2_FONTS & {f.name, *f.merged}:  # a learned or spec's font may lead EDK2's size
        return None
    used = [(r, len(line) - len(line.lstrip(" ")), len(line)) for r, line in enumerate(read.lines) if line.strip(" ")]
    for cols, rows in sorted(EDK2_MODES, reverse=True):
        x0, y0 = (width - cols * f.width) // 2, (height - rows * f.height) // 2
        if x0 < 0 or y0 < 0 or (x0 - grid.x0) % f.width or (y0 - grid.y0) % f.height:
            continue
        col0, row0 = (x0 - grid.x0) // f.width, (y0 - grid.y0) // f.height
        if all(row0 <= r < row0 + rows and col0 <= first and last <= col0 + cols for r, first, last in used):
            return Grid(f, x0, y0, cols, rows)
    return None


def _search(pixels: np.ndarray, lookups: Sequence[GlyphLookup]) -> tuple[int, Grid, GlyphLookup] | None:
    height, width = pixels.shape
    changes = np.count_nonzero(pixels[:, 1:] != pixels[:, :-1], axis=1)  # per pixel row
    drawn = np.flatnonzero(changes)
    if drawn.size == 0:
        return None
    best: tuple[int, Grid, GlyphLookup] | None = None
    for lookup in lookups:
        f = lookup.font
        span = BAND_ROWS * f.height
        starts = sorted({int(drawn[0]), int(drawn[drawn.size // 2]), max(int(drawn[-1]) - span, 0)})
        for y0 in _flattest_origins(changes, f):
            for x0 in range(f.width):
                total, clean = 0, 0
                for start in starts:
                    first = start - (start - y0) % f.height  # the cell row holding `start`
                    rows = min(BAND_ROWS, (height - first) // f.height)
                    if first >= 0 and rows > 0:
                        read = read_cells(pixels, Grid(f, x0, first, (width - x0) // f.width, rows), lookup, first_look_only=True)
                        total, clean = total + score(read), clean + read.clean_rows
                if clean and (best is None or total > best[0]):
                    best = (total, full_grid(f, x0, y0, height, width), lookup)
    return best


def _flattest_origins(changes: np.ndarray, font: Font) -> list[int]:
    never = _never_inked_rows(font)
    if not never:
        return list(range(font.height))
    cost = []
    for y0 in range(font.height):
        rows = [y for r in never for y in range(y0 + r, changes.size, font.height)]
        cost.append((int(changes[rows].sum()), y0))
    return [y0 for _, y0 in sorted(cost)[:Y_CANDIDATES]]


@cache
def _rows_cache(name: str, height: int, envelope: bytes) -> tuple[int, ...]:
    rows = np.frombuffer(envelope, dtype=bool).reshape(height, -1)
    return tuple(r for r in range(height) if not rows[r].any())


def _never_inked_rows(font: Font) -> tuple[int, ...]:
    envelope = np.zeros((font.height, font.width), dtype=bool)
    for char in font.bitmaps:
        envelope |= font.mask(char)
    return _rows_cache(font.name, font.height, envelope.tobytes())
