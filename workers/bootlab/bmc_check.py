"""`bootlab bmc-check [NAME...]`: try each board's BMC as an attacker would (workers/bmccheck.py).

The verdict on each board is its last line (what the master's board action shows).
Exit status: 0 every BMC refused every attack, 1 a BMC accepted one (named loudly, with what
it lets anyone do), 2 usage or config error, 3 a BMC the lab itself cannot reach (not judged).
"""
from __future__ import annotations

import argparse

from rustux_bootlab.lab.verdict import EXIT_ERROR, EXIT_FAIL, EXIT_PASS
from rustux_bootlab.workers.bmccheck import attempts
from rustux_bootlab.workers.board.error import BoardError
from rustux_bootlab.workers.bootlab.common import UsageError, add_command, load
from rustux_bootlab.workers.power.ipmi import IpmiPower


def register(sub: argparse._SubParsersAction) -> None:
    check = add_command(sub, "bmc-check", _cmd_bmc_check, help="try each board's BMC as an attacker would",
                        description="Try each board's BMC with what opens many real BMCs: cipher suite 0 (no\n"
                        "authentication) or 1 (no integrity) with a wrong password, IPMI 1.5 without\n"
                        "authentication, the null user. Any accepted is reported loudly (exit 1).",
                        examples=["bootlab bmc-check", "bootlab bmc-check vboard-1"])
    check.add_argument("names", metavar="NAME", nargs="*", help="only these boards (default: all enabled)")


def _cmd_bmc_check(args: argparse.Namespace) -> int:
    inventory = load(args.inventory)
    unknown = [n for n in args.names if n not in inventory.boards]
    if unknown:
        raise UsageError(f"{', '.join(unknown)}: not a board of {inventory.path}: one of {', '.join(inventory.boards)}")
    boards = [inventory.boards[n] for n in args.names] or [b for b in inventory.boards.values() if b.enabled]
    open_, unreachable = False, False
    for board in boards:
        where = f"{board.name} (BMC {board.bmc.host}:{board.bmc.port})"
        try:
            power = IpmiPower.for_board(board)
            try:
                power.status()
            finally:
                power.close()
        except BoardError as e:
            print(f"{where}: not judged: the lab itself cannot reach it: {e}")
            unreachable = True
            continue
        tried = attempts(board)
        accepted = [a for a in tried if a.accepted]
        for a in tried:
            print(f"    {a.text()}")
        if accepted:
            print(f"!!! {where} is OPEN: {len(accepted)} of {len(tried)} attacks accepted: whoever reaches "
                  f"{board.bmc.host}:{board.bmc.port} can power it, reset it and read its console without its password")
            open_ = True
        else:
            print(f"{where}: refuses all {len(tried)} attacks")
    return EXIT_FAIL if open_ else EXIT_ERROR if unreachable else EXIT_PASS
