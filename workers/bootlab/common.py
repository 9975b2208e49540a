"""What every bootlab command shares: the inventory option, usage errors, argument checks, tables."""
from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

from rustux_bootlab.lab.inventory import Inventory, load_inventory

DEFAULT_INVENTORY = Path("lab-inventory.yaml")
FORMATTER = argparse.RawDescriptionHelpFormatter


class UsageError(Exception):
    """A command-line or configuration problem: one line, exit status 2."""


def add_command(sub: argparse._SubParsersAction, name: str, func: Callable[[argparse.Namespace], int], *,
                help: str, description: str, examples: Sequence[str], notes: str = "",
                inventory: bool = True) -> argparse.ArgumentParser:
    """A subcommand whose help ends with examples (and `notes`); `func(args)` returns the exit status."""
    epilog = "examples:\n" + "".join(f"  {e}\n" for e in examples) + (f"\n{notes}" if notes else "")
    parser = sub.add_parser(name, help=help, description=description, epilog=epilog, formatter_class=FORMATTER)
    if inventory:
        inventory_option(parser)
    parser.set_defaults(func=func)
    return parser


def inventory_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--inventory", type=Path, default=DEFAULT_INVENTORY, metavar="FILE",
                        help="lab inventory (default: ./lab-inventory.yaml)")


def load(path: Path, check_files: bool = True) -> Inventory:
    if not path.exists():
        raise UsageError(f"inventory {path} does not exist: run from the repository root or pass --inventory FILE")
    return load_inventory(path, check_files=check_files)


def require_exists(path: Path | None, what: str, fix: str) -> None:
    """`what` names the option or file (`--image build/esp`), `fix` says what to do."""
    if path is not None and not path.exists():
        raise UsageError(f"{what} does not exist: {fix}")


def require_positive(value: float | None, flag: str) -> None:
    if value is not None and value <= 0:
        raise UsageError(f"{flag} {value:g}: must be a positive number of seconds")


def print_table(rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
