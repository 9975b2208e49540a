"""Triage on the worker. A target: when an image FAILs, boot `--baseline` on the same target
into `<out>/baseline/` and let lab/triage.py's rules decide whether the FAIL stands; the image
may boot warm (`boot=workers.warm.boot.boot_warm`), so may the baseline
(`baseline_boot=boot_warm_baseline`): its PASS is the answer the developer waits for, and a warm
baseline that does not PASS is booted again cold before it may turn the FAIL into the lab's ERROR. A board:
the last image that passed on it (workers/lastpass.py) boots on it again into `<out>/baseline/`,
the image on a free sibling board into `<out>/sibling/`, and lab/boardtriage.py decides."""
from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from rustux_bootlab.lab.board import Board
from rustux_bootlab.lab.boardtriage import Tried, board_triage
from rustux_bootlab.lab.contract import BASELINE_DIR, SIBLING_DIR
from rustux_bootlab.lab.record import BootRecord, write_record
from rustux_bootlab.lab.triage import triage, wants_triage
from rustux_bootlab.lab.verdict import Verdict
from rustux_bootlab.workers.board.session import BoardBootRequest, BoardSession
from rustux_bootlab.workers.qemu.machine import BootRequest, BootSession
from rustux_bootlab.workers.lastpass import keep_pass, last_pass
from rustux_bootlab.workers.interrupt import Interrupt
from rustux_bootlab.workers.progress import MachineProgress


def boot_cold(request: BootRequest, progress: MachineProgress, interrupt: Interrupt) -> BootRecord:
    return BootSession(request, progress, interrupt).run()


def boot_warm_baseline(request: BootRequest, progress: MachineProgress, interrupt: Interrupt) -> BootRecord:
    from rustux_bootlab.workers.warm.boot import boot_warm  # only for a triage: a boot that passes never loads it

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


def boot_board_with_triage(request: BoardBootRequest, siblings: list[Board], progress: MachineProgress,
                           interrupt: Interrupt) -> BootRecord:
    """A board's boot; on a FAIL, the last image that passed on the board boots on it again
    and the image boots on the first free sibling (lab/boardtriage.py decides)."""
    for kept in (BASELINE_DIR, SIBLING_DIR):  # from an earlier boot into the same --out
        shutil.rmtree(request.out / kept, ignore_errors=True)
    board = request.board
    good = last_pass(board.name)  # looked up first: this boot's PASS replaces it
    record = BoardSession(request, progress, interrupt).run()
    if record.outcome.verdict is Verdict.PASS:
        keep_pass(board.name, request.image)
    if not wants_triage(record.outcome) or interrupt:
        return record
    baseline = None
    if good is not None:
        progress.event(f"triage: {record.outcome.summary()}; booting the last image that passed on {board.name} again")
        base = BoardSession(replace(request, image=good, out=request.out / BASELINE_DIR), progress, interrupt).run()
        baseline = Tried(board.name, base.image, base.outcome, BASELINE_DIR)
    sibling = None
    for other in siblings:
        if interrupt:
            break
        progress.event(f"triage: booting {request.image} on sibling board {other.name}")
        there = BoardSession(replace(request, board=other, out=request.out / SIBLING_DIR), progress, interrupt).run()
        if there.outcome.verdict is not Verdict.MISS:  # held or quarantined: the next one
            sibling = Tried(other.name, there.image, there.outcome, SIBLING_DIR)
            break
    decided = board_triage(board.name, record.outcome, baseline, sibling)
    record.outcome, record.triage = decided.outcome, decided.summary
    write_record(request.out, record)
    return record
