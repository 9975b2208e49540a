"""The milestone spec as a board sees it: only the channels a board has.

A board has one console (SOL or a serial cable: the record's `serial` channel); it has no
debugcon (port 0xE9 is QEMU's), no OVMF debug port and no QEMU stderr. A milestone that can
only be seen on a missing channel is skipped, listed in the record as skipped, and its
timeout is added to the next kept milestone's (the time it allowed still elapses on the
board: `entry`'s 60 s for the firmware move to `banner`). `any` narrows to the board's
channels. Fatal signatures keep their `after:` by pointing it at the first kept milestone
at or after the skipped one (a reset only counts once the kernel is known to run).
Signatures on missing channels are dropped. Conversation steps typed on an input a board
lacks (the keyboard) or answered on a missing channel (the screen) are skipped and listed
with the milestones; the others wait for the moved milestones as fatal signatures do.

The deploy method adds what the firmware says when the image never reached it, so such a
boot is ERROR, not a kernel that "printed nothing": a board deployed by USB that starts a
network boot (the stick is not on the board's side, or the BMC ignored the override), a
board deployed by virtual media that starts a network boot (the BMC ignored the Cd override), and
a board deployed by PXE whose firmware reports its network boot option failed.
"""
from __future__ import annotations

import re
from dataclasses import replace

from rustux_bootlab.lab.spec import InfraSignature, MilestoneSpec
from rustux_bootlab.lab.conversation_spec import INPUTS
from rustux_bootlab.lab.verdict import Culprit

BOARD_CHANNELS = frozenset({"serial"})
DEPLOY_SIGNATURES: dict[str, tuple[InfraSignature, ...]] = {
    "usb": (InfraSignature(
        "network-boot-instead-of-usb", BOARD_CHANNELS,
        re.compile(r">>Start (?:PXE|HTTP Boot) over IPv[46]", re.MULTILINE), Culprit.BOARD,
        "the board started a network boot, not the USB stick the session wrote: the stick is not on the "
        "board's side (mux, device path) or the BMC ignored the boot override"),),
    "virtual-media": (InfraSignature(
        "network-boot-instead-of-virtual-media", BOARD_CHANNELS,
        re.compile(r">>Start (?:PXE|HTTP Boot) over IPv[46]", re.MULTILINE), Culprit.BOARD,
        "the board started a network boot, not the virtual CD the session inserted: the BMC accepted the Cd "
        "boot override and ignored it (check its override support, or its firmware's boot order)"),),
    "pxe": (InfraSignature(
        "pxe-boot-failed", BOARD_CHANNELS,
        re.compile(r'BdsDxe: failed to load Boot\S+ "UEFI (?:PXE|HTTP)v[46][^"]*"', re.MULTILINE), Culprit.LAB,
        "the firmware's network boot failed: check that the lab's DHCP/TFTP (bootlab pxe-server) serves this "
        "board's MAC and its staged TFTP root"),),
}


class BoardSpecError(Exception):
    """The spec cannot be checked on a board at all (no milestone on the board's channels)."""


def board_view(spec: MilestoneSpec, channels: frozenset[str] = BOARD_CHANNELS,
               deploy: str | None = None) -> tuple[MilestoneSpec, list[str]]:
    """The spec restricted to `channels` (plus the `deploy` method's signatures), and the names
    of the skipped milestones."""
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

    def moved(after: str) -> str:
        if after in kept_names:
            return after
        later = [n for n in names[names.index(after):] if n in kept_names]
        return later[0] if later else kept_names[-1]

    fatal = tuple(replace(s, channels=s.channels & channels, after=None if s.after is None else moved(s.after))
                  for s in spec.fatal if s.channels & channels)
    infra = tuple(replace(s, channels=s.channels & channels) for s in spec.infrastructure if s.channels & channels)
    infra += tuple(s for s in DEPLOY_SIGNATURES.get(deploy or "", ()) if s.channels & channels)
    conversation = None
    if spec.conversation is not None:
        steps = []
        for step in spec.conversation.steps:
            if step.channel in channels and INPUTS[step.input].on_boards:
                steps.append(replace(step, after=moved(step.after)))
            else:
                skipped.append(step.name)  # a keyboard or a screen: a board has neither
        if steps:
            conversation = replace(spec.conversation, after=moved(spec.conversation.after), steps=tuple(steps))
    return replace(spec, milestones=tuple(kept), fatal=fatal, infrastructure=infra, conversation=conversation), skipped
