"""`bootlab quarantine NAME --reason TEXT` and `bootlab release NAME`: a target or board out of
service until released. While quarantined its boots end in MISS (exit 4), naming who and why
(lab/outcomes.py row 2); the health lives in `$BOOTLAB_STATE/<name>/health.json`.
"""
from __future__ import annotations

import argparse
import getpass

from rustux_bootlab.lab.health import HealthError
from rustux_bootlab.lab.verdict import EXIT_PASS
from rustux_bootlab.workers import health
from rustux_bootlab.workers.bootlab.common import UsageError, add_command, load


def register(sub: argparse._SubParsersAction) -> None:
    quarantine = add_command(
        sub, "quarantine", lambda a: _cmd_change(a, "quarantined"),
        help="take a target or board out of service until released",
        description="Quarantine a target or board: its boots end in MISS (exit 4), naming you and your\n"
        "reason, until `bootlab release`. The lab quarantines a board by itself after repeated\n"
        "ERRORs that blame the board.",
        examples=["bootlab quarantine vboard-1 --reason 'BMC drops every second command'",
                  "bootlab release vboard-1 --reason 'BMC firmware updated'"])
    quarantine.add_argument("--reason", required=True, help="what is wrong, for whoever releases it")

    release = add_command(sub, "release", lambda a: _cmd_change(a, "released"),
                          help="put a quarantined target or board back in service",
                          description="Release a quarantined target or board: it is good again and takes boots.",
                          examples=["bootlab release vboard-1 --reason 'BMC replaced'"])
    release.add_argument("--reason", default="", help="what was done about it")
    for parser, verb in ((quarantine, "quarantines"), (release, "releases")):
        parser.add_argument("name", metavar="NAME", help="a target or board of the inventory")
        parser.add_argument("--by", default=getpass.getuser(), help=f"who {verb} it (default: your user name)")


def _cmd_change(args: argparse.Namespace, change: str) -> int:
    inventory = load(args.inventory)
    if args.name not in inventory.targets and args.name not in inventory.boards:
        known = ", ".join([*inventory.targets, *inventory.boards])
        raise UsageError(f"{args.name!r} is neither a target nor a board of {inventory.path}: one of {known}")
    try:
        record = health.update(args.name, lambda r: getattr(r, change)(args.by, args.reason, health.now()))
    except HealthError as e:
        raise UsageError(f"{args.name}: {e}") from None
    print(f"{args.name}: {record.describe()}")
    return EXIT_PASS
