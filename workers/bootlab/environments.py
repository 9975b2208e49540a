"""`bootlab environments --machine q35 --image PATH`: one image on every lane of a machine type.

Each lane (a target: an environment's QEMU and a firmware build) boots the image; where it
fails while another lane passed, the golden image (`--golden`) boots there too, and
lab/environments.py decides whether the environment or the code differs.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rustux_bootlab.lab.environments import Lane, judge_lanes
from rustux_bootlab.lab.inventory import MACHINES, QemuTarget
from rustux_bootlab.lab.record import BootRecord
from rustux_bootlab.lab.verdict import Outcome, Verdict
from rustux_bootlab.workers.qemu.machine import BootRequest
from rustux_bootlab.workers.bootlab.boot import target_spec
from rustux_bootlab.workers.bootlab.common import UsageError, add_command, load, print_table, require_exists
from rustux_bootlab.workers.interrupt import Interrupt, interruptible
from rustux_bootlab.workers.progress import MachineProgress, progress_for
from rustux_bootlab.workers.triage import boot_cold

OUT = Path("build/boots/environments")
RESULT = "environments.json"
WORST_FIRST = (Verdict.ERROR, Verdict.FAIL, Verdict.MISS, Verdict.PASS)


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "environments", _cmd, help="boot one image on every environment of a machine type",
                    description="Boot an image on every lane (environment and firmware) of a machine type and say "
                                "which environment differs.",
                    examples=["bootlab environments --machine q35 --image build/esp",
                              "bootlab environments --machine q35 --image build/variants/silent/esp --golden build/esp"],
                    notes=f"out: one boot record per lane, golden/ inside a lane whose golden boot ran, {RESULT}.")
    p.add_argument("--machine", required=True, choices=MACHINES)
    p.add_argument("--image", type=Path, required=True, metavar="PATH")
    p.add_argument("--golden", type=Path, metavar="PATH", help="the known-good image, booted where the image fails")
    p.add_argument("--targets", metavar="A,B", help="only these lanes (default: every enabled target of the machine "
                   "type without Secure Boot)")
    p.add_argument("--out", type=Path, default=OUT, metavar="DIR")
    p.add_argument("--json", action="store_true", help=f"print {RESULT} on stdout")


def _cmd(args: argparse.Namespace) -> int:
    inventory = load(args.inventory)
    require_exists(args.image, f"--image {args.image}", "pass an ESP directory, a .efi or a FAT image")
    require_exists(args.golden, f"--golden {args.golden}", "pass a known-good image")
    if args.targets:
        lanes = [inventory.target(name) for name in args.targets.split(",")]
        wrong = [t.name for t in lanes if t.machine != args.machine]
        if wrong:
            raise UsageError(f"--targets {','.join(wrong)}: not {args.machine} targets")
    else:
        lanes = [t for t in inventory.targets.values() if t.machine == args.machine and t.enabled and not t.secure_boot]
    if len(lanes) < 2:
        raise UsageError(f"{len(lanes)} {args.machine} lane(s): comparing environments needs two")
    progress = progress_for(sys.stderr, args.json)
    with interruptible() as interrupt:
        booted = _boot_lanes(lanes, args, progress, interrupt)
    verdicts = judge_lanes(booted)
    result = {"machine": args.machine, "image": str(args.image), "golden": None if args.golden is None else str(args.golden),
              "lanes": [{"target": lane.target, "environment": lane.environment, "qemu_version": lane.qemu_version,
                         "own": lane.outcome.to_dict(), "golden": None if lane.golden is None else lane.golden.to_dict(),
                         **verdicts[lane.target].to_dict()} for lane in booted]}
    (args.out / RESULT).write_text(json.dumps(result, indent=2))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table([("TARGET", "ENVIRONMENT", "QEMU", "VERDICT", "REASON")] + [
            (lane.target, lane.environment, (lane.qemu_version or "-").split(" (")[0].removeprefix("QEMU emulator version "),
             _verdict(verdicts[lane.target]), verdicts[lane.target].reason) for lane in booted])
    return min((verdicts[lane.target].verdict for lane in booted), key=WORST_FIRST.index).exit_code


def _boot_lanes(targets: list[QemuTarget], args: argparse.Namespace, progress: MachineProgress,
                interrupt: Interrupt) -> list[Lane]:
    records = {t.name: _boot(t, args.image, args.out / t.name, progress, interrupt) for t in targets}
    any_pass = any(r.outcome.verdict is Verdict.PASS for r in records.values())
    lanes = []
    for t in targets:
        record = records[t.name]
        golden = None
        if args.golden is not None and any_pass and record.outcome.verdict is Verdict.FAIL and not interrupt:
            progress.event(f"{t.name}: {record.outcome.summary()}; booting the golden image {args.golden} there")
            golden = _boot(t, args.golden, args.out / t.name / "golden", progress, interrupt).outcome
        lanes.append(Lane(t.name, t.environment.name, (record.qemu or {}).get("version"), record.outcome, golden))
    return lanes


def _boot(target: QemuTarget, image: Path, out: Path, progress: MachineProgress, interrupt: Interrupt) -> BootRecord:
    progress.event(f"lane {target.name} ({target.environment.name}): booting {image}")
    request = BootRequest(target=target, image=image, spec=target_spec(target.milestones), out=out,
                          timeout_s=target.boot_timeout_s)
    record = boot_cold(request, progress, interrupt)
    progress.event(f"lane {target.name}: {record.outcome.summary()}")
    return record


def _verdict(outcome: Outcome) -> str:
    return outcome.verdict.value + (f"/{outcome.culprit.value}" if outcome.culprit else "")
