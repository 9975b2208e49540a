"""`bootlab console --target NAME --image PATH`: boot an image on a QEMU target with the
terminal on COM1, as `bootlab console NAME` attaches to a board: keys go to COM1, `~.` at
the start of a line detaches. The boot is an ordinary one (firmware check, every channel
captured, milestones matched and ticked, boot record written); only the end differs: it
runs until the person detaches or QEMU exits, not until the verdict, and the spec's
conversation is left out (the person is the conversation). Detaching before a verdict is
ERROR/lab, as an interrupted boot is.
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from pathlib import Path

from lab.inventory import Inventory
from lab.milestones import load_spec
from lab.verdict import EXIT_USAGE
from workers.attach import Attachment
from workers.board.command import raw_terminal
from workers.boot import BootRequest, BootSession
from workers.interrupt import interruptible
from workers.progress import TerminalProgress


class _RawLines:
    """stderr while the terminal is raw: a line end must also return the carriage."""

    def write(self, text: str) -> None:
        sys.stderr.write(text.replace("\n", "\r\n"))

    def flush(self) -> None:
        sys.stderr.flush()


def target_console(args: argparse.Namespace, inventory: Inventory) -> int:
    target = inventory.target(args.target)
    spec_path = args.milestones or target.milestones
    problem = None
    if args.image is None:
        problem = "--target needs --image PATH: the ESP directory, .efi or FAT image to boot"
    elif not args.image.exists():
        problem = f"--image {args.image} does not exist: build it first (make kernel) or fix the path"
    elif not Path(spec_path).exists():
        problem = f"milestone spec {spec_path} does not exist: pass --milestones FILE"
    elif args.timeout is not None and args.timeout <= 0:
        problem = f"--timeout {args.timeout:g}: must be a positive number of seconds"
    if problem:
        print(f"bootlab: {problem}", file=sys.stderr)
        return EXIT_USAGE
    spec = dataclasses.replace(load_spec(spec_path), conversation=None)
    out = args.out or Path("build/boots") / f"{target.name}-console-{time.strftime('%Y%m%d-%H%M%S')}"
    interactive = not args.watch
    with interruptible() as interrupt, raw_terminal(interactive) as keys:
        attach = Attachment(sys.stdin.buffer if keys is not None else None, sys.stdout.buffer)
        progress = TerminalProgress(_RawLines())
        progress.event(f"console on {target.name}'s COM1" + ("; ~. to detach" if interactive else " (read-only; Ctrl-C to quit)"))
        request = BootRequest(target=target, image=args.image, spec=spec, out=out,
                              timeout_s=args.timeout or math.inf, attach=attach)
        result = BootSession(request, progress, interrupt).run()
        progress.verdict(result.outcome)
        progress.event(f"boot record: {result.out}")
    return result.outcome.exit_code
