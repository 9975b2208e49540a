"""`bootlab console NAME [--watch]`: a board's console (SOL or serial) on this terminal.

Exit status: 0 detached, 2 usage or config error, 3 the console could not be opened,
4 the board is held by another session.
"""
from __future__ import annotations

import argparse
import math
import os
import select
import sys
import termios
import time
import tty
from dataclasses import replace
from pathlib import Path

from rustux_bootlab.lab.verdict import EXIT_ERROR, EXIT_PASS, Verdict
from rustux_bootlab.workers.board.lock import BoardBusy, BoardLock
from rustux_bootlab.workers.bootlab.common import UsageError, add_command, load, require_exists, require_positive
from rustux_bootlab.workers.board.error import ConsoleError
from rustux_bootlab.workers.console.base import ConsoleDown, ConsoleGap
from rustux_bootlab.workers.console.escape import EscapeFilter
from rustux_bootlab.workers.interrupt import interruptible
from rustux_bootlab.workers.progress import TerminalProgress



def register(sub: argparse._SubParsersAction) -> None:
    console = add_command(
        sub, "console", _cmd_console,
        help="attach to a board's console (SOL or serial), or boot a QEMU target with COM1 on the terminal",
        description="Attach the terminal to a board's console. Interactive: keys go to the board, `~.` at the\n"
        "start of a line quits. With --watch the console is only read (and the board is not taken).\n"
        "Interactive use takes the board's lock, so no boot runs underneath you.\n\n"
        "With --target NAME --image PATH: boot the image on a QEMU target with the terminal on COM1\n"
        "(keys to COM1, `~.` detaches), the firmware restored from a snapshot unless --no-warm.\n"
        "Milestones tick and the boot record is written as for any boot;\n"
        "the boot runs until you detach or QEMU exits; the spec's conversation steps are left to you.",
        examples=["bootlab console vboard-1", "bootlab console vboard-1 --watch",
                  "bootlab console --target q35-pflash --image build/esp"],
        notes="exit status: 0 detached, 2 usage/config error, 3 the console could not be opened, 4 the board is held;\n"
        "with --target: the boot's verdict (0 PASS, 1 FAIL, 3 ERROR: also when detached before a verdict, 4 MISS)")
    console.add_argument("board", metavar="NAME", nargs="?", help="the board (see `bootlab boards`)")
    console.add_argument("--watch", action="store_true", help="read only: print the console, send nothing")
    target = console.add_argument_group("QEMU targets")
    target.add_argument("--target", metavar="NAME", help="boot --image on this target (see `bootlab targets`)")
    target.add_argument("--image", type=Path, metavar="PATH", help="ESP directory, .efi file, or FAT image")
    target.add_argument("--milestones", type=Path, metavar="FILE", help="milestone spec (default: the target's)")
    target.add_argument("--out", type=Path, metavar="DIR", help="boot record directory (default: build/boots/<target>-console-<time>)")
    target.add_argument("--timeout", type=float, metavar="SECONDS", help="end the boot after this long (default: never)")
    target.add_argument("--warm", action=argparse.BooleanOptionalAction, default=True,
                        help="restore the firmware from a snapshot (default; cold when it cannot, with a warning)")


def _cmd_console(args: argparse.Namespace) -> int:
    if bool(args.board) == bool(args.target):
        raise UsageError("console needs a board NAME or --target NAME --image PATH: one of them")
    if args.target:
        return _target_console(args)
    # Imported here: the session pulls in pyghmi and paramiko (~150 ms), which every other
    # bootlab command would pay.
    from rustux_bootlab.workers.board.parts import board_console

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


def _target_console(args: argparse.Namespace) -> int:
    """A QEMU boot with the terminal on COM1: an ordinary boot (health, record) whose end is
    the person's, through `PersonAtConsole` (workers/qemu/person.py)."""
    from rustux_bootlab.workers.bootlab.boot import BOOTS_DIR, BootJob, run_boot, target_spec  # the QEMU runner: only here
    from rustux_bootlab.workers.qemu.machine import BootRequest
    from rustux_bootlab.workers.qemu.person import PersonAtConsole
    from rustux_bootlab.workers.triage import boot_cold
    from rustux_bootlab.workers.warm.boot import boot_warm

    if args.image is None:
        raise UsageError("--target needs --image PATH: the ESP directory, .efi or FAT image to boot")
    require_exists(args.image, f"--image {args.image}", "build it first (make kernel) or fix the path")
    require_positive(args.timeout, "--timeout")
    target = load(args.inventory, check_files=False).target(args.target)
    spec = replace(target_spec(args.milestones or target.milestones), conversation=None)
    out = args.out or BOOTS_DIR / f"{target.name}-console-{time.strftime('%Y%m%d-%H%M%S')}"
    with _raw_terminal(not args.watch) as keys:
        person = PersonAtConsole(keys, sys.stdout.buffer)
        request = BootRequest(target=target, image=args.image, spec=spec, out=out,
                              timeout_s=args.timeout or math.inf, attachments=(person,))
        progress = TerminalProgress(_RawLines())
        progress.event(f"{target.name}: COM1 on this terminal" + ("; ~. to detach" if keys is not None else
                                                                  " (read-only; Ctrl-C to stop)"))
        boot = boot_warm if args.warm else boot_cold  # a person waits: restore the firmware, do not boot it
        job = BootJob("target", target.name, args.image, out, spec.total, target.enabled,
                      lambda p, interrupt: boot(request, p, interrupt))
        return run_boot(job, progress, as_json=False).outcome.exit_code


class _RawLines:
    """stderr while the terminal is raw: a line end must return the carriage too."""

    def write(self, text: str) -> None:
        sys.stderr.write(text.replace("\n", "\r\n"))

    def flush(self) -> None:
        sys.stderr.flush()


def _attach(console, keys: int | None, interrupt) -> None:
    escape = EscapeFilter()
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
        send, detach = escape.feed(data)
        if send:
            try:
                console.write(send)
            except ConsoleDown as e:
                out.write(f"\r\n[bootlab: not sent: {e}]\r\n".encode())
        if detach:
            return


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
