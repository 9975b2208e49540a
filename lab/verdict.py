"""Verdicts, culprits and the outcome of one boot (the taxonomy of docs/design.md)."""
from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Iterable
from enum import Enum

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_USAGE = 2
EXIT_ERROR = 3
EXIT_MISS = 4


class Verdict(str, Enum):
    """PASS; FAIL: the kernel under test is at fault; ERROR: infrastructure is at fault;
    MISS: the boot could not be attempted."""

    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"
    MISS = "MISS"

    @property
    def exit_code(self) -> int:
        return _EXIT_CODES[self]


_EXIT_CODES = {
    Verdict.PASS: EXIT_PASS,
    Verdict.FAIL: EXIT_FAIL,
    Verdict.ERROR: EXIT_ERROR,
    Verdict.MISS: EXIT_MISS,
}


class Culprit(str, Enum):
    CODE = "code"
    FIRMWARE = "firmware"
    HOST = "host"
    BOARD = "board"
    LAB = "lab"


# Culprits whose ERROR a second attempt can clear: the lab's own plumbing (a port taken,
# a worker disk full). Firmware, host and board faults need a person, so retrying them
# would only repeat the same ERROR.
RETRYABLE_CULPRITS = frozenset({Culprit.LAB})


@dataclass(frozen=True)
class Outcome:
    """What a boot came to. `reason` is one line a developer can act on."""

    verdict: Verdict
    culprit: Culprit | None
    reason: str
    last_milestone: str | None

    def __post_init__(self) -> None:
        if self.verdict is Verdict.FAIL and self.culprit is not Culprit.CODE:
            raise ValueError("a FAIL always blames the code under test; use ERROR for anything else")
        if self.verdict is Verdict.PASS and self.culprit is not None:
            raise ValueError("a PASS has no culprit")

    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code

    def summary(self) -> str:
        """`FAIL (code): page fault at 0x401000 after user-entry` style one-liner."""
        head = self.verdict.value if self.culprit is None else f"{self.verdict.value} ({self.culprit.value})"
        return f"{head}: {self.reason}" if self.reason else head

    def to_dict(self) -> dict[str, str | None]:
        return {
            "verdict": self.verdict.value,
            "culprit": self.culprit.value if self.culprit else None,
            "reason": self.reason,
            "last_milestone": self.last_milestone,
        }


# For a set of boots (a try, a fan-out): a FAIL anywhere says the patch is broken whatever
# else happened; an ERROR says some target could not judge it; MISS only that one was skipped.
_SEVERITY = (Verdict.PASS, Verdict.MISS, Verdict.ERROR, Verdict.FAIL)


def worst(verdicts: Iterable[Verdict]) -> Verdict | None:
    """The verdict that speaks for all of them (None for none)."""
    return max(verdicts, key=_SEVERITY.index, default=None)
