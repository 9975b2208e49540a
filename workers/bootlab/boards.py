"""`bootlab boards` and `bootlab power NAME ACTION`: the inventory's boards and their BMCs.

Exit status: 0 done, 2 usage or config error, 3 ERROR (the BMC failed: the message names
the board and its BMC address).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable

from rustux_bootlab.lab.board import Board
from rustux_bootlab.lab.health import HealthError
from rustux_bootlab.lab.verdict import EXIT_ERROR, EXIT_PASS
from rustux_bootlab.workers import health
from rustux_bootlab.workers.board.lock import holder
from rustux_bootlab.workers.bootlab.common import add_command, load, print_table
from rustux_bootlab.workers.board.error import BoardError
from rustux_bootlab.workers.board.parts import board_power
from rustux_bootlab.workers.power.base import BOOT_DEVICES, PowerProtocol
from rustux_bootlab.workers.vboard import kinds

POWER_ACTIONS = ("status", "on", "off", "cycle", "reset")


def register(sub: argparse._SubParsersAction) -> None:
    boards = add_command(sub, "boards", _cmd_boards, help="list the inventory's boards: power, health, who holds them",
                         description="List the boards of the inventory with their power state (asked from the\n"
                         "BMC; a stopped virtual board is not asked), health and the session holding each.",
                         examples=["bootlab boards", "bootlab boards --no-power", "bootlab boards --json vboard-1"])
    boards.add_argument("names", metavar="NAME", nargs="*", help="only these boards (default: all)")
    boards.add_argument("--no-power", action="store_true", help="do not ask the BMCs (fast, offline)")
    boards.add_argument("--json", action="store_true",
                        help="one JSON object per board on stdout (what the master's boards page shows)")

    power = add_command(sub, "power", _cmd_power, help="switch or query a board's power through its BMC",
                        description="Power a board on, off, cycle or reset it through IPMI, each change read\n"
                        "back from the BMC. --boot sets a one-time boot override before the action.",
                        examples=["bootlab power vboard-1 status", "bootlab power vboard-1 on --boot network",
                                  "bootlab power vboard-1 off"],
                        notes="exit status: 0 done, 2 usage/config error, 3 the BMC failed")
    power.add_argument("board", metavar="NAME")
    power.add_argument("action", choices=POWER_ACTIONS)
    power.add_argument("--boot", choices=BOOT_DEVICES, help="one-time boot override for the next power-on")


def _cmd_boards(args: argparse.Namespace) -> int:
    inventory = load(args.inventory)
    boards = [inventory.board(name) for name in args.names] if args.names else list(inventory.boards.values())
    if args.json:
        print(json.dumps([_state(b, args.no_power) for b in boards]))
        return EXIT_PASS
    rows = [("BOARD", "KIND", "POWER BY", "BMC", "CONSOLE", "DEPLOY", "HEALTH", "POWER", "HELD BY")]
    for b in boards:
        rows.append((b.name, "virtual" if b.virtual else "physical", b.bmc.protocol, b.bmc.address, b.console.kind,
                     b.deploy.method,
                     _health(b), "-" if args.no_power else _power_state(b), holder(b)))
    print_table(rows)
    return EXIT_PASS


def _state(board: Board, no_power: bool) -> dict[str, object]:
    """A board's state as the worker sees it: the boot and operator builds publish it to the
    master (property `board_state`), which never reads the worker's state files itself."""
    try:
        record = health.load(board.name).to_dict() if board.enabled else {"state": "disabled (inventory)"}
    except HealthError as e:
        record = {"state": f"unknown ({e})"}
    return {"board": board.name, "kind": "virtual" if board.virtual else "physical", "bmc": board.bmc.address,
            "power_protocol": board.bmc.protocol,
            "console": board.console.kind, "deploy": board.deploy.method, "health": record,
            "power": None if no_power else _power_state(board), "held_by": holder(board)}


def _health(board: Board) -> str:
    """The HEALTH column: `disabled` when the inventory takes the board out of service, else
    the lab's health (good, suspect or quarantined, with who and why)."""
    if not board.enabled:
        return "disabled (inventory)"
    try:
        return health.load(board.name).describe()
    except HealthError as e:
        return f"unknown ({e})"


def _ipmi(board: Board, log: Callable[[str], None] | None = None) -> PowerProtocol:
    """The board's power driver (the name is older than Redfish and PDUs)."""
    return board_power(board, log)


def _power_state(board: Board) -> str:
    if board.virtual is not None and not any(kinds.for_board(board).status(board).running.values()):
        return "vboard stopped"
    power = None
    try:
        # one attempt: a listing should not wait out every retry of every silent BMC
        power = _ipmi(dataclasses.replace(board, bmc=dataclasses.replace(board.bmc, retries=0)))
        return power.status()
    except BoardError as e:
        return f"unknown ({e.message})"
    finally:
        if power is not None:
            power.close()


def _cmd_power(args: argparse.Namespace) -> int:
    board = load(args.inventory).board(args.board)
    power = None
    try:
        power = _ipmi(board, log=lambda line: print(f"bootlab: {board.name}: {line}", file=sys.stderr))
        if args.boot:
            power.set_boot(args.boot)
        if args.action != "status":
            getattr(power, args.action)()
        print(f"{board.name}: power {power.status()}")
    except BoardError as e:
        print(f"bootlab: {e} (ERROR/{e.culprit.value})", file=sys.stderr)
        return EXIT_ERROR
    finally:
        if power is not None:
            power.close()
    return EXIT_PASS
