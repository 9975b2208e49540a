"""Triage on the worker: when an image FAILs, boot `--baseline` on the same target into
`<out>/baseline/` and let lab/triage.py's rules decide whether the FAIL stands. The image
may boot warm (`boot=workers.warm.boot.boot_warm`); the baseline always boots cold."""
from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from lab.record import BootRecord, write_record
from lab.triage import BASELINE_DIR, triage, wants_triage
from workers.boot import BootRequest, BootSession
from workers.interrupt import Interrupt
from workers.progress import MachineProgress


def boot_cold(request: BootRequest, progress: MachineProgress, interrupt: Interrupt) -> BootRecord:
    return BootSession(request, progress, interrupt).run()


def boot_with_triage(request: BootRequest, baseline: Path | None, progress: MachineProgress, interrupt: Interrupt,
                     boot: Callable[[BootRequest, MachineProgress, Interrupt], BootRecord] = boot_cold) -> BootRecord:
    shutil.rmtree(request.out / BASELINE_DIR, ignore_errors=True)  # from an earlier boot into the same --out
    record = boot(request, progress, interrupt)
    if baseline is None or not wants_triage(record.outcome) or interrupt:
        return record
    progress.event(f"triage: {record.outcome.summary()}; booting baseline {baseline} on {request.target.name}")
    base = BootSession(replace(request, image=baseline, out=request.out / BASELINE_DIR), progress, interrupt).run()
    decided = triage(request.target.name, record.outcome, base.outcome, base.image)
    record.outcome, record.triage = decided.outcome, decided.summary
    write_record(request.out, record)
    return record
