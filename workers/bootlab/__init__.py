"""`bootlab`: boot images on the lab's targets and boards, and run the lab around them.

One module per command group, each with `register(sub)` adding its subcommands to the
parser; adding a command is a new module here and one line per command in COMMANDS.
`bootlab NAME ...` imports only NAME's module: a boot does not pay for the board drivers
(`bench/boot_latency.py` measures what a boot costs beyond QEMU's own time). Every command
raises UsageError (exit 2) for bad input; a crash exits 3, never 1 (which means FAIL).

Exit status: 0 PASS (or done), 1 FAIL, 2 usage or config error, 3 ERROR, 4 MISS.
"""
from __future__ import annotations

import os
import signal
import sys
from typing import TYPE_CHECKING

from rustux_bootlab.workers.lifeline import die_with_parent

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
# Nothing of the lab at import time: `run` starts a boot's QEMU early (workers/qemu/earlystart.py)
# before the ~0.1 s of importing it; `main` and `parser` import what they use.

# What a Buildbot worker runs: each gets SIGTERM (a clean stop: QEMU stopped, a board powered off
# and released) when the process that started it dies, so a killed worker leaves nothing running.
LIFELINE_COMMANDS = frozenset({"boot", "bisect", "power", "warm"})

# command -> the module of workers/bootlab that registers it, in the order help lists them
COMMANDS = {
    "boot": "boot",
    "targets": "targets",
    "environments": "environments",
    "inspect-firmware": "firmware",
    "boards": "boards",
    "power": "boards",
    "bmc-check": "bmc_check",
    "vboard": "vboard",
    "quarantine": "quarantine",
    "release": "quarantine",
    "console": "console",
    "pxe-server": "pxe_server",
    "warm": "warm",
    "bisect": "bisect",
    "kcidb": "kcidb",
    "try": "trypatch",
    "screen": "screen",
}


def main(argv: list[str] | None = None) -> int:
    from rustux_bootlab.lab.inventory import InventoryError
    from rustux_bootlab.lab.milestones import SpecError
    from rustux_bootlab.lab.verdict import EXIT_ERROR, EXIT_USAGE
    from rustux_bootlab.workers.bootlab.common import UsageError

    argv = sys.argv[1:] if argv is None else argv
    args = parser(argv).parse_args(argv)
    try:
        return args.func(args)
    except (UsageError, InventoryError, SpecError) as exc:
        print(f"bootlab: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception:  # a crash must never exit 1, which means FAIL: the kernel's fault
        import traceback  # only now: importing it costs every boot ~10 ms

        traceback.print_exc()
        print("bootlab: internal error (traceback above): a lab bug, not a kernel failure", file=sys.stderr)
        return EXIT_ERROR


def run() -> None:
    """The console script. After a boot it exits without tearing the interpreter down (its
    ~180 modules: 40 ms of CPU, a quarter of what a boot costs beyond QEMU): by then the
    runner has closed every file it wrote and reaped QEMU, and the boot runs no threads.
    Other commands (SSH and IPMI libraries with threads of their own) exit the usual way."""
    if sys.argv[1:2] and sys.argv[1] in LIFELINE_COMMANDS:
        die_with_parent(signal.SIGTERM, os.getppid())
    if sys.argv[1:2] != ["boot"]:
        sys.exit(main())
    from rustux_bootlab.workers.qemu import earlystart

    earlystart.start(sys.argv[2:])
    try:
        status = main()
    finally:
        earlystart.discard()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe: the status still says what happened
        pass
    os._exit(status)


def parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser for `argv`: with only its command's module registered when `argv` starts
    with a command, else (help, a typo) with all of them."""
    import argparse
    import importlib

    from rustux_bootlab.workers.bootlab.common import FORMATTER

    p = argparse.ArgumentParser(
        prog="bootlab",
        description="Boot EFI images on the Rustux Boot Lab's targets and say whose fault a failure is.",
        epilog="examples:\n  bootlab targets\n  bootlab boot --target q35-pflash --image build/esp\n"
        "  bootlab inspect-firmware /usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/OVMF/OVMF_VARS_4M.fd\n\n"
        "`bootlab COMMAND --help` shows each command's options.",
        formatter_class=FORMATTER,
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    wanted = COMMANDS.get(argv[0]) if argv else None
    for module in [wanted] if wanted else dict.fromkeys(COMMANDS.values()):
        importlib.import_module(f"rustux_bootlab.workers.bootlab.{module}").register(sub)
    return p
