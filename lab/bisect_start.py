"""When a target's boot starts a bisection by itself: a push turned it from PASS to FAIL/code.

Per target the master keeps the last *judged* boot of the branch (PASS or FAIL: an ERROR or a
MISS says nothing about the code) and the revision of its last PASS. Rules for a finished
boot, first match wins (one test each in tests/unit/test_bisect_start.py):

 #  the boot                                       bisect?  the target's history
 1  of a patched build (buildbot try)              no       unchanged: not on the branch
 2  without a revision                             no       unchanged
 3  ERROR or MISS                                  no       unchanged: a lab fault is never a regression
 4  PASS                                           no       last PASS = this revision
 5  FAIL, no earlier judged boot on the target     no       last judged FAIL ("nothing passed here before")
 6  FAIL after a FAIL                              no       unchanged ("already failing: bisected then")
 7  FAIL of the revision that passed last          no       last judged FAIL ("the same commit passed: flaky")
 8  FAIL after a PASS                              yes      good = the last PASS, bad = this revision
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from rustux_bootlab.lab.verdict import Culprit, Verdict


@dataclass(frozen=True)
class TargetHistory:
    last_verdict: str | None = None  # PASS or FAIL
    last_revision: str | None = None
    last_pass: str | None = None  # revision

    def to_dict(self) -> dict[str, Any]:
        return {"last_verdict": self.last_verdict, "last_revision": self.last_revision, "last_pass": self.last_pass}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TargetHistory:
        return cls(data.get("last_verdict"), data.get("last_revision"), data.get("last_pass"))


@dataclass(frozen=True)
class StartDecision:
    start: bool
    why: str
    history: TargetHistory
    good: str | None = None
    bad: str | None = None


def decide_start(history: TargetHistory, verdict: Verdict, culprit: Culprit | None, revision: str | None,
                 patched: bool) -> StartDecision:
    h = history
    if patched:
        return StartDecision(False, "a patched build (try) is not on the branch: no bisection", h)
    if not revision:
        return StartDecision(False, "the build has no revision to bisect to", h)
    if verdict in (Verdict.ERROR, Verdict.MISS) or (verdict is Verdict.FAIL and culprit is not Culprit.CODE):
        return StartDecision(False, f"{verdict.value} is not the code's failure: no bisection", h)
    if verdict is Verdict.PASS:
        return StartDecision(False, "PASS", TargetHistory("PASS", revision, revision))
    failed = replace(h, last_verdict="FAIL", last_revision=revision)
    if h.last_verdict is None or h.last_pass is None:
        return StartDecision(False, "no earlier PASS on this target to bisect from", failed)
    if h.last_verdict == "FAIL":
        return StartDecision(False, f"already failing here since {h.last_revision[:12] if h.last_revision else '?'}: bisected then", h)
    if h.last_pass == revision:
        return StartDecision(False, f"{revision[:12]} passed here before: flaky, not a regression", failed)
    return StartDecision(True, f"PASS at {h.last_pass[:12]}, FAIL (code) at {revision[:12]}: bisecting", failed,
                         good=h.last_pass, bad=revision)
