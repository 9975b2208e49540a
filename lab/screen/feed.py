"""The `screen` channel's lines: what is new on each frame read, as a stream would say it.

A frame is a whole screen, not a stream: most of its rows were on the previous frame
too, maybe scrolled up. Each frame is aligned with the previous one (the scroll that
keeps the most rows in place) and only the rows that changed are new lines, top to
bottom: a line printed twice on two rows is two lines, a line that merely moved up is
none. The row holding the cursor is the open line (a prompt waiting for input), its text
up to the cursor, blanks included (`rustux$ `); it becomes a line once the cursor leaves.
A cursor the reader cannot place (a lower-half or two-thirds block: it hides more of the
cell than a glyph's last rows) reads as U+FFFD; when the last written row ends in such a
cell, that cell is the cursor: the row is open up to it, as on a stream where a prompt
waits unterminated. A console that draws no cursor has its last written row as the open
line, and as a line too: a prompt there is both, and so is a milestone printed last. That
open line ends in one blank, as a prompt waiting for input does (`rustux$ `; prompts are
never anchored at their end, so a prompt without one still matches).

A screendump races the guest's drawing: a frame may be taken while the console moves its
rows up (QEMU copies the framebuffer while the guest's memmove is half done), blanks them or
draws a glyph. Such a torn frame shows old rows twice or out of place and cells half drawn;
read as a frame it would say old lines again, out of order (a stale `rustux$ echo hello`
taken for a prompt come back). `torn` tells a frame that follows from the last one read, as
a console's output does (the rows above the last one written kept, only scrolled up; the
new rows readable, and none of them left twice in a row as a scroll leaves rows mid-copy or
before it blanks them), from one that may be torn: that one is read only once it holds
still (workers/qemu/screen.py). A redraw (a menu, a cleared screen) is not told from a torn
frame: it too waits to hold still.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rustux_bootlab.lab.screen.unreadable import REPLACEMENT

if TYPE_CHECKING:  # the reader imports numpy; the feed itself is plain text
    from rustux_bootlab.lab.screen.reader import ScreenText


@dataclass(frozen=True)
class ScreenLines:
    lines: tuple[str, ...]  # complete rows new on this frame
    open_line: str  # the cursor's row up to the cursor ('' without a cursor)

    def data(self) -> bytes:
        """As the channel's bytes: the new lines, then the open line unterminated (a redrawn
        channel's line assembler replaces its open line with each frame's)."""
        return "".join(f"{line}\n" for line in self.lines).encode() + self.open_line.encode()


class ScreenFeed:
    def __init__(self) -> None:
        self._rows: tuple[str, ...] = ()  # the previous frame's complete rows (cursor row blanked)
        self._open_row = -1  # its open line's row (-1: none)

    def update(self, text: ScreenText) -> ScreenLines:
        rows, open_row, open_line = _split(text)
        shift = _scroll(self._rows, rows)
        new = [rows[i] for i in _new_rows(self._rows, rows, shift)]
        self._rows, self._open_row = tuple(rows), open_row
        return ScreenLines(tuple(new), open_line)

    def torn(self, text: ScreenText) -> bool:
        """Whether `text` may have been read from a frame taken mid-draw: it does not follow
        from the last frame read (`update`) by a scroll and new rows. The first frame may be."""
        if not self._rows:
            return True
        rows, _, _ = _split(text)
        previous, shift = self._rows, _scroll(self._rows, rows)
        last = max(self._open_row, max((r for r, line in enumerate(previous) if line.strip()), default=-1))
        if any(rows[i] != previous[i + shift] for i in range(max(0, min(len(rows), last - shift)))):
            return True  # a row above the last one written changed or moved apart from the rest
        new = _new_rows(previous, rows, shift)
        if any(REPLACEMENT in rows[i] for i in new):
            return True  # a cell half drawn (or a font the reader lacks: a still frame says which)
        return _doubled(rows, new)


def _split(text: ScreenText) -> tuple[list[str], int, str]:
    """The frame's complete rows (the cursor's row blanked), the open line's row, the open line."""
    rows = list(text.lines)
    if text.cursor is not None and text.cursor[0] < len(rows):
        row, col = text.cursor
        open_line = rows[row].ljust(col)[:col]
        rows[row] = ""
        return rows, row, open_line
    written = [r for r, line in enumerate(rows) if line.strip()]
    if not written:
        return rows, -1, ""
    last = rows[written[-1]]
    if last.endswith(REPLACEMENT):  # a cursor drawn in a way the reader does not know
        rows[written[-1]] = ""
        return rows, written[-1], last[:-1]
    return rows, written[-1], f"{last} "


def _doubled(rows: list[str], new: list[int]) -> bool:
    """Whether a new row repeats, with the rows between, the rows right above it (rows between
    may be blank): what a scroll leaves mid-copy (the rows at the copy's edge twice) or before
    it blanks the rows it copied up. A line printed twice looks the same, and is read once the
    frame holds still."""
    return any(rows[j - d] == rows[j] and all(not rows[i].strip() or rows[i] == rows[i - d] for i in range(j - d + 1, j))
               for j in new for d in range(1, j + 1))


def _new_rows(previous: tuple[str, ...], rows: list[str], shift: int) -> list[int]:
    """The rows of `rows` not on `previous` scrolled up by `shift`, top to bottom."""
    return [i for i, line in enumerate(rows)
            if line.strip() and not (0 <= i + shift < len(previous) and previous[i + shift] == line)]


def _scroll(previous: tuple[str, ...], rows: list[str]) -> int:
    """How many rows the screen scrolled up since `previous` (0 when nothing matches)."""
    if not previous:
        return 0
    best, best_kept = 0, -1
    for shift in range(len(previous)):
        kept = sum(1 for i in range(min(len(rows), len(previous) - shift)) if rows[i].strip() and rows[i] == previous[i + shift])
        if kept > best_kept:
            best, best_kept = shift, kept
    return best
