"""The warm lane's honesty: the same image booted cold and warm must agree, or warm goes off.

A warm boot is another path to the kernel (started by the resident loader from a RAM disk,
after a restore). It may only be used where it is known to say what the cold path says: same
verdict, same culprit, the same milestones in the same order. The values inside milestones
(times, addresses, memory-map sizes) are allowed to differ: the firmware left memory in
another shape. A disagreement turns the lane off for that target until an operator releases
it, with the evidence (both records) named; no boot is ever judged by the warm path then.

Pure: workers/warmlane.py keeps a `WarmLane` per target on disk.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any


class WarmLaneError(ValueError):
    """An operator request that makes no sense now, or a broken lane file."""


@dataclass(frozen=True)
class Agreement:
    agree: bool
    differences: tuple[str, ...] = ()

    def summary(self) -> str:
        if self.agree:
            return "cold and warm agree"
        return "cold and warm disagree: " + "; ".join(self.differences)


def compare(cold: dict[str, Any], warm: dict[str, Any]) -> Agreement:
    """Two boot records (result.json mappings) of one image on one target, milestone for
    milestone."""
    diffs = []
    for name in ("verdict", "culprit", "last_milestone"):
        if cold.get(name) != warm.get(name):
            diffs.append(f"{name} {cold.get(name)} cold, {warm.get(name)} warm")
    cold_names = [m["name"] for m in cold.get("milestones", [])]
    warm_names = [m["name"] for m in warm.get("milestones", [])]
    if cold_names != warm_names:
        at = next((i for i, (c, w) in enumerate(zip(cold_names, warm_names)) if c != w), min(len(cold_names), len(warm_names)))
        diffs.append(f"milestones differ from #{at + 1}: cold {_tail(cold_names, at)}, warm {_tail(warm_names, at)}")
    return Agreement(not diffs, tuple(diffs))


def _tail(names: list[str], at: int) -> str:
    rest = names[at:at + 3]
    return ", ".join(rest) + (" ..." if len(names) > at + 3 else "") if rest else "(none)"


@dataclass(frozen=True)
class WarmLane:
    """Whether warm boots may be used on a target; `off` names why and the evidence."""

    enabled: bool = True
    reason: str = ""
    by: str = ""  # "lab" for a failed agreement check, else the operator
    since: str = ""
    evidence: tuple[str, ...] = ()  # record directories of the disagreeing boots
    last_check: str = ""  # when an agreement check last ran, and what it said
    last_check_result: str = ""

    def after_check(self, agreement: Agreement, evidence: tuple[str, ...], now: str) -> WarmLane:
        checked = replace(self, last_check=now, last_check_result=agreement.summary())
        if agreement.agree:
            return checked
        return replace(checked, enabled=False, reason=agreement.summary(), by="lab", since=now, evidence=evidence)

    def release(self, by: str, reason: str, now: str) -> WarmLane:
        if self.enabled:
            raise WarmLaneError("the warm lane is on: there is nothing to release")
        if not reason.strip():
            raise WarmLaneError("say why the warm lane may be used again (--reason TEXT): the next person reads it")
        return replace(self, enabled=True, reason=reason, by=by, since=now, evidence=())

    def refusal(self, target: str) -> str:
        """Why a warm boot on `target` runs cold instead."""
        return f"warm lane off for {target} since {self.since} ({self.by}): {self.reason}; " \
               f"`bootlab warm release {target} --reason TEXT` turns it back on"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["evidence"] = list(self.evidence)
        return data

    @classmethod
    def from_dict(cls, data: Any) -> WarmLane:
        if not isinstance(data, dict):
            raise WarmLaneError(f"warm lane state is {type(data).__name__}, not a mapping")
        try:
            return cls(
                enabled=bool(data.get("enabled", True)),
                reason=str(data.get("reason", "")),
                by=str(data.get("by", "")),
                since=str(data.get("since", "")),
                evidence=tuple(str(e) for e in data.get("evidence", ())),
                last_check=str(data.get("last_check", "")),
                last_check_result=str(data.get("last_check_result", "")),
            )
        except (TypeError, ValueError) as exc:
            raise WarmLaneError(f"warm lane state malformed: {exc}") from exc
