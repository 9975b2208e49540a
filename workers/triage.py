"""Triage on the worker. A target: when an image FAILs, boot `--baseline` on the same target
into `<out>/baseline/` and let lab/triage.py's rules decide whether the FAIL stands; the image
may boot warm (`boot=workers.warm.boot.boot_warm`), so may the baseline
(`baseline_boot=boot_warm_baseline`): its PASS is the answer the developer waits for, and a warm
baseline that does not PASS is booted again cold before it may turn the FAIL into the lab's ERROR.
A boot that waits out the grace of a skipped milestone (a later one came, the expected one did
not: lab/matcher.py SKIP_GRACE_S) most likely ends in a FAIL, so its baseline starts then, on a
thread, its progress held until the image's verdict and dropped with it if the line came late
after all (`EarlyBaseline`). A board:
the last image that passed on it (workers/lastpass.py) boots on it again into `<out>/baseline/`,
the image on a free sibling board into `<out>/sibling/`, and lab/boardtriage.py decides."""
from __future__ import annotations

import io
import shutil
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from rustux_bootlab.lab.board import Board
from rustux_bootlab.lab.boardtriage import Tried, board_triage
from rustux_bootlab.lab.contract import BASELINE_DIR, SIBLING_DIR
from rustux_bootlab.lab.matcher import CHANNEL_SKEW_S
from rustux_bootlab.lab.record import BootRecord, write_record
from rustux_bootlab.lab.triage import triage, wants_triage
from rustux_bootlab.lab.verdict import Verdict
from rustux_bootlab.workers.board.session import BoardBootRequest, BoardSession
from rustux_bootlab.workers.qemu.attach import Attachment, LiveBoot
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
# A later milestone came this long ago without the expected one: past the channels' skew, the
# grace (1.5 s) most likely ends in a FAIL.
EARLY_S = CHANNEL_SKEW_S


class _Cancel(Interrupt):
    """The early baseline's stop: the boot's own signals, or `cancel` when no triage is wanted."""

    def __init__(self, boot: Interrupt) -> None:
        self._boot = boot
        self._own: str | None = None

    @property  # type: ignore[override]
    def signame(self) -> str | None:
        return self._boot.signame or self._own

    @signame.setter
    def signame(self, value: str | None) -> None:
        self._own = value


class BaselineAhead:
    """The baseline's boot on a thread, its progress lines held for after the image's."""

    def __init__(self, boot: Callable[[MachineProgress, Interrupt], BootRecord], progress: MachineProgress,
                 interrupt: Interrupt) -> None:
        self._held = io.StringIO()
        self._progress = type(progress)(self._held)
        self._stop = _Cancel(interrupt)
        self._record: BootRecord | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(boot,), name="baseline", daemon=True)

    @property
    def started(self) -> bool:
        return self._thread.ident is not None

    def start(self) -> None:
        self._thread.start()

    def result(self, progress: MachineProgress) -> BootRecord:
        """The baseline's record, once its held lines are said on `progress`."""
        self._thread.join()
        progress.stream.write(self._held.getvalue())
        progress.stream.flush()
        if self._error is not None:
            raise self._error
        assert self._record is not None
        return self._record

    def cancel(self) -> None:
        if self.started:
            self._stop.signame = "the image's boot needed no triage"
            self._thread.join()

    def _run(self, boot: Callable[[MachineProgress, Interrupt], BootRecord]) -> None:
        try:
            self._record = boot(self._progress, self._stop)
        except BaseException as exc:  # said where the result is taken, on the boot's thread
            self._error = exc


class EarlyBaseline(Attachment):
    """Starts the baseline once a later milestone passed the expected one `EARLY_S` ago."""

    def __init__(self, ahead: BaselineAhead) -> None:
        self.ahead = ahead

    def tick(self, live: LiveBoot, t: float) -> None:
        passed = live.matcher.passed_by
        if passed is not None and live.matcher.decided is None and t - passed.t >= EARLY_S and not self.ahead.started:
            awaited = live.matcher.next_milestone
            live.event(f"triage: {passed.name} came without {awaited.name if awaited else 'the next milestone'}; "
                       "the baseline boots while the grace runs")
            self.ahead.start()


def boot_with_triage(request: BootRequest, baseline: Path | None, progress: MachineProgress, interrupt: Interrupt,
                     boot: Boot = boot_cold, baseline_boot: Boot = boot_cold) -> BootRecord:
    shutil.rmtree(request.out / BASELINE_DIR, ignore_errors=True)  # from an earlier boot into the same --out
    if baseline is None:
        return boot(request, progress, interrupt)
    base_request = replace(request, image=baseline, out=request.out / BASELINE_DIR)
    ahead = BaselineAhead(lambda p, i: baseline_boot(base_request, p, i), progress, interrupt)
    try:
        record = boot(replace(request, attachments=(*request.attachments, EarlyBaseline(ahead))), progress, interrupt)
    except BaseException:
        ahead.cancel()  # its QEMU is not left running behind a crashed boot
        raise
    if not wants_triage(record.outcome) or interrupt:
        ahead.cancel()
        shutil.rmtree(request.out / BASELINE_DIR, ignore_errors=True)
        return record
    progress.event(f"triage: {record.outcome.summary()}; booting baseline {baseline} on {request.target.name}")
    base = ahead.result(progress) if ahead.started else baseline_boot(base_request, progress, interrupt)
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
