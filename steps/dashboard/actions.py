"""Board actions on the boards page: which boards a user may act on, asked of the master's own authz.

The buttons post to Buildbot's force endpoint (`forceschedulers/board-action`, JSON-RPC
`force`) with the browser's session, so the master checks the role and the `operator/<board>`
build takes the board's lock; this module only decides which buttons to draw: the ones the
master would accept. The user comes from the master's session (`/config`'s `user`), read by
the page's script (static/actions.js); a forged name draws buttons the master still refuses.
"""
from __future__ import annotations

from typing import Any

from buildbot.www.authz.authz import Forbidden

from rustux_bootlab.lab import contract

SCHEDULER = "board-action"  # steps/config.py's ForceScheduler for the operator builders
# (action, caption): `bootlab power` and `bootlab quarantine|release` (steps/power.py)
BUTTONS = (("on", "power on"), ("off", "power off"), ("cycle", "power cycle"),
           ("quarantine", "quarantine"), ("release", "release"))


async def boards_allowed(master, user: dict[str, Any], boards: list[str]) -> list[str]:
    """The boards whose operator builder `user` (a session's user info) may force."""
    if user.get("anonymous") or not user.get("username"):
        return []
    allowed = []
    for board in boards:
        try:
            await master.www.authz.assertUserAllowed(("forceschedulers", SCHEDULER), "force",
                                          {"builderNames": [contract.builder(contract.OPERATOR, board)]},
                                          {"username": user["username"]})
        except Forbidden:
            continue
        allowed.append(board)
    return allowed
