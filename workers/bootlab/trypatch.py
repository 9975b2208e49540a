"""`bootlab try [--target NAME ...]`: boot this checkout's changes on the lab, through Buildbot's try.

Exit status: the worst verdict's (0 PASS, 1 FAIL, 3 ERROR, 4 MISS; lab.verdict.worst);
2 usage, nothing to try, a refused login or an unreachable master.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rustux_bootlab.lab.contract import KERNEL_BUILDER
from rustux_bootlab.lab.verdict import EXIT_ERROR, EXIT_USAGE, worst
from rustux_bootlab.workers.bootlab.common import UsageError, add_command, load, require_positive
from rustux_bootlab.workers.tryjob.client import OPTIONS, TryError, credentials, read_options, submit
from rustux_bootlab.workers.tryjob.patch import try_patch
from rustux_bootlab.workers.tryjob.source import SourceError
from rustux_bootlab.workers.tryjob.watch import TryWatch, WatchError, kernel_build_verdict



def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "try", _cmd_try,
        help="boot this checkout's uncommitted changes (and unpushed commits) on the lab",
        description="Send the difference between the master's branch and this working tree (commits\n"
        "not on the branch, staged, unstaged and new files) to the master's try scheduler, then\n"
        "print each target's milestones and verdict as its boot reaches them. Repository, branch\n"
        "and base revision come from this checkout and the inventory. Credentials: try_username\n"
        f"and try_passwd in {OPTIONS}, else asked once at the terminal (never from the command line).",
        examples=["bootlab try", "bootlab try --target q35-pflash --target pc-bios"],
        notes="exit status: the worst verdict (0 PASS, 1 FAIL, 3 ERROR, 4 MISS); 2 when nothing was tried.\n")
    p.add_argument("--target", action="append", default=[], metavar="NAME",
                   help="boot only on this target or board (repeatable; default: all the kernel build boots)")
    p.add_argument("--master", metavar="HOST:PORT",
                   help="the try port (default: try_master in the options file, else 127.0.0.1:8031)")
    p.add_argument("--web", metavar="URL", help="the web UI (default: bootlab_web in the options file, "
                   "else http://127.0.0.1:8010/)")
    p.add_argument("--branch", help="the master's branch (default: the inventory's lab.kernel.branch, else main)")
    p.add_argument("--timeout", type=float, default=900, metavar="S",
                   help="give up following the try after S seconds (default 900)")
    p.add_argument("--connect-timeout", type=float, default=10, metavar="S",
                   help="bound on connecting, logging in and submitting (default 10)")


def _cmd_try(args: argparse.Namespace) -> int:
    require_positive(args.timeout, "--timeout")
    require_positive(args.connect_timeout, "--connect-timeout")
    inventory = load(args.inventory, check_files=False)
    names = sorted([*inventory.targets, *inventory.boards])
    unknown = [t for t in args.target if t not in names]
    if unknown:
        raise UsageError(f"--target {unknown[0]}: not in {args.inventory} (targets and boards: {', '.join(names)})")
    started = time.monotonic()
    try:
        tried = try_patch(Path.cwd(), inventory.lab, args.branch, args.target)
        options = read_options(OPTIONS)
        master = args.master or str(options.get("try_master") or "127.0.0.1:8031")
        web = args.web or str(options.get("bootlab_web") or "http://127.0.0.1:8010/")
        web = web if web.endswith("/") else web + "/"
        who = credentials(options, OPTIONS)
        submit(master, who, tried.job, args.connect_timeout)
    except (SourceError, TryError) as e:
        print(f"bootlab try: {e}", file=sys.stderr)
        return EXIT_USAGE
    source = tried.source
    print(f"try: {source.subject} by {source.author}, {len(source.patch)} bytes on {source.branch} at "
          f"{source.base[:12]}", flush=True)
    watch = TryWatch(web, tried.try_id, say=lambda line: print(line, flush=True))
    try:
        build = watch.follow(KERNEL_BUILDER, args.timeout)
    except WatchError as e:
        print(f"bootlab try: {e}", file=sys.stderr)
        return EXIT_ERROR
    verdicts = [b.verdict for b in watch.boots.values() if b.verdict is not None]
    if not verdicts:
        verdict = kernel_build_verdict(build)
        if verdict is None:
            print(f"try: the kernel build booted nothing ({build['state_string']})", flush=True)
            return EXIT_ERROR
        head = f"{verdict[0].value}/{verdict[1].value}" if verdict[1] else verdict[0].value
        print(f"try: {head}: the kernel build ended: {build['state_string']}  ({watch.build_url(build)})")
        return verdict[0].exit_code
    final = worst(verdicts)
    assert final is not None and watch.first_verdict_at is not None  # verdicts were printed
    first = watch.first_verdict_at - started
    print(f"try: {final.value} ({len(verdicts)} boots) in {time.monotonic() - started:.1f} s, "
          f"first verdict after {first:.1f} s")
    return final.exit_code
