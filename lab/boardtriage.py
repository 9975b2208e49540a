"""Board triage: when an image FAILs on a board, the last image that passed on that board boots
on it again (the baseline), and the failing image boots on a free sibling board (same `kind:`
in the inventory). Their outcomes decide whether the FAIL stands.

 #  the baseline on the board          the image on a sibling    verdict
 1  FAIL, or ERROR/board|firmware      any                       ERROR/board: the board cannot boot
                                                                 an image it passed before either
 2  PASS                               any                       FAIL/code kept: the board boots a
                                                                 known-good image, not this one
 3  none or not conclusive             PASS                      ERROR/board: the image boots on a
                                                                 board of the same kind
 4  none or not conclusive             FAIL                      FAIL/code kept: it fails on two boards
 5  anything else (no sibling free, ERROR/lab, MISS)             inconclusive: FAIL/code kept
Only FAIL is triaged (lab/triage.py `wants_triage`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rustux_bootlab.lab.contract import BASELINE_DIR, SIBLING_DIR
from rustux_bootlab.lab.triage import Triage
from rustux_bootlab.lab.verdict import Culprit, Outcome, Verdict


@dataclass(frozen=True)
class Tried:
    """One triage boot: where, what, and its outcome."""

    board: str
    image: dict[str, Any]
    outcome: Outcome
    record: str  # its record directory, inside the image's

    def to_dict(self) -> dict[str, Any]:
        return {"board": self.board, "image": self.image, **self.outcome.to_dict(), "record": self.record}


def _board_fault(outcome: Outcome) -> bool:
    return outcome.verdict is Verdict.FAIL or (outcome.verdict is Verdict.ERROR
                                              and outcome.culprit in (Culprit.BOARD, Culprit.FIRMWARE))


def board_triage(board: str, image: Outcome, baseline: Tried | None, sibling: Tried | None) -> Triage:
    summary: dict[str, Any] = {"baseline": None if baseline is None else baseline.to_dict(),
                               "sibling": None if sibling is None else sibling.to_dict()}

    def error(rule: str, reason: str) -> Triage:
        summary["rule"] = rule
        summary["image_outcome"] = image.to_dict()
        return Triage(Outcome(Verdict.ERROR, Culprit.BOARD, reason, image.last_milestone), summary)

    if baseline is not None and _board_fault(baseline.outcome):
        return error("the last image that passed on this board failed on it too: the board is at fault (ERROR/board)",
                     f"board {board} broken: the last image that passed on it also failed: {baseline.outcome.summary()}")
    if baseline is not None and baseline.outcome.verdict is Verdict.PASS:
        summary["rule"] = "the last image that passed on this board passed again: the new image is at fault (FAIL/code kept)"
        return Triage(image, summary)
    if sibling is not None and sibling.outcome.verdict is Verdict.PASS:
        return error(f"the image passed on sibling board {sibling.board}: this board is at fault (ERROR/board)",
                     f"board {board} broken: the same image passed on sibling board {sibling.board}")
    if sibling is not None and sibling.outcome.verdict is Verdict.FAIL:
        summary["rule"] = f"the image failed on sibling board {sibling.board} too: FAIL/code kept"
        return Triage(image, summary)
    summary["rule"] = "no conclusive baseline or sibling boot: FAIL/code kept"
    return Triage(image, summary)


__all__ = ["BASELINE_DIR", "SIBLING_DIR", "Tried", "board_triage"]
