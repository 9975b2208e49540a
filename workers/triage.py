"""Triage on the worker: when an image FAILs, boot `--baseline` on the same target into
`<out>/baseline/` and let lab/triage.py's rules decide whether the FAIL stands. The image
may boot warm (`boot=workers.warm.boot.boot_warm`); so may the baseline (`baseline_boot=
boot_warm_baseline`): its PASS is the answer the developer waits for, and a warm baseline that
does not PASS is booted again cold before it may turn the FAIL into the lab's ERROR."""
from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from lab.record import BootRecord, write_record
from lab.triage import BASELINE_DIR, triage, wants_triage
from lab.verdict import Verdict
from workers.boot import BootRequest, BootSession
from workers.interrupt import Interrupt
from workers.progress import MachineProgress


def boot_cold(request: BootRequest, progress: MachineProgress, interrupt: Interrupt) -> BootRecord:
    return BootSession(request, progress, interrupt).run()


def boot_warm_baseline(request: BootRequest, progress: MachineProgress, interrupt: Interrupt) -> BootRecord:
    from workers.warm.boot import boot_warm  # only for a triage: a boot that passes never loads it

    record = boot_warm(request, progress, interrupt)
    if record.boot_path != "warm" or record.outcome.verdict is Verdict.PASS or interrupt:
        return record
    progress.event(f"warm: the baseline ended {record.outcome.summary()} warm; booting it again cold to confirm")
    shutil.rmtree(request.out, ignore_errors=True)
    return boot_cold(request, progress, interrupt)


Boot = Callable[[BootRequest, MachineProgress, Interrupt], BootRecord]


def boot_with_triage(request: BootRequest, baseline: Path | None, progress: MachineProgress, interrupt: Interrupt,
                     boot: Boot = boot_cold, baseline_boot: Boot = boot_cold) -> BootRecord:
    shutil.rmtree(request.out / BASELINE_DIR, ignore_errors=True)  # from an earlier boot into the same --out
    record = boot(request, progress, interrupt)
    if baseline is None or not wants_triage(record.outcome) or interrupt:
        return record
    progress.event(f"triage: {record.outcome.summary()}; booting baseline {baseline} on {request.target.name}")
    base = baseline_boot(replace(request, image=baseline, out=request.out / BASELINE_DIR), progress, interrupt)
    decided = triage(request.target.name, record.outcome, base.outcome, base.image)
    record.outcome, record.triage = decided.outcome, decided.summary
    write_record(request.out, record)
    return record
