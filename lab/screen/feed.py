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

    def update(self, text: ScreenText) -> ScreenLines:
        rows = list(text.lines)
        open_line = ""
        if text.cursor is not None and text.cursor[0] < len(rows):
            row, col = text.cursor
            open_line = rows[row].ljust(col)[:col]
            rows[row] = ""
        else:
            written = [r for r, line in enumerate(rows) if line.strip()]
            last = rows[written[-1]] if written else ""
            if last.endswith(REPLACEMENT):  # a cursor drawn in a way the reader does not know
                open_line = last[:-1]
                rows[written[-1]] = ""
            else:
                open_line = f"{last} " if last else ""
        shift = _scroll(self._rows, rows)
        previous = self._rows
        new = [line for i, line in enumerate(rows)
               if line.strip() and not (0 <= i + shift < len(previous) and previous[i + shift] == line)]
        self._rows = tuple(rows)
        return ScreenLines(tuple(new), open_line)


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
