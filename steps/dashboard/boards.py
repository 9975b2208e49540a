"""The boards page: per board, its power, health, the build holding its lock, its last verdict
and console, from the builds of `boot/<board>` and `operator/<board>`.

Both builders hold the master lock `board-<name>` for the whole build (steps/config.py), so a
running build of either is the lock's holder; what the board's worker knows (power, health,
who holds the board there) arrives as the newest `board_state` property (boardstate.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rustux_bootlab.lab import contract
from rustux_bootlab.steps.dashboard.facts import prop

WAITING = "acquiring locks"  # Buildbot's state_string (process/build.py) for a build not yet holding its locks


@dataclass(frozen=True)
class BuildRef:
    builder: str
    builderid: int
    number: int
    summary: str

    @property
    def label(self) -> str:
        return f"{self.builder} #{self.number}"


@dataclass(frozen=True)
class BoardRow:
    board: str
    power: str
    health: str  # good / suspect / quarantined / disabled / unknown
    health_by: str
    health_reason: str
    health_since: str
    console: str
    held_by_worker: str  # the worker-side session holding the board (`bootlab boards`' HELD BY)
    state_from: BuildRef | None  # the build that published the state shown
    lock_holder: BuildRef | None  # the running build holding `board-<name>`
    last_verdict: str | None
    last_boot: BuildRef | None
    last_action: BuildRef | None
    operator_builderid: int | None
    power_protocol: str = ""  # ipmi, redfish, pdu; empty when the worker did not say

    @property
    def health_style(self) -> str:
        return f"health-{self.health.split(' ')[0]}"



def _ref(build: dict[str, Any] | None, builders: dict[int, str]) -> BuildRef | None:
    if build is None:
        return None
    return BuildRef(builders.get(build["builderid"], "?"), build["builderid"], build["number"],
                    build.get("state_string") or "")


def board_row(board: str, boots: list[dict[str, Any]], actions: list[dict[str, Any]],
              operator_builderid: int | None) -> BoardRow:
    """`boots`, `actions`: the board's boot and operator builds (data API dicts with
    properties), newest first."""
    names = {b["builderid"]: contract.builder(contract.BOOT, board) for b in boots} | {a["builderid"]: contract.builder(contract.OPERATOR, board) for a in actions}
    running = [b for b in boots + actions if not b.get("complete") and (b.get("state_string") or "") != WAITING]
    stated = [b for b in boots + actions if isinstance(prop(b, "board_state"), dict)]
    newest = max(stated, key=lambda b: b.get("complete_at") or b.get("started_at") or 0, default=None) if stated else None
    state = prop(newest, "board_state") if newest else {}
    health = state.get("health") or {}
    finished = next((b for b in boots if b.get("complete") and prop(b, "verdict")), None)
    held = state.get("held_by") or "-"
    console = state.get("console") or "?"
    return BoardRow(
        board=board, power=state.get("power") or "unknown (no state published yet)",
        power_protocol=state.get("power_protocol") or "",  # ipmi, redfish or pdu: published since PDUs and Redfish came
        health=health.get("state") or "unknown", health_by=health.get("by") or "",
        health_reason=health.get("reason") or "", health_since=health.get("since") or "",
        console=f"{console}, {'free' if held == '-' else f'held by {held}'}", held_by_worker=held,
        state_from=_ref(newest, names), lock_holder=_ref(running[0], names) if running else None,
        last_verdict=_verdict(finished), last_boot=_ref(finished, names),
        last_action=_ref(next((a for a in actions if a.get("complete")), None), names),
        operator_builderid=operator_builderid,
    )


def _verdict(build: dict[str, Any] | None) -> str | None:
    if build is None:
        return None
    culprit = prop(build, "culprit")
    return f"{prop(build, 'verdict')}/{culprit}" if culprit else prop(build, "verdict")
