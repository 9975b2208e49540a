"""`bootlab boot --target NAME | --board NAME --image PATH`: one boot, through one pipeline.

    validate   arguments, inventory, spec (a problem is a usage error, exit 2, nothing booted)
    health     out of service in the inventory or quarantined: MISS, never booted
    boot       one boot run (workers/run.py) over the machine: a target's QEMU (workers/qemu/machine.py)
               or a board (workers/board/session.py), each with its triage (workers/triage.py);
               a runner crash is ERROR/lab, never FAIL
    health     a board's verdict moves its health (lab/health.py)
    print      the verdict line; `--json`: result.json on stdout
`run_boot` is the pipeline: it takes a validated `BootJob` and returns the boot record.
Verdicts made here come from rustux_bootlab.lab/outcomes.py; the record's format is lab/record.py's.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rustux_bootlab.lab import outcomes
from rustux_bootlab.lab.health import Health, HealthError
from rustux_bootlab.lab.board import Board
from rustux_bootlab.lab.inventory import DEFAULT_MILESTONES, Inventory
from rustux_bootlab.lab.milestones import MilestoneSpec, load_spec
from rustux_bootlab.lab.record import BootRecord, never_ran, write_record
from rustux_bootlab.lab.verdict import Outcome
from rustux_bootlab.workers import health
from rustux_bootlab.lab.boardview import BoardSpecError, board_view
from rustux_bootlab.workers.qemu.machine import BootRequest, with_overrides
from rustux_bootlab.workers.bootlab.common import UsageError, add_command, load, require_exists, require_positive
from rustux_bootlab.workers.interrupt import Interrupt, interruptible
from rustux_bootlab.workers.progress import MachineProgress, progress_for
from rustux_bootlab.workers.qemu import earlystart
from rustux_bootlab.workers.board.session import BoardBootRequest
from rustux_bootlab.workers.triage import boot_board_with_triage, boot_cold, boot_warm_baseline, boot_with_triage

BOOTS_DIR = Path("build/boots")

EXAMPLES = (
    "bootlab boot --target q35-pflash --image build/esp",
    "bootlab boot --target pc-bios --image build/esp/EFI/BOOT/BOOTX64.EFI --timeout 30",
    "bootlab boot --target q35-pflash --image build/variants/silent/esp --baseline build/esp --json",
    "bootlab boot --target q35-pflash --image build/esp --firmware-code ~/OVMF_CODE.fd --firmware-vars ~/OVMF_VARS.fd",
    "bootlab boot --board vboard-1 --image build/esp",
)
NOTES = """\
boot record (--out): result.json, timeline.log (all channels on one clock, ms since
QEMU start), debugcon.log, serial.log, firmware.log, qemu.log, screen.png (when QEMU
was still running at the end), baseline/ (when --baseline was booted).

exit status: 0 PASS, 1 FAIL (the kernel is at fault), 2 usage/config error,
             3 ERROR (firmware/host/board/lab at fault), 4 MISS (target disabled, board held, or quarantined)
