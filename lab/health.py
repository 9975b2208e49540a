"""Health of a target or board (docs/design.md): good, suspect, quarantined.

An ERROR the target's own machinery caused (culprit `board` or `host`) makes it suspect;
`QUARANTINE_AFTER` of them in a row quarantine it, and a quarantined target or board takes
no boots (they end in MISS) until an operator releases it. A boot that ran the code (PASS or
FAIL) clears suspicion: the machine did its part (an image refused before the boot says nothing). Operators quarantine and release by hand,
always with a reason, so the next person knows who to ask.

Pure: the worker side (workers/health.py) keeps a `HealthRecord` per name on disk.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from enum import Enum
from typing import Any

from rustux_bootlab.lab.outcomes import never_booted
from rustux_bootlab.lab.verdict import Culprit, Outcome, Verdict

QUARANTINE_AFTER = 3
# The target's own machinery: a lab, firmware or code problem says nothing about the machine.
MACHINE_CULPRITS = (Culprit.BOARD, Culprit.HOST)


class Health(str, Enum):
    GOOD = "good"
    SUSPECT = "suspect"
    QUARANTINED = "quarantined"


class HealthError(ValueError):
    """An operator request that makes no sense for the current state, or a broken health file."""


@dataclass(frozen=True)
class HealthRecord:
    state: Health = Health.GOOD
    errors_in_row: int = 0
    reason: str = ""  # the last ERROR's reason, or why it was quarantined or released
    by: str = ""  # who quarantined or released it ("lab" when ERRORs did)
    since: str = ""  # when the state last changed (ISO 8601, UTC)

    def after_boot(self, outcome: Outcome, now: str, quarantine_after: int = QUARANTINE_AFTER) -> HealthRecord:
        if self.state is Health.QUARANTINED:
            return self  # only an operator's release ends a quarantine
        if outcome.verdict in (Verdict.PASS, Verdict.FAIL) and not never_booted(outcome):
            return self if self.state is Health.GOOD else HealthRecord(Health.GOOD, since=now)
        if outcome.verdict is not Verdict.ERROR or outcome.culprit not in MACHINE_CULPRITS:
            return self
        errors = self.errors_in_row + 1
        if errors >= quarantine_after:
            return HealthRecord(Health.QUARANTINED, errors, f"{errors} ERRORs in a row, the last: {outcome.reason}",
                                "lab", now)
        since = self.since if self.state is Health.SUSPECT else now
        return HealthRecord(Health.SUSPECT, errors, outcome.reason, "lab", since)

    def quarantined(self, by: str, reason: str, now: str) -> HealthRecord:
        if not reason.strip():
            raise HealthError("a quarantine needs a reason: say what is wrong, for whoever releases it")
        return replace(self, state=Health.QUARANTINED, reason=reason.strip(), by=by, since=now)

    def released(self, by: str, reason: str, now: str) -> HealthRecord:
        if self.state is not Health.QUARANTINED:
            raise HealthError(f"not quarantined (health {self.state.value}): nothing to release")
        return HealthRecord(Health.GOOD, 0, reason.strip() or "released", by, now)

    def describe(self) -> str:
        """One line: `quarantined by alice since ...: BMC flaky`."""
        if self.state is Health.GOOD and not self.by:
            return "good"
        who = f" by {self.by}" if self.by else ""
        when = f" since {self.since}" if self.since else ""
        return f"{self.state.value}{who}{when}: {self.reason}" if self.reason else f"{self.state.value}{who}{when}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "state": self.state.value}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HealthRecord:
        try:
            return cls(Health(data["state"]), int(data.get("errors_in_row", 0)), str(data.get("reason", "")),
                       str(data.get("by", "")), str(data.get("since", "")))
        except (KeyError, ValueError, TypeError) as e:
            raise HealthError(f"not a health record ({e!r}): expected state good, suspect or quarantined") from e
