"""`bootlab`: boot images on the lab's targets and boards, and run the lab around them.

One module per command group, each with `register(sub)` adding its subcommands to the
parser; adding a command is a new module here and one line in COMMANDS. Every command
raises UsageError (exit 2) for bad input; a crash exits 3, never 1 (which means FAIL).

Exit status: 0 PASS (or done), 1 FAIL, 2 usage or config error, 3 ERROR, 4 MISS.
"""
from __future__ import annotations

import argparse
import sys
import traceback

from lab.inventory import InventoryError
from lab.milestones import SpecError
from lab.verdict import EXIT_ERROR, EXIT_USAGE
from workers.bootlab import boards, boot, console, firmware, pxe_server, quarantine, targets, vboard
from workers.bootlab.common import FORMATTER, UsageError

COMMANDS = (boot, targets, firmware, boards, vboard, quarantine, console, pxe_server)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (UsageError, InventoryError, SpecError) as exc:
        print(f"bootlab: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception:  # a crash must never exit 1, which means FAIL: the kernel's fault
        traceback.print_exc()
        print("bootlab: internal error (traceback above): a lab bug, not a kernel failure", file=sys.stderr)
        return EXIT_ERROR


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bootlab",
        description="Boot EFI images on the Rustux Boot Lab's targets and say whose fault a failure is.",
        epilog="examples:\n  bootlab targets\n  bootlab boot --target q35-pflash --image build/esp\n"
        "  bootlab inspect-firmware /usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/OVMF/OVMF_VARS_4M.fd\n\n"
        "`bootlab COMMAND --help` shows each command's options.",
        formatter_class=FORMATTER,
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return p
