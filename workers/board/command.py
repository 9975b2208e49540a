"""`bootlab boot --board NAME --image PATH` and `bootlab console NAME [--watch]`.

Same verdicts and exit codes as a QEMU target: 0 PASS, 1 FAIL, 2 usage/config error,
3 ERROR (board, BMC, console, deploy or lab at fault), 4 MISS (the board is held by
another session or out of service).
"""
from __future__ import annotations

import argparse
import json
import os
import select
import sys
import termios
import time
import tty
from collections.abc import Callable
from pathlib import Path

from lab.inventory import DEFAULT_MILESTONES, Inventory
from lab.milestones import load_spec
from lab.verdict import EXIT_ERROR, EXIT_PASS, EXIT_USAGE, Culprit, Outcome, Verdict
from workers.board.lock import BoardBusy, BoardLock
from workers.board.spec import BoardSpecError, board_view
from workers.console.base import ConsoleDown, ConsoleError, ConsoleGap
from workers.deploy import pxeserver
from workers.interrupt import interruptible
from workers.progress import MachineProgress, TerminalProgress
from workers.record import write_result

ESCAPE = b"~."  # at the start of a line, like ssh


def board_boot(args: argparse.Namespace, inventory: Inventory) -> int:
    # Imported here: the session pulls in pyghmi and paramiko (~150 ms), which every
    # `bootlab boot --target` would otherwise pay before QEMU starts.
    from workers.board.session import BoardBootRequest, BoardRecord, BoardSession

    board = inventory.board(args.board)
    spec_path = args.milestones or board.milestones or inventory.path.parent / DEFAULT_MILESTONES
    if not Path(spec_path).exists():
        print(f"bootlab: milestone spec {spec_path} does not exist: pass --milestones FILE", file=sys.stderr)
        return EXIT_USAGE
    if not args.image.exists():
        print(f"bootlab: --image {args.image} does not exist: build it first (make kernel) or fix the path", file=sys.stderr)
        return EXIT_USAGE
    if args.timeout is not None and args.timeout <= 0:
        print(f"bootlab: --timeout {args.timeout:g}: must be a positive number of seconds", file=sys.stderr)
        return EXIT_USAGE
    out = args.out or Path("build/boots") / f"{board.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    progress = TerminalProgress(sys.stderr) if sys.stderr.isatty() and not args.json else MachineProgress(sys.stderr)
    spec = load_spec(spec_path)
    try:
        board_view(spec)
    except BoardSpecError as e:
        print(f"bootlab: board {board.name}: {e}", file=sys.stderr)
        return EXIT_USAGE
    request = BoardBootRequest(board, args.image, spec, out, args.timeout or board.boot_timeout_s)
    if board.health == "out-of-service":
        outcome = Outcome(Verdict.MISS, Culprit.LAB, f"board {board.name} is out of service in the inventory", None)
        record = BoardRecord(outcome, board.name, {"path": str(args.image), "sha256": None}, {}, {})
        out.mkdir(parents=True, exist_ok=True)
        write_result(out, record.to_dict())
        result_dict = record.to_dict()
    else:
        with interruptible() as interrupt:
            result = BoardSession(request, progress, interrupt).run()
        outcome, result_dict = result.outcome, result.to_dict()
    progress.verdict(outcome)
    if args.json:
        print(json.dumps(result_dict, indent=2))
    else:
        progress.event(f"boot record: {out}")
    return outcome.exit_code


def add_commands(sub: argparse._SubParsersAction, inventory_option: Callable[[argparse.ArgumentParser], None],
                 load: Callable[[Path], Inventory]) -> None:
    """`bootlab console` and `bootlab pxe-server` (`boot --board` hangs off `boot`)."""
    pxeserver.add_command(sub, inventory_option, load)
    console = sub.add_parser(
        "console", help="attach to a board's console (SOL or serial)",
        description="Attach the terminal to a board's console. Interactive: keys go to the board, `~.` at the\n"
        "start of a line quits. With --watch the console is only read (and the board is not taken).\n"
        "Interactive use takes the board's lock, so no boot runs underneath you.",
        epilog="examples:\n  bootlab console vboard-1\n  bootlab console vboard-1 --watch\n\n"
        "exit status: 0 detached, 2 usage/config error, 3 the console could not be opened, 4 the board is held",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    inventory_option(console)
    console.add_argument("board", metavar="NAME")
    console.add_argument("--watch", action="store_true", help="read only: print the console, send nothing")
    console.set_defaults(func=lambda a: console_command(a, load(a.inventory)))


def console_command(args: argparse.Namespace, inventory: Inventory) -> int:
    from workers.board.session import board_console  # pyghmi: see board_boot

    board = inventory.board(args.board)
    lock = None
    if not args.watch:
        lock = BoardLock(board)
        try:
            lock.acquire("bootlab console")
        except BoardBusy as e:
            print(f"bootlab: {e}: use --watch to follow it read-only", file=sys.stderr)
            return Verdict.MISS.exit_code
    start = time.monotonic()
    try:
        console = board_console(board, lambda: time.monotonic() - start)
        console.open()
    except ConsoleError as e:
        print(f"bootlab: {e}", file=sys.stderr)
        if lock is not None:
            lock.release()
        return EXIT_ERROR
    try:
        with interruptible() as interrupt, _raw_terminal(not args.watch) as keys:
            # Said once the terminal is raw: keys typed from now on reach the board.
            sys.stderr.write(f"bootlab: attached to {board.name}'s console"
                             + (" (read-only; Ctrl-C to quit)" if args.watch else "; ~. to quit") + "\r\n")
            sys.stderr.flush()
            _attach(console, keys, interrupt)
    finally:
        console.close()
        if lock is not None:
            lock.release()
    print(f"\r\nbootlab: detached from {board.name}", file=sys.stderr)
    return EXIT_PASS


def _attach(console, keys: int | None, interrupt) -> None:
    at_line_start, pending_tilde = True, False
    out = sys.stdout.buffer
    while not interrupt:
        for chunk in console.read(0.05):
            if isinstance(chunk, ConsoleGap):
                out.write(f"\r\n[bootlab: {chunk.text()}]\r\n".encode())
            else:
                out.write(chunk)
            out.flush()
        if keys is None or not select.select([keys], [], [], 0)[0]:
            continue
        data = os.read(keys, 1024)
        if not data:
            return
        send = b""
        for byte in data:
            b = bytes([byte])
            if pending_tilde:
                pending_tilde = False
                if b == b".":
                    return
                send += b"~" if b == b"~" else b"~" + b
            elif b == b"~" and at_line_start:
                pending_tilde = True
                continue
            else:
                send += b
            at_line_start = b in (b"\r", b"\n")
        if send:
            try:
                console.write(send)
            except ConsoleDown as e:
                out.write(f"\r\n[bootlab: not sent: {e}]\r\n".encode())


class _raw_terminal:
    """stdin in raw mode while interactive (keys go to the board as typed); restored after."""

    def __init__(self, interactive: bool) -> None:
        self.fd = sys.stdin.fileno() if interactive else None
        self.saved: list | None = None

    def __enter__(self) -> int | None:
        if self.fd is not None and os.isatty(self.fd):
            self.saved = termios.tcgetattr(self.fd)
            tty.setraw(self.fd)
        return self.fd

    def __exit__(self, *exc: object) -> None:
        if self.saved is not None and self.fd is not None:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)
