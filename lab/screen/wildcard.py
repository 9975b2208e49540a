"""Matching a regex against a screen line with unreadable cells, each standing for one character.

A cell no known font explains reads as U+FFFD; a milestone's regex crossing it can then
never match, though the screen shows the line. Here each such cell may stand for one
character: the characters the regex names (its literal text) and one of each class (`a`,
`A`, `0`, ` `, `_`) are tried in each cell, at most `MAX_TRIES` fillings. A match counts
only if it uses at most `MAX_CELLS` unreadable cells and they are at most a quarter of the
matched text: the rest was read exactly. The caller says so wherever it reports the match
(`WildMatch.describe`); a line the regex matches as read never comes here.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from rustux_bootlab.lab.screen.unreadable import REPLACEMENT

MAX_CELLS = 3
MAX_TRIES = 4096
REPRESENTATIVES = "aA0 _"


@dataclass(frozen=True)
class WildMatch:
    line: str  # as read
    filled: str  # with the unreadable cells filled so that the regex matches
    cells: tuple[int, ...]  # columns of the unreadable cells the match used

    def describe(self) -> str:
        taken = ", ".join(f"column {c + 1} as {self.filled[c]!r}" for c in self.cells)
        return f"matched {self.line.strip()!r} with {len(self.cells)} unreadable cell{'s' if len(self.cells) > 1 else ''} ({taken})"


def wild_search(regex: re.Pattern[str], line: str) -> WildMatch | None:
    columns = [i for i, c in enumerate(line) if c == REPLACEMENT]
    if not columns or len(columns) > MAX_CELLS:
        return None
    candidates = "".join(dict.fromkeys(c for c in regex.pattern + REPRESENTATIVES if c.isprintable() and c != REPLACEMENT))
    chars = list(line)
    for filling in itertools.islice(itertools.product(candidates, repeat=len(columns)), MAX_TRIES):
        for column, char in zip(columns, filling):
            chars[column] = char
        filled = "".join(chars)
        m = regex.search(filled)
        if m is None:
            continue
        used = tuple(c for c in columns if m.start() <= c < m.end())
        if used and 4 * len(used) <= max(m.end() - m.start(), 1):
            return WildMatch(line, filled, used)
    return None
