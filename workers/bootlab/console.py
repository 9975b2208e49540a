"""`bootlab console NAME [--watch]`: a board's console (SOL or serial) on this terminal.

Exit status: 0 detached, 2 usage or config error, 3 the console could not be opened,
4 the board is held by another session.
"""
from __future__ import annotations

import argparse
import os
import select
import sys
import termios
import time
import tty

from lab.verdict import EXIT_ERROR, EXIT_PASS, Verdict
from workers.board.lock import BoardBusy, BoardLock
from workers.bootlab.common import add_command, load
from workers.board.error import ConsoleError
from workers.console.base import ConsoleDown, ConsoleGap
from workers.interrupt import interruptible

ESCAPE = b"~."  # at the start of a line, like ssh


def register(sub: argparse._SubParsersAction) -> None:
    console = add_command(
        sub, "console", _cmd_console, help="attach to a board's console (SOL or serial)",
        description="Attach the terminal to a board's console. Interactive: keys go to the board, `~.` at the\n"
        "start of a line quits. With --watch the console is only read (and the board is not taken).\n"
        "Interactive use takes the board's lock, so no boot runs underneath you.",
        examples=["bootlab console vboard-1", "bootlab console vboard-1 --watch"],
        notes="exit status: 0 detached, 2 usage/config error, 3 the console could not be opened, 4 the board is held")
    console.add_argument("board", metavar="NAME")
    console.add_argument("--watch", action="store_true", help="read only: print the console, send nothing")


def _cmd_console(args: argparse.Namespace) -> int:
    # Imported here: the session pulls in pyghmi and paramiko (~150 ms), which every other
    # bootlab command would pay.
    from workers.board.session import board_console

    board = load(args.inventory).board(args.board)
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