An image without EFI/BOOT/BOOTX64.EFI, or whose boot file is not a UEFI application, is
FAIL (code): the build made it broken; ERROR (lab) if it differs from the <image>.sha256sums
the build packed with it (damaged on the way).
"""


@dataclass
class BootJob:
    """A validated boot: what to boot where, and the runner that boots it once health allows."""

    kind: str  # "target" or "board"
    name: str
    image: Path
    out: Path
    milestones_total: int
    in_service: bool  # the inventory's `enabled:`
    start: Callable[[MachineProgress, Interrupt], BootRecord]


def register(sub: argparse._SubParsersAction) -> None:
    boot = add_command(
        sub, "boot", _cmd_boot,
        help="boot an image on a target or board and write a boot record",
        description="Boot an EFI image on a QEMU target or a board: check the firmware, capture every channel,\n"
        "match the milestones, stop as soon as the verdict is known, write the boot record.",
        examples=EXAMPLES, notes=NOTES,
    )
    where = boot.add_mutually_exclusive_group(required=True)
    where.add_argument("--target", metavar="NAME", help="target name from the inventory (see `bootlab targets`)")
    where.add_argument("--board", metavar="NAME", help="board name from the inventory (see `bootlab boards`)")
    boot.add_argument("--image", required=True, type=Path, metavar="PATH", help="ESP directory, .efi file, or FAT image")
    boot.add_argument("--milestones", type=Path, metavar="FILE", help="milestone spec (default: the target's, kernel/milestones.yaml)")
    boot.add_argument("--out", type=Path, metavar="DIR", help=f"boot record directory (default: {BOOTS_DIR}/<name>-<timestamp>)")
    boot.add_argument("--timeout", type=float, metavar="SECONDS", help="global boot timeout (default: the target's)")
    boot.add_argument("--json", action="store_true", help="print result.json on stdout; progress as machine lines on stderr")
    qemu = boot.add_argument_group("QEMU targets only")
    qemu.add_argument("--baseline", type=Path, metavar="PATH", help="last known-good image: booted on the same target if --image FAILs")
    qemu.add_argument("--firmware-code", type=Path, metavar="FILE", help="pflash CODE image instead of the target's")
    qemu.add_argument("--firmware-vars", type=Path, metavar="FILE", help="pflash VARS template (copied fresh per boot)")
    qemu.add_argument("--firmware-bios", type=Path, metavar="FILE", help="boot with -bios FILE instead of pflash")
    qemu.add_argument("--machine", choices=("pc", "q35"), help="QEMU machine type instead of the target's")
    qemu.add_argument("--accel", choices=("auto", "kvm", "tcg"), help="accelerator instead of the target's")
    qemu.add_argument("--warm", action=argparse.BooleanOptionalAction, default=None,
                      help="restore the firmware from a snapshot instead of booting it (default: the target's "
                      "`warm:`); falls back to cold, with a warning in the record, when it cannot")


def _cmd_boot(args: argparse.Namespace) -> int:
    job = _job(args)
    return run_boot(job, progress_for(sys.stderr, args.json), args.json).outcome.exit_code


# -- validate ----------------------------------------------------------------------------------
def _job(args: argparse.Namespace) -> BootJob:
    # Firmware files are checked by inspection, so a missing one is ERROR/firmware, not a config error.
    inventory = load(args.inventory, check_files=False)
    require_positive(args.timeout, "--timeout")
    require_exists(args.image, f"--image {args.image}", "build it first (make kernel) or fix the path")
    name = args.board or args.target
    out = args.out or BOOTS_DIR / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a directory: pass a directory for the boot record")
    return _board_job(args, inventory, out) if args.board else _target_job(args, inventory, out)


def target_spec(path: Path) -> MilestoneSpec:
    return _spec(path, "target")


def _spec(path: Path, kind: str) -> MilestoneSpec:
    require_exists(path, f"milestone spec {path}", f"pass --milestones FILE or fix the {kind}'s milestones")
    return load_spec(path)


def _target_job(args: argparse.Namespace, inventory: Inventory, out: Path) -> BootJob:
    target = inventory.target(args.target)
    target = with_overrides(target, code=args.firmware_code, vars=args.firmware_vars, bios=args.firmware_bios,
                            machine=args.machine, accel=args.accel)
    spec_path = args.milestones or target.milestones
    spec = target_spec(spec_path)
    require_exists(args.baseline, f"--baseline {args.baseline}", "pass a known-good image")
    try:
        request = BootRequest(target=target, image=args.image, spec=spec, out=out,
                              timeout_s=args.timeout or target.boot_timeout_s, plan_inputs=(inventory.path, spec_path))
    except BoardSpecError as e:  # a machine without debugcon (virt) sees what a board sees
        raise UsageError(f"target {target.name} ({target.arch}, machine {target.machine}): {e}") from None
    boot, baseline_boot = boot_cold, boot_cold
    if target.warm if args.warm is None else args.warm:
        earlystart.discard()  # a warm boot restores its firmware: an early cold QEMU would only compete for a core
        from rustux_bootlab.workers.warm.boot import boot_warm  # only now: a cold boot does not pay for the snapshot code

        # Where the target's lane is on (boot_warm checks); a baseline that fails warm boots again cold.
        boot, baseline_boot = boot_warm, boot_warm_baseline
    else:
        request.boot_path_reason = "--no-warm: a cold boot was asked for" if args.warm is False else \
            f"{target.name} boots cold by default: {target.cold_reason}"
    return BootJob("target", target.name, args.image, out, request.spec.total, target.enabled,
                   lambda progress, interrupt: boot_with_triage(request, args.baseline, progress, interrupt, boot,
                                                                baseline_boot))


def _board_job(args: argparse.Namespace, inventory: Inventory, out: Path) -> BootJob:
    board = inventory.board(args.board)
    given = [flag for flag, value in (("--baseline", args.baseline), ("--firmware-code", args.firmware_code),
                                      ("--firmware-vars", args.firmware_vars), ("--firmware-bios", args.firmware_bios),
                                      ("--machine", args.machine), ("--accel", args.accel)) if value]
    if given:
        raise UsageError(f"{', '.join(given)}: for QEMU targets only; a board boots its own firmware")
    if args.warm:
        raise UsageError(f"--warm: board {board.name} cannot boot warm: a real machine's firmware cannot be "
                         "restored from a snapshot; boot it without --warm")
    spec = _spec(args.milestones or board.milestones or inventory.path.parent / DEFAULT_MILESTONES, "board")
    try:
        view, _ = board_view(spec)
    except BoardSpecError as e:
        raise UsageError(f"board {board.name}: {e}") from None

    def start(progress: MachineProgress, interrupt: Interrupt) -> BootRecord:
        request = BoardBootRequest(board, args.image, spec, out, args.timeout or board.boot_timeout_s)
        return boot_board_with_triage(request, siblings(inventory, board), progress, interrupt)

    return BootJob("board", board.name, args.image, out, view.total, board.enabled, start)


def siblings(inventory: Inventory, board: Board) -> list[Board]:
    """The boards triage may boot a failing image on: same kind, same worker, in service and
    not quarantined (a held one is skipped when its boot says MISS)."""
    if board.kind is None:
        return []
    out = []
    for other in inventory.boards.values():
        if other.name == board.name or other.kind != board.kind or other.worker != board.worker or not other.enabled:
            continue
        try:
            if health.load(other.name).state is not Health.QUARANTINED:
                out.append(other)
        except HealthError:
            continue  # its health cannot be read: not a board to judge another by
    return out


# -- the pipeline --------------------------------------------------------------------------------
def run_boot(job: BootJob, progress: MachineProgress, as_json: bool) -> BootRecord:
    """Health, then the boot or a MISS, then the health update; prints the verdict. Returns the record."""
    miss = _miss(job)
    if miss is not None:
        record = never_ran(miss, job.name, job.image, job.milestones_total)
        _keep(job.out, record)
    else:
        record = _boot(job, progress)
        # Only a board's verdicts move its health. A QEMU target's ERROR/host comes as often from a
        # per-boot override (--accel kvm) or a test's own inventory as from the target, and all of
        # them share one state dir: counting them would quarantine real targets for a test's sake.
        if job.kind == "board":
            _update_health(job.name, record.outcome)
    progress.verdict(record.outcome)
    if as_json:
        print(record.to_json())
    else:
        progress.event(f"boot record: {job.out}")
    return record


def _miss(job: BootJob) -> Outcome | None:
    if not job.in_service:
        return outcomes.out_of_service(job.kind, job.name)
    try:
        state = health.load(job.name)
    except HealthError as e:
        raise UsageError(str(e)) from None
    return outcomes.quarantined(job.kind, job.name, state.describe()) if state.state is Health.QUARANTINED else None


def _boot(job: BootJob, progress: MachineProgress) -> BootRecord:
    with interruptible() as interrupt:
        try:
            return job.start(progress, interrupt)
        except Exception as exc:  # a runner bug: the record must say ERROR/lab, never FAIL
            import traceback  # only now, as in bootlab's main: every boot would pay for it

            traceback.print_exc()
            record = never_ran(outcomes.runner_crashed(exc), job.name, job.image, job.milestones_total)
            _keep(job.out, record)
            return record


def _keep(out: Path, record: BootRecord) -> None:
    """The record on disk too, when the disk takes it: a full scratch disk (the chaos soak's
    finding) crashed the runner, then this write, and the verdict never reached stdout."""
    try:
        write_record(out, record)
    except OSError as e:
        print(f"bootlab: boot record not written to {out}: {e}", file=sys.stderr)


def _update_health(name: str, outcome: Outcome) -> None:
    try:
        health.record_boot(name, outcome)
    except HealthError as e:  # the verdict stands; only its effect on the health is lost
        print(f"bootlab: health of {name} not updated: {e}", file=sys.stderr)
