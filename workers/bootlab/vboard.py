"""`bootlab vboard start|stop|status NAME`: a virtual board (QEMU behind ipmi_sim, or a libvirt
domain behind sushy-emulator's Redfish with its console behind ser2net).

Exit status: 0 done, 2 usage or config error, 3 the virtual board failed.
"""
from __future__ import annotations

import argparse
import json
import sys

from rustux_bootlab.lab.verdict import EXIT_ERROR, EXIT_PASS
from rustux_bootlab.workers.bootlab.common import add_command, load
from rustux_bootlab.workers.vboard import kinds, manager


def register(sub: argparse._SubParsersAction) -> None:
    vboard = add_command(sub, "vboard", _cmd_vboard, help="start, stop or query a virtual board (QEMU behind ipmi_sim)",
                         description="Run a virtual board from the inventory: OpenIPMI's ipmi_sim on its loopback\n"
                         "BMC port drives a QEMU VM (TCG, OVMF) whose power and boot device follow IPMI and\n"
                         "whose serial is the SOL stream. Files (logs, BMC config, sockets) go to\n"
                         "$BOOTLAB_STATE/NAME/vboard (default build/lab/NAME/vboard).",
                         examples=["bootlab vboard start vboard-1", "bootlab power vboard-1 on --boot network",
                                   "bootlab vboard status vboard-1", "bootlab vboard stop vboard-1"])
    vboard.add_argument("action", choices=("start", "stop", "status"))
    vboard.add_argument("board", metavar="NAME")
    vboard.add_argument("--json", action="store_true", help="print the status as JSON")


def _cmd_vboard(args: argparse.Namespace) -> int:
    inventory = load(args.inventory)
    board = inventory.board(args.board)
    kind = kinds.for_board(board)
    try:
        status = {"start": lambda: kind.start(board, inventory), "stop": lambda: kind.stop(board),
                  "status": lambda: kind.status(board)}[args.action]()
    except manager.VboardError as e:
        print(f"bootlab: {e}", file=sys.stderr)
        return EXIT_ERROR
    if args.json:
        print(json.dumps({"board": status.name, "running": status.running, "power": status.power, "boot": status.boot,
                          "bmc": status.bmc, "state": str(status.state)}))
    else:
        print(status.text())
    return EXIT_PASS
