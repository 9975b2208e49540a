"""The milestone spec as a board sees it: only the channels a board has.

A board has one console (SOL or a serial cable: the record's `serial` channel); it has no
debugcon (port 0xE9 is QEMU's), no OVMF debug port and no QEMU stderr. A milestone that can
only be seen on a missing channel is skipped, listed in the record as skipped, and its
timeout is added to the next kept milestone's (the time it allowed still elapses on the
board: `entry`'s 60 s for the firmware move to `banner`). `any` narrows to the board's
channels. Fatal signatures keep their `after:` by pointing it at the first kept milestone
at or after the skipped one (a reset only counts once the kernel is known to run).
Signatures on missing channels are dropped.
"""
from __future__ import annotations

from dataclasses import replace

from lab.spec import MilestoneSpec

BOARD_CHANNELS = frozenset({"serial"})


class BoardSpecError(Exception):
    """The spec cannot be checked on a board at all (no milestone on the board's channels)."""


def board_view(spec: MilestoneSpec, channels: frozenset[str] = BOARD_CHANNELS) -> tuple[MilestoneSpec, list[str]]:
    """The spec restricted to `channels`, and the names of the skipped milestones."""
    kept, skipped = [], []
    carried = 0.0
    for m in spec.milestones:
        on_board = m.channels & channels
        if not on_board:
            skipped.append(m.name)
            carried += m.timeout
            continue
        kept.append(replace(m, channels=on_board, timeout=m.timeout + carried))
        carried = 0.0
    if not kept:
        where = f" {spec.path}" if spec.path else ""
        raise BoardSpecError(f"milestone spec{where}: no milestone on the board's channels ({', '.join(sorted(channels))}): "
                             "a board has no debugcon; give milestones channel serial or any")
    names = [m.name for m in spec.milestones]
    kept_names = [m.name for m in kept]

    def moved(after: str | None) -> str | None:
        if after is None or after in kept_names:
            return after
        later = [n for n in names[names.index(after):] if n in kept_names]
        return later[0] if later else kept_names[-1]

    fatal = tuple(replace(s, channels=s.channels & channels, after=moved(s.after)) for s in spec.fatal if s.channels & channels)
    infra = tuple(replace(s, channels=s.channels & channels) for s in spec.infrastructure if s.channels & channels)
    return replace(spec, milestones=tuple(kept), fatal=fatal, infrastructure=infra), skipped
