"""Which virtual board runs a board: by its power protocol, each kind with start, stop and status."""
from __future__ import annotations

from types import ModuleType

from rustux_bootlab.lab.board import Board
from rustux_bootlab.workers.vboard import manager, pduboard, redfishboard

KINDS: dict[str, ModuleType] = {"ipmi": manager, "redfish": redfishboard, "pdu": pduboard}


def for_board(board: Board) -> ModuleType:
    """ipmi_sim + QEMU (`manager`), sushy-emulator + libvirt (`redfishboard`) or pdudaemon + QEMU (`pduboard`)."""
    return KINDS[board.bmc.protocol]
