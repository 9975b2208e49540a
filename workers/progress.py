"""Boot progress for people (live ticks on a terminal) and for machines (stderr lines).

The machine format is the interface the Buildbot boot step parses, one event a line:
    bootlab: milestone <i>/<n> <name> <t>s
    bootlab: verdict <VERDICT> <culprit|-> <reason>
plus free-form `bootlab: <event>` lines it may show but does not parse.
"""
from __future__ import annotations

from typing import TextIO

from lab.matcher import MilestoneHit
from lab.verdict import Outcome


class MachineProgress:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def event(self, text: str) -> None:
        self._line(f"bootlab: {text}")

    def milestone(self, index: int, total: int, hit: MilestoneHit) -> None:
        self._line(f"bootlab: milestone {index}/{total} {hit.name} {hit.t:.2f}s")

    def verdict(self, outcome: Outcome) -> None:
        culprit = outcome.culprit.value if outcome.culprit else "-"
        self._line(f"bootlab: verdict {outcome.verdict.value} {culprit} {outcome.reason}")

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()


class TerminalProgress(MachineProgress):
    """Ticks a developer can watch: one line per milestone with its time and line."""

    def event(self, text: str) -> None:
        self._line(f"  .. {text}")

    def milestone(self, index: int, total: int, hit: MilestoneHit) -> None:
        line = hit.line.strip()
        line = line if len(line) <= 60 else line[:57] + "..."
        self._line(f"  ok {index:>2}/{total} {hit.name:<20} {hit.t:7.2f}s  {line}")

    def verdict(self, outcome: Outcome) -> None:
        self._line(outcome.summary())
