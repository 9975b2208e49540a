"""`bootlab warm status|check|release`: the warm lane of each QEMU target and its snapshots.

    status    per target: lane on/off (why, since, the evidence), its last agreement check,
              and the snapshots in this worker's cache
    check     boot one image cold (<out>/cold) then warm (<out>/warm) on a target and compare
              them milestone for milestone (lab/warmlane.py); a disagreement turns the lane
              off until `release`. Exit 0 agree, 1 disagree, 3 when the check could not run
              warm at all (the warm boot fell back to cold)
    release   turn a lane back on after an operator looked at the evidence
The lane lives in `$BOOTLAB_STATE/<target>/warm-lane.json`; snapshots in `$BOOTLAB_SNAPSHOTS`.
"""
from __future__ import annotations

import argparse
import getpass
import json
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

from rustux_bootlab.lab.milestones import load_spec
from rustux_bootlab.lab.verdict import EXIT_ERROR, EXIT_FAIL, EXIT_PASS
from rustux_bootlab.lab.warmlane import WarmLaneError, compare
from rustux_bootlab.workers.qemu.machine import BootRequest, BootSession
from rustux_bootlab.workers.bootlab.common import UsageError, add_command, inventory_option, load, print_table, require_exists
from rustux_bootlab.workers.health import now
from rustux_bootlab.workers.interrupt import interruptible
from rustux_bootlab.workers.progress import progress_for
from rustux_bootlab.workers.warm.store import SnapshotStore
from rustux_bootlab.workers.warm.lane import LANES
from rustux_bootlab.workers.warm.boot import boot_warm

CHECKS_DIR = Path("build/warm-checks")


def register(sub: argparse._SubParsersAction) -> None:
    warm = add_command(
        sub, "warm", lambda a: (a.warm_func or _usage)(a),
        help="the warm lane: snapshots, the cold/warm agreement check, releasing a lane",
        description="Warm boots restore the firmware from a snapshot instead of running it (bootlab boot --warm).\n"
        "A target's warm lane is used only while cold and warm boots of the same image agree.",
        examples=["bootlab warm status", "bootlab warm check --target q35-pflash --image build/esp",
                  "bootlab warm release q35-pflash --reason 'OVMF rebuilt, check agrees again'"],
        inventory=False)
    warm.set_defaults(warm_func=None)
    commands = warm.add_subparsers(dest="warm_command", metavar="ACTION")
    status = commands.add_parser("status", help="lanes and snapshots")
    status.add_argument("target", nargs="?", metavar="TARGET")
    inventory_option(status)
    status.set_defaults(warm_func=_cmd_status)
    check = commands.add_parser("check", help="boot cold and warm, compare, update the lane")
    check.add_argument("--target", required=True, metavar="NAME")
    check.add_argument("--image", required=True, type=Path, metavar="PATH")
    check.add_argument("--milestones", type=Path, metavar="FILE", help="milestone spec (default: the target's)")
    check.add_argument("--out", type=Path, metavar="DIR", help=f"records (default: {CHECKS_DIR}/<target>-<timestamp>)")
    check.add_argument("--json", action="store_true", help="print the check's result as JSON on stdout")
    inventory_option(check)
    check.set_defaults(warm_func=_cmd_check)
    release = commands.add_parser("release", help="turn a target's warm lane back on")
    release.add_argument("target", metavar="TARGET")
    release.add_argument("--reason", required=True, help="what was looked at or fixed")
    release.add_argument("--by", default=getpass.getuser(), help="who releases it (default: your user name)")
    inventory_option(release)
    release.set_defaults(warm_func=_cmd_release)


def _usage(args: argparse.Namespace) -> int:
    raise UsageError("bootlab warm: say status, check or release (bootlab warm --help)")


