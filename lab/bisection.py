"""Bisection of a boot regression: what each step's boot means, and what the search came to.

A bisection runs in four phases: CHECK-BAD (the bad end fails again on this target), CHECK-GOOD
(the good end passes again), SEARCH (git bisect between them), CONFIRM (the culprit fails
again and its parent passes again). Every boot is judged as usual (lab.judge); these rules only
say what a judged boot means for the search. Lab faults are never evidence: an ERROR is
retried once, then the commit is skipped (git bisect's exit 125), and a MISS is skipped.

Rules for one step, first match wins (one test each in tests/unit/test_bisection.py):

 #  the step                                  decision
 1  the commit did not build                  SKIP   "does not build: <why>"
 2  PASS                                      GOOD
 3  FAIL (code)                               BAD
 4  ERROR, first attempt                      RETRY  (a lab fault may clear on a second boot)
 5  ERROR, after the retry                    SKIP   "lab fault: ERROR (<culprit>): <reason>"
 6  MISS                                      SKIP   "not booted: <reason>"

Rules for the phases, first match wins (exit status in brackets):

 #  condition                                 result
 7  CHECK-BAD was GOOD                        no culprit [1] "the bad end passes here: nothing to bisect"
 8  CHECK-BAD was SKIP for a lab fault/MISS   no culprit [3] "the bad end's boot was a lab fault ..."
 9  CHECK-BAD was SKIP (does not build)       no culprit [1] "the bad end does not build ..."
10  CHECK-GOOD was BAD                        no culprit [1] "the good end fails here too: not a regression in this range"
11  CHECK-GOOD was SKIP for a lab fault/MISS  no culprit [3]
12  CHECK-GOOD was SKIP (does not build)      no culprit [1]
13  SEARCH: LAB_FAULTS_IN_ROW commits in a    stop, no culprit [3] "the lab is failing: ..."
    row skipped for lab faults                (more boots would only spend the lab's time)
14  SEARCH ended between several commits      no culprit [3 if a lab fault skipped one of them, else 1]
15  CONFIRM: the culprit was not BAD again    no culprit [3 if a lab fault, else 1] "<c> did not fail again"
16  CONFIRM: the parent was not GOOD again    no culprit [3 if a lab fault, else 1]
17  otherwise                                 culprit confirmed [0]

Exit 3 ("the lab failed") whenever a lab fault kept the bisection from an answer: a flaky lab
must never produce a false culprit, nor a false "no regression".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from rustux_bootlab.lab.verdict import Outcome, Verdict

EXIT_CULPRIT = 0
EXIT_NO_CULPRIT = 1
EXIT_LAB_FAILED = 3
MAX_ATTEMPTS = 2  # an ERROR is retried once
LAB_FAULTS_IN_ROW = 3


class Phase(str, Enum):
    CHECK_BAD = "check-bad"
    CHECK_GOOD = "check-good"
    SEARCH = "search"
    CONFIRM_CULPRIT = "confirm-culprit"
    CONFIRM_PARENT = "confirm-parent"


class Decision(str, Enum):
    """GOOD, BAD and SKIP are also the words `git bisect` takes."""

    GOOD = "good"
    BAD = "bad"
    SKIP = "skip"
    RETRY = "retry"


@dataclass(frozen=True)
class Commit:
    sha: str
    subject: str
    author: str  # "Name <email>"

    @property
    def short(self) -> str:
        return self.sha[:12]

    def to_dict(self) -> dict[str, str]:
        return {"commit": self.sha, "subject": self.subject, "author": self.author}


@dataclass(frozen=True)
class Step:
    """One build and (unless the build failed) one boot of one commit."""

    phase: Phase
    commit: Commit
    attempt: int  # 1, or 2 for the retry of an ERROR
    build_error: str | None  # why the commit did not build, else None
    outcome: Outcome | None  # None when the build failed
    milestones: tuple[str, ...] = ()  # reached, in order
    record: str | None = None  # the boot record's directory
    build_s: float = 0.0
    boot_s: float = 0.0

    @property
    def decision(self) -> Decision:
        return decide(self)[0]

    @property
    def why(self) -> str:
        return decide(self)[1]

    @property
    def lab_fault(self) -> bool:
        """Skipped because the lab (not the code) kept the boot from a verdict."""
        return self.build_error is None and self.decision is Decision.SKIP

    def to_dict(self) -> dict[str, Any]:
        o = self.outcome
        return {
            "phase": self.phase.value,
            **self.commit.to_dict(),
            "attempt": self.attempt,
            "verdict": o.verdict.value if o else None,
            "culprit": o.culprit.value if o and o.culprit else None,
            "reason": o.reason if o else self.build_error,
            "last_milestone": o.last_milestone if o else None,
            "decision": self.decision.value,
            "why": self.why,
            "build_s": round(self.build_s, 2),
            "boot_s": round(self.boot_s, 2),
            "record": self.record,
        }


def decide(step: Step) -> tuple[Decision, str]:
    """Rows 1-6."""
    if step.build_error is not None or step.outcome is None:
        return Decision.SKIP, f"does not build: {step.build_error or 'no image'}"
    o = step.outcome
    if o.verdict is Verdict.PASS:
        return Decision.GOOD, "PASS"
    if o.verdict is Verdict.FAIL:
        return Decision.BAD, o.summary()
    if o.verdict is Verdict.ERROR:
        if step.attempt < MAX_ATTEMPTS:
            return Decision.RETRY, f"lab fault, booting again: {o.summary()}"
        return Decision.SKIP, f"lab fault: {o.summary()}"
    return Decision.SKIP, f"not booted: {o.summary()}"


def lost_milestone(bad: Step, good: Step) -> str | None:
    """The first milestone the good boot reached that the bad boot did not."""
    reached = set(bad.milestones)
    return next((m for m in good.milestones if m not in reached), None)


@dataclass
class Bisection:
    """What a bisection came to: the steps in order, then the result of rows 7-16."""

    good: Commit
    bad: Commit
    target: str
    steps: list[Step] = field(default_factory=list)
    culprit: Commit | None = None
    lost: str | None = None
    conclusion: str = ""
    exit_code: int = EXIT_NO_CULPRIT
    candidates: tuple[Commit, ...] = ()  # when the search ended between several commits
    wall_s: float = 0.0

    @property
    def boots(self) -> int:
        return sum(1 for s in self.steps if s.outcome is not None)

    def last(self, phase: Phase) -> Step | None:
        return next((s for s in reversed(self.steps) if s.phase is phase), None)

    def end(self, exit_code: int, conclusion: str) -> Bisection:
        self.exit_code, self.conclusion = exit_code, conclusion
        return self

    def to_dict(self) -> dict[str, Any]:
        culprit = None
        if self.culprit is not None:
            culprit = {**self.culprit.to_dict(), "lost_milestone": self.lost}
        return {
            "culprit": culprit,
            "steps": [s.to_dict() for s in self.steps],
            "conclusion": self.conclusion,
            "exit_status": self.exit_code,
            "target": self.target,
            "good": self.good.to_dict(),
            "bad": self.bad.to_dict(),
            "boots": self.boots,
            "wall_s": round(self.wall_s, 1),
            "candidates": [c.to_dict() for c in self.candidates],
        }


def check_end(step: Step, which: str) -> tuple[int, str] | None:
    """Rows 7-12 for the end `which` ("bad" or "good"): None when it behaves as its name says."""
    expected = Decision.BAD if which == "bad" else Decision.GOOD
    d = step.decision
    if d is expected:
        return None
    c = step.commit.short
    if d in (Decision.GOOD, Decision.BAD):
        if which == "bad":
            return EXIT_NO_CULPRIT, f"no culprit: the bad end {c} passes on this target: nothing to bisect (fixed, or the failure was flaky)"
        return EXIT_NO_CULPRIT, f"no culprit: the good end {c} fails on this target too ({step.why}): not a regression in this range"
    if step.lab_fault:
        return EXIT_LAB_FAILED, (f"no culprit: the {which} end {c}'s boot was a lab fault, not the code's ({step.why}): "
                                 "the lab failed, bisect again when it is fixed")
    return EXIT_NO_CULPRIT, f"no culprit: the {which} end {c} {step.why}"


def lab_failing(steps: list[Step]) -> tuple[int, str] | None:
    """Row 13: the last LAB_FAULTS_IN_ROW search steps were all skipped for lab faults."""
    searched = [s for s in steps if s.phase is Phase.SEARCH and s.decision is not Decision.RETRY]
    recent = searched[-LAB_FAULTS_IN_ROW:]
    if len(recent) < LAB_FAULTS_IN_ROW or not all(s.lab_fault for s in recent):
        return None
    return EXIT_LAB_FAILED, (f"no culprit: the lab is failing: {LAB_FAULTS_IN_ROW} commits in a row could not be booted "
                             f"(last: {recent[-1].why}): fix the target and bisect again")


def search_ended(candidates: list[Commit], steps: list[Step]) -> tuple[int, str]:
    """Row 14: git could not name one commit because skipped ones remain."""
    faulty = {s.commit.sha for s in steps if s.lab_fault}
    names = ", ".join(c.short for c in candidates)
    if faulty & {c.sha for c in candidates}:
        return EXIT_LAB_FAILED, f"no confirmed culprit: the first bad commit is one of {names}; lab faults kept some from being tested"
    return EXIT_NO_CULPRIT, f"no confirmed culprit: the first bad commit is one of {names}; the others do not build"


def confirmation(culprit_step: Step, parent_step: Step | None) -> tuple[int, str]:
    """Rows 15-17, from the last confirmation boot of the culprit and of its parent."""
    c = culprit_step.commit.short
    if culprit_step.decision is not Decision.BAD:
        code = EXIT_LAB_FAILED if culprit_step.lab_fault else EXIT_NO_CULPRIT
        return code, f"no confirmed culprit: {c} did not fail again ({culprit_step.why}): flaky, or a lab fault"
    if parent_step is not None and parent_step.decision is not Decision.GOOD:
        p = parent_step.commit.short
        code = EXIT_LAB_FAILED if parent_step.lab_fault else EXIT_NO_CULPRIT
        return code, f"no confirmed culprit: {c}'s parent {p} did not pass again ({parent_step.why})"
    return EXIT_CULPRIT, f"culprit {c} confirmed: fails again, its parent passes again"


def summary_line(data: dict[str, Any]) -> str:
    """One line from `Bisection.to_dict()`, for the CLI and the build summary:
    `culprit 1a2b3c4d5e6f "enable x" (Ann <a@x>): lost milestone cpu-tables; 8 boots in 1.6 min`."""
    spent = f"{data['boots']} boots in {data['wall_s'] / 60:.1f} min"
    c = data.get("culprit")
    if not c:
        return f"{data['conclusion']}; {spent}"
    lost = f": lost milestone {c['lost_milestone']}" if c.get("lost_milestone") else ""
    return f"culprit {c['commit'][:12]} \"{c['subject']}\" ({c['author']}){lost}; {spent}"
