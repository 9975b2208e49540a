"""`bootlab bisect --repo PATH --good REV --bad REV --target NAME [--json]`.

Exit status: 0 a culprit confirmed, 1 no confirmed culprit in the range, 2 usage error,
3 the lab failed (a lab fault kept the bisection from an answer).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from rustux_bootlab.lab.bisection import summary_line
from rustux_bootlab.workers.bisect import BisectError, BisectRequest, BisectRun
from rustux_bootlab.workers.bootlab import common
from rustux_bootlab.workers.interrupt import interruptible

BISECT_JSON = "bisect.json"

NOTES = """Each step checks the commit out in a scratch worktree of --repo (your checkout is not
touched), builds it with its own scripts/build-kernel.sh and boots it with its own
kernel/milestones.yaml. PASS is good, FAIL (code) bad; an ERROR boots once more and is
then skipped, like a MISS or a commit that does not build. The bad end must fail and the
good end pass again first; the culprit must fail again and its parent pass again after.

record (--out): bisect.json, and per step NN-<phase>-<commit>/ with build.log and boot/.
exit status: 0 culprit confirmed, 1 no confirmed culprit in the range, 2 usage error,
             3 the lab failed (lab faults kept the bisection from an answer)
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = common.add_command(
        sub, "bisect", _cmd_bisect, help="find the commit that broke a target's boot",
        description="Bisect a boot regression between a good and a bad commit on one target.",
        examples=["bootlab bisect --repo ~/rustux --good v0.3 --bad main --target q35-pflash",
                  "bootlab bisect --repo . --good HEAD~8 --bad HEAD --target pc-bios --json"],
        notes=NOTES)
    p.add_argument("--repo", required=True, type=Path, metavar="PATH", help="the kernel's git checkout")
    p.add_argument("--good", required=True, metavar="REV", help="a commit that passes on the target")
    p.add_argument("--bad", required=True, metavar="REV", help="a later commit that fails there (FAIL, code)")
    p.add_argument("--target", required=True, metavar="NAME", help="target name from the inventory")
    p.add_argument("--out", type=Path, metavar="DIR", help="record directory (default: build/bisect/<target>-<timestamp>)")
    p.add_argument("--cargo-dir", type=Path, default=Path("build/bisect/cargo"), metavar="DIR",
                   help="cargo target dir kept across steps and bisections (default: build/bisect/cargo)")
    p.add_argument("--json", action="store_true", help="print bisect.json on stdout")


def _cmd_bisect(args: argparse.Namespace) -> int:
    target = common.load(args.inventory, check_files=False).target(args.target)
    out = args.out or Path("build/bisect") / f"{target.name}-{time.strftime('%Y%m%d-%H%M%S')}"

    def say(line: str) -> None:
        print(f"bisect: {line}", file=sys.stderr, flush=True)

    request = BisectRequest(repo=args.repo.resolve(), good=args.good, bad=args.bad, target=target, out=out,
                            cargo_dir=args.cargo_dir, say=say)
    with interruptible() as interrupt:
        try:
            result = BisectRun(request, interrupt).run()
        except BisectError as exc:
            raise common.UsageError(str(exc)) from exc
    data = result.to_dict()
    (out / BISECT_JSON).write_text(json.dumps(data, indent=2) + "\n")
    say(summary_line(data))
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print(summary_line(data))
        say(f"record: {out}")
    return result.exit_code
