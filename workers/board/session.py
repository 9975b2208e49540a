"""A board as a machine (workers/machine.py): one boot of an image on it is the boot run
(workers/run.py) over a `BoardMachine`, composed of the board's power, console and deploy
drivers (workers/board/parts.py).

TAKE the board's lock (held elsewhere = MISS) -> PREPARE: the console opened before power-on
(the firmware's first lines are kept), power off if it was on, DEPLOY (PXE staging, USB write
+ read-back, or virtual media: an ISO served and inserted through the BMC), the one-time boot
override -> POWER on (every change read back; a PDU reads nothing back, so the console's first
bytes within `bmc.readback_s` are its read-back) -> the run's loop over the console -> STOP:
power off, media ejected, boot override cleared, console closed -> RELEASE the lock. Board,
BMC, console or deploy trouble is ERROR (board or lab), never FAIL.

The board's view of the spec (lab/boardview.py) is matched: only its console's channel. Its
deadlines are learned per board and spec (the profile names the deploy, the console and the
spec's milestones), from power-on, as a target's from QEMU start.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rustux_bootlab.lab import outcomes
from rustux_bootlab.lab.board import Board
from rustux_bootlab.lab.boardview import DEPLOY_SIGNATURES, board_view
from rustux_bootlab.lab.cleaning import clean_block
from rustux_bootlab.lab.netboot import NetbootProgress, netboot_outcome
from rustux_bootlab.lab.milestones import MilestoneSpec
from rustux_bootlab.lab.record import BootRecord
from rustux_bootlab.lab.verdict import Culprit, Outcome
from rustux_bootlab.workers.board.error import BoardError
from rustux_bootlab.workers.board.lock import BoardBusy, BoardLock
from rustux_bootlab.workers.board.parts import ConsoleFactory, PowerFactory, board_console, board_deploy, board_power
from rustux_bootlab.workers.console.base import ConsoleGap, ConsoleProtocol
from rustux_bootlab.workers.input.ports import ConsoleSerial, InputPort
from rustux_bootlab.workers.interrupt import Interrupt
from rustux_bootlab.workers.machine import MachineStop
from rustux_bootlab.workers.power.base import PowerProtocol
from rustux_bootlab.workers.progress import MachineProgress
from rustux_bootlab.workers.run import BootRun, Plan
from rustux_bootlab.workers.input.typist import Conversation

__all__ = ["BoardBootRequest", "BoardMachine", "BoardSession", "board_console"]

CHANNEL = "serial"
OPEN_LINE_TAIL = 512


@dataclass
class BoardBootRequest:
    board: Board
    image: Path
    spec: MilestoneSpec  # the full spec: the machine takes the board's view of it
    out: Path
    timeout_s: float


class BoardMachine:
    kind = "board"
    channels: tuple[str, ...] = (CHANNEL,)
    timeline_from_take = True  # deploy and power actions show where the time went
    input_culprit = Culprit.BOARD  # a console that stays down is the board's

    def __init__(self, board: Board, *, power_factory: PowerFactory = board_power,
                 console_factory: ConsoleFactory = board_console) -> None:
        self.board = board
        self.name = board.name
        self.power_factory = power_factory
        self.console_factory = console_factory
        self.deploy = board_deploy(board, lambda: self.power)
        self.power: PowerProtocol | None = None
        self.console: ConsoleProtocol | None = None
        self.lock = BoardLock(board)
        self.skipped: list[str] = []
        self.info: dict[str, Any] = {}
        self._tail = b""  # the console's last bytes, for `_watch_open_line`
        self._seen: Outcome | None = None
        self._netboot = NetbootProgress()  # how far a PXE boot got (lab/netboot.py)
        self._gaps: list[tuple[float, float]] = []  # console gaps after power-on, milestones' clock

    def view(self, spec: MilestoneSpec) -> MilestoneSpec:
        view, self.skipped = board_view(spec, deploy=self.board.deploy.method)
        return view

    def take(self, run: BootRun) -> None:
        board = self.board
        self.info = {"name": board.name, "bmc": board.bmc.address, "power_protocol": board.bmc.protocol,
                     "console": board.console.kind,
                     "deploy": {"method": board.deploy.method}, "boot_device": self.deploy.boot_device,
                     "skipped_milestones": self.skipped, "power": [], "console_gaps": [], "power_off": None}
        try:
            self.lock.acquire(f"bootlab boot {run.plan.image}")
        except BoardBusy as e:
            raise MachineStop(outcomes.held_elsewhere(str(e))) from None

    def prepare(self, run: BootRun, record: BootRecord) -> str:
        board = self.board
        run.open_capture()
        if self.skipped:
            run.event(f"milestones not visible on a board (no such channel): {', '.join(self.skipped)}")
        self.console = self.console_factory(board, run.clock)
        self.console.open()
        run.event(f"console {board.console.kind} open")
        run.check_interrupt()
        self.power = self.power_factory(board, lambda text: self._power_event(run, text))
        if self.power.status() == "on":  # off before the deploy: a USB stick is switched away from it
            run.event("board was on: powering off first")
            self.power.off()
        run.check_interrupt()
        start = run.clock()
        deployed = self.deploy.put(run.plan.image)
        record.image, self.info["deploy"] = deployed.image, deployed.facts
        facts = ", ".join(f"{k} {v}" for k, v in deployed.facts.items() if k != "method")
        run.event(f"deployed by {self.deploy.method} in {run.clock() - start:.2f}s: {facts}")
        run.check_interrupt()
        self.power.set_boot(self.deploy.boot_device)
        run.check_interrupt()
        return self._profile(run.spec)

    def _profile(self, spec: MilestoneSpec) -> str:
        """Boots of this board whose timings compare: same deploy, console and milestones."""
        milestones = "|".join(f"{m.name}={m.regex.pattern}" for m in spec.milestones)
        digest = hashlib.sha256(milestones.encode()).hexdigest()[:16]
        return f"board/{self.board.deploy.method}/{self.board.console.kind}/spec-{digest}"

    def power_on(self, run: BootRun) -> float | None:
        assert self.power is not None
        import time

        at = time.monotonic()
        self.power.on()
        run.progress.event(f"board {self.board.name}: powered on, {self.deploy.boot_device} boot")
        run.machine_started()
        return at

    def read(self, run: BootRun, timeout: float) -> int:
        assert self.console is not None
        chunks = self.console.read(timeout)
        for chunk in chunks:
            if isinstance(chunk, ConsoleGap):
                self._gap(run, chunk)
                continue
            run.feed(CHANNEL, chunk)
            if run.powered:
                self._watch_open_line(run, chunk)
        return len(chunks)

    def _gap(self, run: BootRun, gap: ConsoleGap) -> None:
        self.info["console_gaps"].append({"start": round(gap.start, 3), "end": round(gap.end, 3), "reason": gap.reason})
        run.event(gap.text())
        offset = run.clock() - run.now()  # the timeline's clock minus the milestones'
        if run.powered:
            run.end_line(CHANNEL, gap.start - offset)  # the cut line's milestone came before the gap (row 12a)
            self._gaps.append((gap.start - offset, gap.end - offset))  # a milestone may be in it (judge row 12a)
        if run.matcher.conversation is not None and run.powered:
            run.matcher.conversation.console_gap(gap.start - offset, gap.end - offset)

    def tick(self, run: BootRun, t: float) -> Outcome | None:
        """A console lost and not back yet is a gap up to now: a step's answer may be in it."""
        down = self.console.down_since if self.console is not None else None
        if down is not None and run.matcher.conversation is not None:
            run.matcher.conversation.console_gap(down - (run.clock() - t), t)
        return self._seen or self._console_readback(run, t)

    def _console_readback(self, run: BootRun, t: float) -> Outcome | None:
        """A PDU reports no power state: the firmware's first bytes on the console are the read-back."""
        bmc = self.board.bmc
        if bmc.protocol != "pdu" or t < bmc.readback_s or run.matcher.bytes_seen[CHANNEL] > 0:
            return None
        return outcomes.part_failed(Culprit.BOARD, (
            f"board {self.board.name}: PDU {bmc.pdu} outlet {bmc.outlet} was switched on, but the console "
            f"showed nothing for {bmc.readback_s:g}s: check that the outlet powers this board and the console's cable"))

    def _watch_open_line(self, run: BootRun, chunk: bytes) -> None:
        """The deploy signatures, also on a line the firmware has not ended yet: OVMF prints
        `>>Start PXE over IPv4.` and its line end only after DHCP gave up, a minute later."""
        if self._seen is not None or run.matcher.decided is not None:
            return
        self._tail = (self._tail + chunk)[-OPEN_LINE_TAIL:]
        text = clean_block(self._tail)
        if self.board.deploy.method == "pxe":
            self._netboot.feed(text)
        for sig in DEPLOY_SIGNATURES.get(self.board.deploy.method, ()):
            found = sig.regex.search(text)
            if found:
                line = text[text.rfind("\n", 0, found.start()) + 1:].split("\n")[0].strip()
                self._seen = outcomes.open_line_signature(sig, line, run.matcher.last_milestone)
                return

    def exited(self, run: BootRun) -> int | None:
        return None  # a board runs until it is powered off

    def send(self, console: str, data: bytes) -> None:
        assert self.console is not None
        self.console.write(data)

    def inputs(self, run: BootRun) -> dict[str, InputPort]:
        assert self.console is not None
        return {"serial": ConsoleSerial(self.console)}

    def stop(self, run: BootRun) -> None:
        """Power off and close the console: after every outcome."""
        if self.power is not None:
            try:
                self.power.off()
                self.info["power_off"] = "off"
            except BoardError as e:
                self.info["power_off"] = f"failed: {e}"
                run.event(f"power off failed: {e}: the board may still be on")
            self._finish_media(run)
            try:
                clear = getattr(self.power, "clear_boot", None)
                if clear is not None:
                    clear()
            except BoardError as e:
                run.event(f"clearing the boot override failed: {e}")
            finally:
                trips = getattr(self.power, "round_trips", [])
                self.info["ipmi_round_trips"] = [{"what": what, "s": round(s, 4)} for what, s in trips]
                self.power.close()
        if self.console is not None:
            self.console.close()
            run.event("console closed")
        run.finished()

    def _finish_media(self, run: BootRun) -> None:
        """Eject the virtual media and stop serving it; what the BMC fetched goes into the record."""
        finish, facts = getattr(self.deploy, "finish", None), getattr(self.deploy, "facts", None)
        if finish is None or facts is None:
            return
        try:
            finish()
        except BoardError as e:
            run.event(f"ejecting the virtual media failed: {e}")
        if (fetched := facts()) is not None:
            self.info["deploy"] = fetched

    def release(self, run: BootRun) -> None:
        self.lock.release()
        run.event(f"board {self.board.name} released")

    def facts(self, run: BootRun) -> dict[str, Any]:
        gaps = list(self._gaps)
        down = self.console.down_since if self.console is not None else None
        if down is not None and run.powered:  # still down at the decision
            gaps.append((down - (run.clock() - run.now()), run.now()))
        return {"board": self.board.name, "console": getattr(self.console, "where", self.board.console.kind),
                "console_gaps": tuple(gaps)}

    def review(self, run: BootRun, outcome: Outcome) -> Outcome:
        """A PXE boot decided before its image arrived is the lab's (lab/netboot.py)."""
        if self.board.deploy.method != "pxe":
            return outcome
        return netboot_outcome(outcome, self._netboot.stage)

    def finish(self, run: BootRun, record: BootRecord) -> None:
        record.qemu = None
        record.board = self.info
        record.boot_path = None  # a board boots its own firmware: no warm path
        record.bytes_seen = {CHANNEL: run.matcher.bytes_seen[CHANNEL]}

    def _power_event(self, run: BootRun, text: str) -> None:
        run.event(text)
        for prefix in ("ipmi: ", "redfish: ", "pdu: "):
            if text.startswith(prefix):
                self.info["power"].append({"t": round(run.clock(), 3), "event": text.removeprefix(prefix)})


def BoardSession(request: BoardBootRequest, progress: MachineProgress, interrupt: Interrupt, **parts: Any) -> BootRun:
    """One boot of `request` on its board: the boot run over a `BoardMachine`."""
    plan = Plan(request.image, request.spec, request.out, request.timeout_s)
    return BootRun(BoardMachine(request.board, **parts), plan, progress, interrupt, (Conversation(progress),))
