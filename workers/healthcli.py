"""`bootlab quarantine NAME --reason TEXT`, `bootlab release NAME`, and health around `bootlab boot`.

A quarantined target or board takes no boots: `bootlab boot` ends in MISS (exit 4) with a
reason naming who quarantined it and why. Every board boot's verdict updates the board's
health (lab/health.py); the state lives in `$BOOTLAB_STATE/<name>/health.json`.
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from lab.board import Board
from lab.health import Health, HealthError
from lab.inventory import Inventory
from lab.verdict import EXIT_PASS, EXIT_USAGE, Culprit, Outcome, Verdict
from workers import health
from workers.progress import MachineProgress, TerminalProgress
from workers.record import RESULT, BootRecord, write_result


def add_commands(sub: argparse._SubParsersAction, inventory_option: Callable[[argparse.ArgumentParser], None],
                 load: Callable[[Path], Inventory]) -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    quarantine = sub.add_parser(
        "quarantine", help="take a target or board out of service until released",
        description="Quarantine a target or board: its boots end in MISS (exit 4), naming you and your\n"
        "reason, until `bootlab release`. The lab quarantines a board by itself after repeated\n"
        "ERRORs that blame the board.",
        epilog="examples:\n  bootlab quarantine vboard-1 --reason 'BMC drops every second command'\n"
        "  bootlab release vboard-1 --reason 'BMC firmware updated'", formatter_class=fmt)
    inventory_option(quarantine)
    quarantine.add_argument("name", metavar="NAME", help="a target or board of the inventory")
    quarantine.add_argument("--reason", required=True, help="what is wrong, for whoever releases it")
    quarantine.add_argument("--by", default=getpass.getuser(), help="who quarantines it (default: your user name)")
    quarantine.set_defaults(func=lambda a: _cmd_change(a, load(a.inventory), "quarantined"))

    release = sub.add_parser("release", help="put a quarantined target or board back in service",
                             description="Release a quarantined target or board: it is good again and takes boots.",
                             epilog="examples:\n  bootlab release vboard-1 --reason 'BMC replaced'", formatter_class=fmt)
    inventory_option(release)
    release.add_argument("name", metavar="NAME", help="a target or board of the inventory")
    release.add_argument("--reason", default="", help="what was done about it")
    release.add_argument("--by", default=getpass.getuser(), help="who releases it (default: your user name)")
    release.set_defaults(func=lambda a: _cmd_change(a, load(a.inventory), "released"))


def _cmd_change(args: argparse.Namespace, inventory: Inventory, change: str) -> int:
    if args.name not in inventory.targets and args.name not in inventory.boards:
        known = ", ".join([*inventory.targets, *inventory.boards])
        print(f"bootlab: {args.name!r} is neither a target nor a board of {inventory.path}: one of {known}",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        record = health.update(args.name, lambda r: getattr(r, change)(args.by, args.reason, health.now()))
    except HealthError as e:
        print(f"bootlab: {args.name}: {e}", file=sys.stderr)
        return EXIT_USAGE
    print(f"{args.name}: {record.describe()}")
    return EXIT_PASS


def guarded_boot(args: argparse.Namespace, boot: Callable[[argparse.Namespace], int]) -> int:
    """`bootlab boot` with health: MISS without booting while quarantined; else boot, then
    let the verdict update the health."""
    kind, name = ("board", args.board) if args.board else ("target", args.target)
    if args.out is None:  # both boot paths' default, fixed here so the record can be read back
        args.out = Path("build/boots") / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    try:
        miss = quarantine_miss(kind, name)
    except HealthError as e:
        print(f"bootlab: {e}", file=sys.stderr)
        return EXIT_USAGE
    if miss is not None:
        record = BootRecord(miss, name, {"path": str(args.image), "sha256": None}, {}, {})
        args.out.mkdir(parents=True, exist_ok=True)
        write_result(args.out, record.to_dict())
        progress = TerminalProgress(sys.stderr) if sys.stderr.isatty() and not args.json else MachineProgress(sys.stderr)
        progress.verdict(miss)
        if args.json:
            print(json.dumps(record.to_dict(), indent=2))
        return miss.exit_code
    started = time.time()
    status = boot(args)
    # Only a board's verdicts move its health. A QEMU target's ERROR/host comes as often from a
    # per-boot override (--accel kvm) or a test's own inventory as from the target, and all of
    # them share one state dir: counting them would quarantine real targets for a test's sake.
    if args.board and status != EXIT_USAGE:
        record_result(name, args.out, started)
    return status


def quarantine_miss(kind: str, name: str) -> Outcome | None:
    """MISS for a quarantined target or board, naming who quarantined it and why; else None."""
    record = health.load(name)
    if record.state is not Health.QUARANTINED:
        return None
    return Outcome(Verdict.MISS, Culprit.LAB, f"{kind} {name} is {record.describe()} (bootlab release {name})", None)


def record_result(name: str, out: Path, started: float) -> None:
    """The health after a boot whose record is in `out` (nothing to learn when this boot wrote none)."""
    try:
        if (out / RESULT).stat().st_mtime < started:
            return
        data = json.loads((out / RESULT).read_text())
        outcome = Outcome(Verdict(data["verdict"]), Culprit(data["culprit"]) if data.get("culprit") else None,
                          data.get("reason", ""), data.get("last_milestone"))
    except (OSError, ValueError, KeyError):
        return
    try:
        health.record_boot(name, outcome)
    except HealthError as e:  # the verdict stands; only its effect on the health is lost
        print(f"bootlab: health of {name} not updated: {e}", file=sys.stderr)


def board_health(board: Board) -> str:
    """`bootlab boards`' HEALTH column: the inventory's word (`ok`, `degraded`, `out-of-service`)
    unless the lab suspects or quarantined the board."""
    try:
        record = health.load(board.name)
    except HealthError as e:
        return f"unknown ({e})"
    return board.health if record.state is Health.GOOD else record.describe()
