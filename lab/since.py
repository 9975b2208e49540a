"""What each console printed since the last milestone: the evidence that a kernel went on.

A milestone that does not come while the kernel goes on printing is a changed (or dropped)
line, not a hang: the most common regression is `Hello` turned into `Hallo`. The matcher
hands every block of complete lines here; at a timeout it asks which line came where the
milestone was expected (the one most like its regex's text, else the first) and what the
kernel printed last. Bounded: the first FIRST_LINES lines after the milestone and the
latest one per channel, blank lines skipped.
"""
from __future__ import annotations

import re
from difflib import SequenceMatcher

FIRST_LINES = 32
QUOTE_MAX = 80
_SIMILAR = 0.5  # below this no line is taken for a changed version of the milestone's
_REGEX_SYNTAX = re.compile(r"\(\?P<\w+>|\(\?:|\\[AbBdDsSwWzZ]|[\^$()]|\\(?=.)")


class SinceMilestone:
    def __init__(self) -> None:
        self._first: dict[str, list[str]] = {}
        self._latest: dict[str, str] = {}

    def reset(self) -> None:
        """A milestone was reached: count from here."""
        self._first.clear()
        self._latest.clear()

    def block(self, channel: str, text: str) -> None:
        """Complete lines (`\\n`-terminated) that came on `channel` after the last milestone."""
        first = self._first.setdefault(channel, [])
        if len(first) < FIRST_LINES:
            first += [line.strip() for line in text.split("\n") if line.strip()][: FIRST_LINES - len(first)]
        end = len(text)
        while end and text[end - 1].isspace():  # no copy of the block: it can be large
            end -= 1
        latest = text[text.rfind("\n", 0, end) + 1 : end].strip()
        if latest:
            self._latest[channel] = latest
        elif first:
            self._latest.setdefault(channel, first[-1])

    def went_on(self, channels: frozenset[str] | set[str]) -> str | None:
        """The first of `channels` (in the order given to `block`) that printed since the milestone."""
        return next((c for c in self._first if c in channels and self._first[c]), None)

    def printed_instead(self, channel: str, pattern: str) -> str:
        """The line that came where a milestone with `pattern` was expected."""
        lines = self._first[channel]
        wanted = _REGEX_SYNTAX.sub("", pattern)
        best = max(lines, key=lambda line: SequenceMatcher(None, line, wanted).ratio())
        if SequenceMatcher(None, best, wanted).ratio() < _SIMILAR:
            best = lines[0]
        return quote(best)

    def latest(self, channel: str) -> str:
        return quote(self._latest[channel])


def quote(line: str) -> str:
    return line if len(line) <= QUOTE_MAX else line[: QUOTE_MAX - 3] + "..."
