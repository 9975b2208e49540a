"""Warm boots: the programmatic API (`bootlab boot --warm`, and for try and bisection).

    from rustux_bootlab.workers.warm.boot import boot_warm
    record = boot_warm(request, progress, interrupt)   # a workers.qemu.machine.BootRequest
    record.boot_path        # "warm", or "cold" when the warm lane could not be used
    record.warm             # {snapshot, restored_s, resumed_s, launched_s, warnings, ...}

One call is one boot with one record in `request.out`, judged exactly like a cold boot. It
is warm when it can be: the target's warm lane is on (lab/warmlane.py), a snapshot for the
machine exists or can be made (workers/warm/), and it restores and launches. Otherwise
it boots cold and the record's `warm.warnings` say why; a snapshot that failed is dropped.
A warm verdict is the warm path's: callers that decide something (a bisection's culprit, a
try's final answer) must confirm it cold (`workers.qemu.machine.BootSession`, or `--no-warm`).
"""
from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from rustux_bootlab.lab.record import BootRecord, write_record
from rustux_bootlab.lab.snapshot import SnapshotError, SnapshotKey, device_set
from rustux_bootlab.lab.spec import SCREEN
from rustux_bootlab.lab.warmlane import WarmLaneError
from rustux_bootlab.workers.qemu.machine import BootRequest, BootSession, firmware_for, firmware_report, machine_command
from rustux_bootlab.workers.artifacts.fwscan import cached_scan
from rustux_bootlab.workers.interrupt import Interrupt
from rustux_bootlab.workers.qemu.kvm import qemu_version, resolve_accel
from rustux_bootlab.workers.progress import MachineProgress
from rustux_bootlab.workers.warm.snapshot import SnapshotCreateError, ensure_snapshot
from rustux_bootlab.workers.warm.store import SnapshotStore
from rustux_bootlab.workers.warm.lane import LANES
from rustux_bootlab.lab.esp import EspError
from rustux_bootlab.workers.artifacts.image import prepare_image
from rustux_bootlab.workers.warm.loader import PLACEHOLDER, RAM_FILE, LoaderMissing, ram_backend, warm_devices
from rustux_bootlab.workers.warm.restore import WarmStart

# A restored PC's screen is not the cold one's: the kernel's framebuffer conversation and
# GRUB's menu read on the screen FAIL warm and PASS cold (tests/integration/test_screen_*.py),
# and the lane's agreement check compares serial specs only. Until it compares screens too,
# screen specs boot cold, except on virt, where the loader points the restored ramfb at the
# firmware's framebuffer again and a step read on the screen passes warm (test_arm64_boot.py).
SCREEN_UNCHECKED = "the spec reads the screen, where warm and cold boots are not known to agree"
SCREEN_AGREES_ON = frozenset({"aarch64"})
ATTEMPT_DIR = "warm-attempt"  # the record of a warm start that failed, kept beside the cold one
WORK_MASK = "<work>"


