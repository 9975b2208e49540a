"""The board's power driver by the inventory's `bmc.protocol`: ipmi, redfish or pdu."""
from __future__ import annotations

from collections.abc import Callable

from lab.board import Board
from workers.power.base import PowerProtocol


def for_board(board: Board, log: Callable[[str], None] | None = None) -> PowerProtocol:
    # Imported on use: pyghmi costs ~150 ms and sushy more, which every other bootlab command would pay.
    if board.bmc.protocol == "redfish":
        from workers.power.redfish import RedfishPower

        return RedfishPower.for_board(board, log=log)
    if board.bmc.protocol == "pdu":
        from workers.power.pdu import PduPower

        return PduPower.for_board(board, log=log)
    from workers.power.ipmi import IpmiPower

    return IpmiPower.for_board(board, log=log)
