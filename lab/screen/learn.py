"""Learning glyphs from a screen whose text is known: the cells the lab could not read.

The operator gives lines the screen shows, each with its row. The screen is read with
every font the lab knows; on those rows each cell whose reading differs from the given
character (unreadable, or read as another character) is a glyph to learn: its ink bitmap
for that character. Learning is refused, nothing kept, when it is inconsistent: a
character seen as two different bitmaps, a bitmap given as two characters (in this
screen or against the font learned so far), or a row whose readable cells mostly disagree
with its text (the wrong row, or the wrong grid).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rustux_bootlab.lab.screen.cells import Grid, pack_pixels, row_bitmaps
from rustux_bootlab.lab.screen.font import Font
from rustux_bootlab.lab.screen.unreadable import REPLACEMENT

MIN_AGREEING = 0.5  # of a row's cells the lab read, read as given: else the row is not that text


class LearnError(Exception):
    """The screen and the text disagree; the message says where and what to check."""


@dataclass(frozen=True)
class Learned:
    char: str
    bitmap: bytes
    was: str  # what the lab read there: REPLACEMENT, or another character
    where: tuple[int, int]  # (row, column), 0-based


def learn(rgb: np.ndarray, grid: Grid, read: tuple[str, ...], known: dict[int, str], font: Font | None) -> list[Learned]:
    """The glyphs to learn from rows `known` (row -> its text) of a frame (`rgb`, as the
    reader takes it) read as `read` on `grid`; `font`: what was learned before (its glyphs
    must agree). Raises LearnError."""
    pixels = pack_pixels(rgb)
    learned: dict[str, Learned] = {}
    owner: dict[bytes, str] = dict(font.by_bitmap) if font is not None else {}
    for row, text in sorted(known.items()):
        if not 0 <= row < grid.rows:
            raise LearnError(f"row {row} is not on the screen: its text grid has rows 0 to {grid.rows - 1}")
        if len(text) > grid.cols:
            raise LearnError(f"row {row}'s text has {len(text)} characters, the screen's rows {grid.cols}")
        line = read[row] if row < len(read) else ""
        given = [(col, c) for col, c in enumerate(text) if c != " "]
        # The cells the lab did read must mostly agree (a row of glyphs all unknown may not).
        readable = [(col, c) for col, c in given if col < len(line) and line[col] not in (REPLACEMENT, " ")]
        agreeing = sum(1 for col, c in readable if line[col] == c)
        if readable and agreeing < MIN_AGREEING * len(readable):
            raise LearnError(f"row {row} reads {line.strip()!r}, not {text.strip()!r}: give the row the text is on")
        bitmaps = row_bitmaps(pixels, grid, row)
        for col, char in given:
            was = line[col] if col < len(line) else " "
            if was == char:
                continue
            bits = bitmaps[col]
            if not any(bits):
                raise LearnError(f"row {row} column {col}: the screen shows nothing where the text has {char!r}")
            before = learned.get(char)
            if before is not None and before.bitmap != bits:
                raise LearnError(f"{char!r} is drawn two ways: row {before.where[0]} column {before.where[1]} and "
                                 f"row {row} column {col} (check both lines' text)")
            if owner.get(bits, char) != char:
                raise LearnError(f"row {row} column {col}: this glyph was learned as {owner[bits]!r}, the text says {char!r}")
            if font is not None and char in font.bitmaps and font.bitmaps[char] != bits:
                raise LearnError(f"{char!r} was learned before as another glyph; row {row} column {col} draws it differently")
            owner[bits] = char
            learned.setdefault(char, Learned(char, bits, was, (row, col)))
    return list(learned.values())


def with_learned(font: Font | None, name: str, grid: Grid, learned: list[Learned]) -> Font:
    """`font` (or a new one of the grid's cell size) with the learned glyphs added."""
    bitmaps = dict(font.bitmaps) if font is not None else {}
    bitmaps.update({g.char: g.bitmap for g in learned})
    return Font(font.name if font is not None else name, grid.font.width, grid.font.height, bitmaps)


def shown(glyph: Learned, width: int, height: int) -> list[str]:
    """The glyph as '#'/'.' rows, for the operator."""
    rows = np.unpackbits(np.frombuffer(glyph.bitmap, dtype=np.uint8).reshape(height, -1), axis=1)[:, :width]
    return ["".join("#" if b else "." for b in row) for row in rows]


__all__ = ["REPLACEMENT", "LearnError", "Learned", "learn", "shown", "with_learned"]
