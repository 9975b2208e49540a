"""`bootlab kcidb`: KCIDB JSON for a kernel build and its boot records (lab/kcidb.py).

The file is checked against the kcidb-io package's schema before it is written, so what a
lab submits is what KCIDB accepts. Submitting is a separate, credentialed step (docs in
`bootlab kcidb --help`): this lab has neither the credentials nor the network.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import yaml

from rustux_bootlab.lab import kcidb
from rustux_bootlab.lab.kcidb import validation_problem
from rustux_bootlab.lab.record import RESULT, RecordError, read_record
from rustux_bootlab.lab.verdict import EXIT_ERROR, EXIT_PASS
from rustux_bootlab.workers.bootlab import common

NOTES = """\
Tests: `boot` per record (its verdict: PASS, FAIL, ERROR, MISS one to one), `boot.<milestone>`
per milestone reached (PASS) and the one missed (the boot's verdict). A failed boot's culprit
is a KCIDB issue (code, or harness for firmware/host/board/lab) with an incident on its test;
--bisect adds the bisection's culprit commit as an issue of its own.

Submitting (needs KCIDB credentials and network; not on this lab):
  pip install kcidb      # the KCIDB client, from https://github.com/kernelci/kcidb
  export GOOGLE_APPLICATION_CREDENTIALS=~/kcidb-submitter.json   # issued by the KCIDB admins
  kcidb-validate < kcidb.json && kcidb-submit -p kernelci-production -t kernelci_new < kcidb.json
The origin (--origin, default rustux_lab) must be the one the KCIDB admins registered for the lab.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = common.add_command(
        sub, "kcidb", _cmd_kcidb, help="write KCIDB JSON for a kernel build and its boots",
        description="Write KCIDB (KernelCI database) JSON, schema-checked, for one kernel build and its boot records.",
        examples=["bootlab kcidb --repo . --boot build/boots/q35-pflash-20261201-101500 --out kcidb.json",
                  "bootlab kcidb --repo ~/rustux --rev main --build-id kernel-42 --boot records/q35-pflash "
                  "--boot records/pc-bios --bisect build/bisect/pc-bios-1/bisect.json --out kcidb.json"],
        notes=NOTES, inventory=False)
    p.add_argument("--repo", type=Path, default=Path("."), metavar="PATH", help="the kernel's git checkout (default: .)")
    p.add_argument("--rev", default="HEAD", metavar="REV", help="the commit built (default: HEAD)")
    p.add_argument("--repo-url", metavar="URL",
                   help="public https:// URL of the repository (default: its origin remote; KCIDB takes only https)")
    p.add_argument("--branch", metavar="NAME", help="the branch built")
    p.add_argument("--build-id", metavar="ID", help="the build's id within the lab (default: the commit hash)")
    p.add_argument("--build-failed", action="store_true", help="the kernel did not build (no boots)")
    p.add_argument("--boot", type=Path, action="append", default=[], metavar="DIR",
                   help="a boot record directory (result.json); repeat for each boot")
    p.add_argument("--milestones", type=Path, metavar="FILE", help="the spec the boots used (default: REPO/kernel/milestones.yaml)")
    p.add_argument("--bisect", type=Path, metavar="FILE", help="a bisect.json whose culprit becomes a KCIDB issue")
    p.add_argument("--origin", default=kcidb.ORIGIN, help=f"the lab's KCIDB origin (default: {kcidb.ORIGIN})")
    p.add_argument("--out", type=Path, required=True, metavar="FILE", help="where to write the JSON")


def _git(repo: Path, *args: str) -> str | None:
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else None


def _cmd_kcidb(args: argparse.Namespace) -> int:
    sha = _git(args.repo, "rev-parse", "--verify", "--quiet", f"{args.rev}^{{commit}}")
    if sha is None:
        raise common.UsageError(f"--rev {args.rev}: no such commit in {args.repo}: pass --repo (the kernel's checkout) and a commit it has")
    url = args.repo_url or _git(args.repo, "remote", "get-url", "origin") or f"file://{args.repo.resolve()}"
    spec = args.milestones or args.repo / "kernel/milestones.yaml"
    names = [m["name"] for m in yaml.safe_load(spec.read_text())["milestones"]] if spec.exists() else []
    boots = []
    for record in args.boot:
        if not (record / RESULT).is_file():
            raise common.UsageError(f"--boot {record}: no {RESULT}: pass a boot record directory (bootlab boot --out DIR)")
        try:
            boot = read_record(record)
        except RecordError as e:
            raise common.UsageError(f"--boot {record}: {e}: pass a boot record directory (bootlab boot --out DIR)") from e
        boots.append(kcidb.boot_from_record(boot.target or record.name, boot, names))
    culprit = _culprit(args.bisect, boots) if args.bisect else None
    checkout = kcidb.Checkout(id=sha, repository_url=url, commit=sha, branch=args.branch,
                              subject=_git(args.repo, "show", "-s", "--format=%s", sha))
    build = kcidb.Build(id=args.build_id or sha, passed=not args.build_failed)
    data = kcidb.report(checkout, build, boots, culprit, origin=args.origin)
    problem = validation_problem(data)
    if problem:  # our mapping is wrong, not the boots: a lab bug
        print(f"bootlab: internal error: the KCIDB JSON does not match the kcidb-io schema: {problem}", file=sys.stderr)
        return EXIT_ERROR
    args.out.write_text(json.dumps(data, indent=2) + "\n")
    print(f"bootlab: {args.out}: {len(data['tests'])} tests, {len(data['issues'])} issues, "
          f"{len(data['incidents'])} incidents (KCIDB v{data['version']['major']}.{data['version']['minor']})",
          file=sys.stderr)
    return EXIT_PASS


def _culprit(path: Path, boots: list[kcidb.Boot]) -> kcidb.Culprit | None:
    result = json.loads(path.read_text())
    c = result.get("culprit")
    if not c:
        return None
    failing = next((b.id for b in boots if b.target == result.get("target") and b.verdict == "FAIL"), None)
    return kcidb.Culprit(commit=c["commit"], subject=c["subject"], author=c["author"],
                         lost_milestone=c.get("lost_milestone"), target=result.get("target", ""), boot_id=failing,
                         misc={"boots": result.get("boots"), "good": result.get("good", {}).get("commit"),
                               "bad": result.get("bad", {}).get("commit")})