def _cmd_status(args: argparse.Namespace) -> int:
    inventory = load(args.inventory, check_files=False)
    names = [inventory.target(args.target).name] if args.target else list(inventory.targets)
    rows = [("TARGET", "DEFAULT", "LANE", "SINCE", "BY", "REASON / LAST CHECK")]
    for name in names:
        try:
            lane = LANES.load(name)
        except WarmLaneError as e:
            raise UsageError(str(e)) from None
        default = "warm" if inventory.targets[name].warm else "cold"
        detail = lane.reason if not lane.enabled else (lane.last_check_result or "never checked")
        rows.append((name, default, "on" if lane.enabled else "OFF", lane.since or "-", lane.by or "-", detail))
    print_table(rows)
    store = SnapshotStore()
    stored = sorted(store.stored(), key=lambda s: -s.last_used)
    print(f"\nsnapshots in {store.root} ({sum(s.size for s in stored) / 2**20:.0f} of {store.cap_bytes / 2**20:.0f} MiB):")
    for snap in stored:
        used = time.strftime("%Y-%m-%d %H:%M", time.gmtime(snap.last_used))
        print(f"  {snap.digest}  {snap.size / 2**20:6.1f} MiB  last used {used}Z")
    return EXIT_PASS


def _cmd_check(args: argparse.Namespace) -> int:
    inventory = load(args.inventory, check_files=False)
    target = inventory.target(args.target)
    require_exists(args.image, f"--image {args.image}", "build it first (make kernel) or fix the path")
    spec_path = args.milestones or target.milestones
    require_exists(spec_path, f"milestone spec {spec_path}", "pass --milestones FILE")
    spec = load_spec(spec_path)
    out = args.out or CHECKS_DIR / f"{target.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    for leg in ("cold", "warm"):
        shutil.rmtree(out / leg, ignore_errors=True)
    progress = progress_for(sys.stderr, args.json)
    base = BootRequest(target=target, image=args.image, spec=spec, out=out / "cold", timeout_s=target.boot_timeout_s)
    with interruptible() as interrupt:
        cold = BootSession(base, progress, interrupt).run()
        warm = boot_warm(replace(base, out=out / "warm"), progress, interrupt, lane_applies=False)
        if interrupt:
            raise UsageError(f"check interrupted by {interrupt.signame}: the lane is unchanged")
    if warm.boot_path != "warm":
        assert warm.warm is not None  # boot_warm says why it ran cold
        summary = {"target": target.name, "agree": None, "ran_warm": False, "warnings": warm.warm["warnings"],
                   "records": [str(out / "cold"), str(out / "warm")]}
        _report(args.json, summary, f"{target.name}: no check: the warm boot ran cold ({'; '.join(warm.warm['warnings'])})")
        return EXIT_ERROR
    agreement = compare(cold.to_dict(), warm.to_dict())
    evidence = (str(out / "cold"), str(out / "warm"))
    lane = LANES.update(target.name, lambda lane: lane.after_check(agreement, evidence, now()))
    summary = {"target": target.name, "agree": agreement.agree, "ran_warm": True, "differences": list(agreement.differences),
               "lane": lane.to_dict(), "records": list(evidence),
               "cold": {"verdict": cold.outcome.verdict.value, "duration_s": cold.duration_s},
               "warm": {"verdict": warm.outcome.verdict.value, "duration_s": warm.duration_s}}
    state = "on" if lane.enabled else f"OFF: {lane.reason}"
    _report(args.json, summary, f"{target.name}: {agreement.summary()}; warm lane {state}")
    return EXIT_PASS if agreement.agree else EXIT_FAIL


def _cmd_release(args: argparse.Namespace) -> int:
    inventory = load(args.inventory, check_files=False)
    target = inventory.target(args.target)
    try:
        lane = LANES.update(target.name, lambda lane: lane.release(args.by, args.reason, now()))
    except WarmLaneError as e:
        raise UsageError(f"{target.name}: {e}") from None
    print(f"{target.name}: warm lane on ({lane.by}: {lane.reason})")
    return EXIT_PASS


def _report(as_json: bool, summary: dict, line: str) -> None:
    if as_json:
        print(json.dumps(summary, indent=2))
    print(f"bootlab: {line}", file=sys.stderr)
