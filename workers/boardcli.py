"""`bootlab boards`, `bootlab power NAME ...`, `bootlab vboard start|stop|status NAME`.

Exit status: 0 done, 2 usage or config error, 3 ERROR (the BMC or the virtual board failed:
the message names the board and its BMC address).
"""
from __future__ import annotations

import argparse
import dataclasses
import fcntl
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from lab.board import Board
from lab.inventory import Inventory
from lab.verdict import EXIT_ERROR, EXIT_PASS
from workers.boardstate import board_dir
from workers.healthcli import board_health
from workers.power.base import BOOT_DEVICES, BoardError, PowerProtocol
from workers.vboard import manager

POWER_ACTIONS = ("status", "on", "off", "cycle", "reset")
LOCK_FILE = "lock"  # in the board's state dir, written by the board session while it holds the board


def add_commands(sub: argparse._SubParsersAction, inventory_option: Callable[[argparse.ArgumentParser], None],
                 load: Callable[[Path], Inventory]) -> None:
    fmt = argparse.RawDescriptionHelpFormatter

    boards = sub.add_parser("boards", help="list the inventory's boards: power, health, who holds them",
                            description="List the boards of the inventory with their power state (asked from the\n"
                            "BMC; a stopped virtual board is not asked), health and the session holding each.",
                            epilog="examples:\n  bootlab boards\n  bootlab boards --no-power", formatter_class=fmt)
    inventory_option(boards)
    boards.add_argument("--no-power", action="store_true", help="do not ask the BMCs (fast, offline)")
    boards.set_defaults(func=lambda a: _cmd_boards(a, load(a.inventory)))

    power = sub.add_parser("power", help="switch or query a board's power through its BMC",
                           description="Power a board on, off, cycle or reset it through IPMI, each change read\n"
                           "back from the BMC. --boot sets a one-time boot override before the action.",
                           epilog="examples:\n  bootlab power vboard-1 status\n  bootlab power vboard-1 on --boot network\n"
                           "  bootlab power vboard-1 off\n\nexit status: 0 done, 2 usage/config error, 3 the BMC failed",
                           formatter_class=fmt)
    inventory_option(power)
    power.add_argument("board", metavar="NAME")
    power.add_argument("action", choices=POWER_ACTIONS)
    power.add_argument("--boot", choices=BOOT_DEVICES, help="one-time boot override for the next power-on")
    power.set_defaults(func=lambda a: _cmd_power(a, load(a.inventory)))

    vboard = sub.add_parser("vboard", help="start, stop or query a virtual board (QEMU behind ipmi_sim)",
                            description="Run a virtual board from the inventory: OpenIPMI's ipmi_sim on its loopback\n"
                            "BMC port drives a QEMU VM (TCG, OVMF) whose power and boot device follow IPMI and\n"
                            "whose serial is the SOL stream. Files (logs, BMC config, sockets) go to\n"
                            "$BOOTLAB_STATE/NAME/vboard (default build/lab/NAME/vboard).",
                            epilog="examples:\n  bootlab vboard start vboard-1\n  bootlab power vboard-1 on --boot network\n"
                            "  bootlab vboard status vboard-1\n  bootlab vboard stop vboard-1", formatter_class=fmt)
    inventory_option(vboard)
    vboard.add_argument("action", choices=("start", "stop", "status"))
    vboard.add_argument("board", metavar="NAME")
    vboard.add_argument("--json", action="store_true", help="print the status as JSON")
    vboard.set_defaults(func=lambda a: _cmd_vboard(a, load(a.inventory)))


def holder(board: Board) -> str:
    """Who holds the board: the lock file's first line while its flock is held, else '-'."""
    try:
        fd = os.open(board_dir(board) / LOCK_FILE, os.O_RDONLY)
    except OSError:
        return "-"
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return "-"  # nobody holds it (a session killed by SIGKILL may have left its line)
    except BlockingIOError:
        return os.read(fd, 4096).decode(errors="replace").split("\n")[0].strip() or "?"
    finally:
        os.close(fd)


def _cmd_boards(args: argparse.Namespace, inventory: Inventory) -> int:
    rows = [("BOARD", "KIND", "BMC", "CONSOLE", "DEPLOY", "HEALTH", "POWER", "HELD BY")]
    for b in inventory.boards.values():
        rows.append((b.name, "virtual" if b.virtual else "physical", b.bmc.address, b.console.kind, b.deploy.method,
                     board_health(b), "-" if args.no_power else _power_state(b), holder(b)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return EXIT_PASS


def _ipmi(board: Board, log: Callable[[str], None] | None = None) -> PowerProtocol:
    # Imported on use: pyghmi costs ~150 ms, which every other bootlab command would pay.
    from workers.power.ipmi import IpmiPower

    return IpmiPower.for_board(board, log=log)


def _power_state(board: Board) -> str:
    if board.virtual is not None and not any(manager.status(board).running.values()):
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


def _cmd_power(args: argparse.Namespace, inventory: Inventory) -> int:
    board = inventory.board(args.board)
    power = None
    try:
        power = _ipmi(board, log=lambda line: print(f"bootlab: {board.name}: {line}", file=sys.stderr))
        if args.boot:
            power.set_boot(args.boot)
        if args.action != "status":
            getattr(power, args.action)()
        print(f"{board.name}: power {power.status()}")
    except BoardError as e:
        print(f"bootlab: {e} (ERROR/{e.culprit})", file=sys.stderr)
        return EXIT_ERROR
    finally:
        if power is not None:
            power.close()
    return EXIT_PASS


def _cmd_vboard(args: argparse.Namespace, inventory: Inventory) -> int:
    board = inventory.board(args.board)
    try:
        status = {"start": lambda: manager.start(board, inventory), "stop": lambda: manager.stop(board),
                  "status": lambda: manager.status(board)}[args.action]()
    except manager.VboardError as e:
        print(f"bootlab: {e}", file=sys.stderr)
        return EXIT_ERROR
    if args.json:
        print(json.dumps({"board": status.name, "running": status.running, "power": status.power, "boot": status.boot,
                          "bmc": status.bmc, "state": str(status.state)}))
    else:
        print(status.text())
    return EXIT_PASS
