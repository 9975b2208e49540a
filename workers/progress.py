"""Boot progress for people (live ticks on a terminal) and for machines (stderr lines).

The machine lines are the interface the Buildbot boot step parses; their format lives in
lab/record.py, with the parser.
"""
from __future__ import annotations

from typing import Protocol, TextIO

from rustux_bootlab.lab.conversation import StepHit
from rustux_bootlab.lab.matcher import MilestoneHit
from rustux_bootlab.lab.record import event_line, milestone_line, verdict_line
from rustux_bootlab.lab.verdict import Outcome


class Lines(Protocol):
    """Where progress lines go: a text stream (stderr, or a raw terminal's)."""

    def write(self, text: str, /) -> object: ...

    def flush(self) -> object: ...


class MachineProgress:
    def __init__(self, stream: Lines) -> None:
        self.stream = stream

    def event(self, text: str) -> None:
        self._line(event_line(text))

    def milestone(self, index: int, total: int, hit: MilestoneHit | StepHit) -> None:
        self._line(milestone_line(index, total, hit))

    def verdict(self, outcome: Outcome) -> None:
        self._line(verdict_line(outcome))

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()


class TerminalProgress(MachineProgress):
    """Ticks a developer can watch: one line per milestone with its time and line."""

    def event(self, text: str) -> None:
        self._line(f"  .. {text}")

    def milestone(self, index: int, total: int, hit: MilestoneHit | StepHit) -> None:
        line = hit.line.strip()
        line = line if len(line) <= 60 else line[:57] + "..."
        self._line(f"  ok {index:>2}/{total} {hit.name:<20} {hit.t:7.2f}s  {line}")

    def verdict(self, outcome: Outcome) -> None:
        self._line(outcome.summary())


def progress_for(stream: TextIO, as_json: bool) -> MachineProgress:
    """Ticks for a person at a terminal; machine lines under `--json` or when piped."""
    return TerminalProgress(stream) if stream.isatty() and not as_json else MachineProgress(stream)
