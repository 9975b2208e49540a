"""Env-vs-code triage: when an image FAILs, the last known-good image boots on the same target,
and its outcome decides whether the FAIL stands.

 #  the baseline's outcome                         verdict
 1  PASS                                           FAIL/code kept: only the new image fails here
 2  FAIL, or ERROR/firmware or ERROR/host          ERROR/host (ERROR/<its culprit>): the target
                                                   cannot boot a known-good image either, so the
                                                   failure says nothing about the new code
 3  anything else (ERROR/lab: a broken baseline    inconclusive: FAIL/code kept
    image, an interrupted run; MISS)
Only FAIL is triaged: ERROR already blames the infrastructure and PASS needs nothing; nor is a
FAIL of an image that never booted (lab.outcomes row 6). A baseline that never booted is the
lab's own known-good image broken: ERROR/lab, row 3.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rustux_bootlab.lab.outcomes import never_booted
from rustux_bootlab.lab.verdict import Culprit, Outcome, Verdict

from rustux_bootlab.lab.contract import BASELINE_DIR  # the baseline's own record, inside the image's

__all__ = ["BASELINE_DIR", "Triage", "triage", "wants_triage"]


@dataclass(frozen=True)
class Triage:
    outcome: Outcome  # the image's outcome after triage
    summary: dict[str, Any]  # result.json's `triage`


def wants_triage(outcome: Outcome) -> bool:
    return outcome.verdict is Verdict.FAIL and not never_booted(outcome)


def triage(target: str, image: Outcome, baseline: Outcome, baseline_image: dict[str, Any]) -> Triage:
    if never_booted(baseline):
        baseline = Outcome(Verdict.ERROR, Culprit.LAB, f"the lab's known-good image is broken: {baseline.reason}", None)
    summary: dict[str, Any] = {"baseline": {
        "image": baseline_image,
        **baseline.to_dict(),
        "record": BASELINE_DIR,
    }}
    if baseline.verdict is Verdict.PASS:
        summary["rule"] = "baseline passed on the same target: the new image is at fault (FAIL/code kept)"
        return Triage(image, summary)
    if baseline.verdict is Verdict.FAIL or baseline.culprit in (Culprit.FIRMWARE, Culprit.HOST):
        culprit = Culprit.HOST if baseline.verdict is Verdict.FAIL else baseline.culprit
        assert culprit is not None
        summary["rule"] = f"baseline failed on the same target too: the target is at fault (ERROR/{culprit.value})"
        summary["image_outcome"] = image.to_dict()
        reason = f"target {target} broken: baseline also failed: {baseline.summary()}"
        return Triage(Outcome(Verdict.ERROR, culprit, reason, image.last_milestone), summary)
    summary["rule"] = f"baseline not conclusive ({baseline.summary()}): FAIL/code kept"
    return Triage(image, summary)
