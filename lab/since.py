"""What each console printed since the last milestone: the evidence that a kernel went on.

A milestone that does not come while the kernel goes on printing is a changed (or dropped)
line, not a hang: the most common regression is `Hello` turned into `Hallo`. The matcher
hands every block of complete lines here; at a timeout it asks which line came where the
milestone was expected (`similar`: one like its regex's text), and what the kernel printed
last and when. Bounded: the first FIRST_LINES lines after the milestone and the latest one
per channel, blank lines skipped.
"""
from __future__ import annotations

import re
from difflib import SequenceMatcher

FIRST_LINES = 32
QUOTE_MAX = 80
# Below this no line is taken for a changed version of the milestone's: `Hallo from
# userspace!` is 0.95 like `^Hello from userspace!$`, the no-preempt self-test's lines
# (`[rc] initrd listing:`, `[burn B] 3/3`) at most 0.4 like the line they never reached.
_SIMILAR = 0.6
_REGEX_SYNTAX = re.compile(r"\(\?P<\w+>|\(\?:|\\[AbBdDsSwWzZ]|[\^$()]|\\(?=.)")


class SinceMilestone:
    def __init__(self) -> None:
        self._first: dict[str, list[str]] = {}
        self._latest: dict[str, tuple[str, float]] = {}

    def reset(self) -> None:
        """A milestone was reached: count from here."""
        self._first.clear()
        self._latest.clear()

    def block(self, channel: str, text: str, t: float) -> None:
        """Complete lines (`\\n`-terminated) that came on `channel` at `t`, after the last milestone."""
        first = self._first.setdefault(channel, [])
        if len(first) < FIRST_LINES:
            first += [line.strip() for line in text.split("\n") if line.strip()][: FIRST_LINES - len(first)]
        end = len(text)
        while end and text[end - 1].isspace():  # no copy of the block: it can be large
            end -= 1
        latest = text[text.rfind("\n", 0, end) + 1 : end].strip()
        if latest:
            self._latest[channel] = (latest, t)

    def went_on(self, channels: frozenset[str] | set[str]) -> str | None:
        """The first of `channels` (in the order given to `block`) that printed since the milestone."""
        return next((c for c in self._first if c in channels and self._first[c]), None)

    def similar(self, channel: str, pattern: str) -> str | None:
        """The line most like the text of a milestone's `pattern`, if one is like it."""
        wanted = _REGEX_SYNTAX.sub("", pattern)
        scored = [(SequenceMatcher(None, line, wanted).ratio(), line) for line in self._first[channel]]
        ratio, best = max(scored, key=lambda pair: pair[0])
        return quote(best) if ratio >= _SIMILAR else None

    def first(self, channel: str) -> str:
        return quote(self._first[channel][0])

    def latest(self, channel: str) -> tuple[str, float]:
        """The last line and when it came."""
        line, t = self._latest[channel]
        return quote(line), t


def quote(line: str) -> str:
    return line if len(line) <= QUOTE_MAX else line[: QUOTE_MAX - 3] + "..."