def boot_warm(request: BootRequest, progress: MachineProgress, interrupt: Interrupt,
              store: SnapshotStore | None = None, lane_applies: bool = True) -> BootRecord:
    """Boot warm if the lab can, else cold with the reason in the record (never a FAIL for it).
    `lane_applies=False` boots warm even while the target's lane is off (the agreement check)."""
    shutil.rmtree(request.out / ATTEMPT_DIR, ignore_errors=True)
    warnings: list[str] = []
    try:
        lane = LANES.load(request.target.name)
    except WarmLaneError as exc:
        return _cold(request, progress, interrupt, [str(exc)])
    if lane_applies and not lane.enabled:
        return _cold(request, progress, interrupt, [lane.refusal(request.target.name)])
    try:
        esp, _ = prepare_image(request.image)  # cached: the same image the cold path would boot
    except EspError as exc:  # the cold path judges a malformed image
        return _cold(request, progress, interrupt, [f"no ESP image for the resident loader: {exc}"])
    if request.target.arch not in SCREEN_AGREES_ON and _reads_screen(request):
        return _cold(request, progress, interrupt, [SCREEN_UNCHECKED])
    refused = _firmware_refused(request)
    if refused:  # the cold path judges it (ERROR/firmware) before QEMU starts; no snapshot to try
        return _cold(request, progress, interrupt, [f"the firmware check refuses this firmware: {refused}"])
    try:
        store = store or SnapshotStore()
        key, command, vars_template = snapshot_plan(request)
        snapshot, dropped = store.lookup(key)
        if dropped is not None:
            warnings.append(f"snapshot {key.digest} dropped: {dropped}")
        made = False
        if snapshot is None:
            progress.event(f"warm: making snapshot {key.digest} for {request.target.name} (once per machine and firmware)")
            snapshot, made = ensure_snapshot(store, key, command, vars_template)
    except (SnapshotCreateError, SnapshotError, LoaderMissing, OSError) as exc:
        return _cold(request, progress, interrupt, [*warnings, f"no snapshot: {exc}"])
    warm = WarmStart(snapshot, esp, request.target.memory_mb, request.target.arch)
    progress.event(f"warm: restoring snapshot {snapshot.manifest.digest}")
    record = BootSession(replace(request, boot_path="warm", attachments=(*request.attachments, warm)),
                         progress, interrupt).run()
    problem = warm.problem()
    if problem is None or interrupt:
        record.warm = {**warm.describe(), "made_snapshot": made, "warnings": warnings}
        record.warnings += warnings
        if record.boot_path == "warm":
            record.boot_path_reason = f"restored snapshot {snapshot.manifest.digest}{' (made for this boot)' if made else ''}"
        write_record(request.out, record)
        return record
    if warm.snapshot_bad:
        store.drop(snapshot.manifest.digest)
    attempt = _keep_attempt(request.out)
    said = _qemu_said(attempt) if problem.startswith("restore failed") else ""
    dropped_note = f"; snapshot {snapshot.manifest.digest} dropped" if warm.snapshot_bad else ""
    return _cold(request, progress, interrupt,
                 [*warnings, f"warm start failed: {problem}{said}{dropped_note} (record: {attempt})"])


def snapshot_plan(request: BootRequest) -> tuple[SnapshotKey, Callable[[Path], list[str]], Path | None]:
    """The key of the snapshot this boot would restore, the command line that makes it (for a
    work directory) and the VARS template it starts from."""
    target = request.target
    fw = target.firmware
    accel = resolve_accel(target.accel, target.machine, firmware_for(fw, None), request.qemu_binary)

    def command(work: Path) -> list[str]:
        extra = (*(arg for a in request.attachments for arg in a.qemu_args(work)), *warm_devices(work / PLACEHOLDER, target.arch),
                 *ram_backend(work / RAM_FILE, target.memory_mb, shared=True))
        return machine_command(request, accel.accel, work, None, extra)

    probe = Path("/") / WORK_MASK  # the key's command line, with the work directory masked
    # The hashes the firmware check computes too (remembered per unchanged file): read once.
    firmware = tuple(sorted((role, cached_scan(path).sha256) for role, path in fw.files().items()))
    key = SnapshotKey(qemu_version=qemu_version(request.qemu_binary), machine=target.machine, accel=accel.accel,
                      memory_mb=target.memory_mb, firmware=firmware,
                      devices=device_set(command(probe), {str(probe): WORK_MASK}))
    return key, command, fw.vars if fw.mode == "pflash" else None


def _reads_screen(request: BootRequest) -> bool:
    spec = request.spec
    steps = spec.conversation.steps if spec.conversation else ()
    return any(SCREEN in m.channels for m in spec.milestones) or any(s.channel == SCREEN for s in steps)


def _firmware_refused(request: BootRequest) -> str:
    """The cold path's firmware check (remembered per unchanged file): what it refuses no snapshot can hold."""
    return "; ".join(firmware_report(request.target).problems)


def _cold(request: BootRequest, progress: MachineProgress, interrupt: Interrupt, warnings: list[str]) -> BootRecord:
    for warning in warnings:
        progress.event(f"warm: {warning}; booting cold")
    record = BootSession(request, progress, interrupt).run()
    record.warm = {"snapshot": None, "warnings": warnings}
    record.warnings += [f"warm boot ran cold: {w}" for w in warnings]
    record.boot_path_reason = "; ".join(warnings)
    write_record(request.out, record)
    return record


def _qemu_said(attempt: Path) -> str:
    """QEMU's last words in the failed attempt (`load of migration failed: ...`)."""
    try:
        lines = (attempt / "qemu.log").read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return f" (QEMU: {lines[-1].strip()})" if lines else ""


def _keep_attempt(out: Path) -> Path:
    attempt = out / ATTEMPT_DIR
    attempt.mkdir(parents=True, exist_ok=True)
    for item in out.iterdir():
        if item.is_file():
            item.replace(attempt / item.name)
    return attempt
