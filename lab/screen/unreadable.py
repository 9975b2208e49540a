"""What the screen reader could not read: cells no known font explains (U+FFFD).

Plain text, no numpy: lab.judge names them in a verdict (its row 12a: a screen milestone
that timed out while the screen held unreadable cells is no evidence against the kernel).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

REPLACEMENT = "\ufffd"
SHOWN_LINES = 3  # lines quoted in a reason
TEXT_KNOWN = 3


@dataclass(frozen=True)
class Unreadable:
    cells: int
    rows: tuple[int, ...]  # screen rows (0 = top) holding them
    lines: tuple[str, ...]  # those rows as read
    shot: str | None = None  # the record's screenshot of that frame

    def describe(self) -> str:
        shown = "; ".join(repr(line.strip()) for line in self.lines[:SHOWN_LINES])
        more = f" and {len(self.lines) - SHOWN_LINES} more" if len(self.lines) > SHOWN_LINES else ""
        where = ", ".join(str(r + 1) for r in self.rows)
        shot = f" (see {self.shot})" if self.shot else ""
        cells = f"{self.cells} screen cell{'s' if self.cells > 1 else ''}"
        return f"{cells} on line{'s' if len(self.rows) > 1 else ''} {where}: {shown}{more}{shot}"


def unreadable(lines: Sequence[str], shot: str | None = None) -> Unreadable | None:
    """The unreadable cells of the frame's text lines (`lines`: its rows as read), None if
    none: a row counts when it reads at least `TEXT_KNOWN` letters or digits and twice as
    many characters as it has unreadable cells. A picture (a logo) is all unreadable cells: no text was lost
    there, and a kernel that hung under its logo is not the lab's to excuse."""
    rows = tuple(r for r, line in enumerate(lines) if REPLACEMENT in line and _text(line))
    if not rows:
        return None
    return Unreadable(sum(lines[r].count(REPLACEMENT) for r in rows), rows, tuple(lines[r] for r in rows), shot)


def _text(line: str) -> bool:
    unknown = line.count(REPLACEMENT)
    known = len(line) - line.count(" ") - unknown
    words = sum(1 for c in line if c.isalnum())  # a logo misread in some font is strokes and blocks
    return words >= TEXT_KNOWN and known >= 2 * unknown
