"""One boot of an image on a board, from taking the board to releasing it.

TAKE (the board's lock; held elsewhere = MISS) -> CONSOLE (opened before power-on, so
the firmware's first lines are kept) -> DEPLOY (PXE staging, USB write + read-back, or
virtual media: an ISO served and inserted through the BMC) -> POWER (off if it was on,
one-time boot override, on; every change read back, and for a PDU, which reads nothing back,
the console's first bytes within `bmc.readback_s`) -> RUN (match the console against the
board's view of the spec until the verdict is known, a timeout or a signal) -> RELEASE,
which always runs: power off, media ejected, boot override cleared, console closed, lock
released, record written. Board, BMC, console or deploy trouble is ERROR (board or lab),
never FAIL.

Clocks: the timeline counts from taking the board (power actions and deploy show where
the time went); milestone times count from power-on, as a QEMU target's from QEMU start.
Console output from before power-on is recorded but not matched (a BMC may replay an old
boot's lines).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab import outcomes
from lab.board import Board
from lab.cleaning import clean_block
from lab.esp import EspError
from lab.judge import BootFacts, judge
from lab.milestones import BootMatcher, MilestoneSpec
from lab.record import BootRecord, write_record
from lab.verdict import Culprit, Outcome
from workers import secrets
from workers.board.error import BoardError, ConsoleError
from workers.board.lock import BoardBusy, BoardLock
from lab.boardview import DEPLOY_SIGNATURES, board_view
from workers.state import state_dir, tftp_root
from workers.boot import RECORD_FILES
from workers.capture import Capture
from workers.console.base import ConsoleGap, ConsoleProtocol
from workers.console.netconsole import NetConsole
from workers.console.serialport import SerialConsole
from workers.console.sol import SolConsole
from workers.deploy.pxe import stage_esp
from workers.deploy.usb import deploy_usb
from workers.deploy.virtualmedia import MediaSlot, VirtualMediaDeploy, deploy_virtual_media
from workers.image import artifact_files, damage, prepare_image
from workers.inputs import ConsoleSerial
from workers.interrupt import Interrupt
from workers.power.base import BootDevice, PowerProtocol
from workers.power import drivers
from workers.progress import MachineProgress
from workers.typist import Typist

TICK_S = 0.1
DECIDED_DRAIN_S = 0.3  # after the verdict: the rest of a line already on its way
CHANNEL = "serial"
OPEN_LINE_TAIL = 512
BOOT_DEVICE: dict[str, BootDevice] = {"pxe": "network", "usb": "disk", "virtual-media": "cd"}

PowerFactory = Callable[[Board, Callable[[str], None]], PowerProtocol]
ConsoleFactory = Callable[[Board, Callable[[], float]], ConsoleProtocol]


@dataclass
class BoardBootRequest:
    board: Board
    image: Path
    spec: MilestoneSpec  # the full spec: the session takes the board's view of it
    out: Path
    timeout_s: float


class _Stop(Exception):
    """Ends the boot early with an outcome (board, console or deploy trouble, a signal)."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.reason)
        self.outcome = outcome


def ipmi_power(board: Board, log: Callable[[str], None]) -> PowerProtocol:
    """The board's power driver by its protocol (the name is older than Redfish and PDUs)."""
    return drivers.for_board(board, log=log)


def board_console(board: Board, clock: Callable[[], float]) -> ConsoleProtocol:
    """The board's console from the inventory; the SOL password is read here, at the moment of use."""
    spec = board.console
    if spec.kind == "serial":
        assert spec.device is not None
        return SerialConsole(board.name, spec.device, spec.baud, clock)
    if spec.kind in ("rfc2217", "tcp"):
        assert spec.host is not None and spec.port is not None
        return NetConsole(board.name, spec.kind, spec.host, spec.port, spec.baud, clock)
    creds = spec.credentials or board.bmc.credentials
    try:
        password = secrets.resolve(creds.password_secret)
    except secrets.SecretError as e:
        raise ConsoleError(board.name, board.bmc.address, str(e), Culprit.LAB) from None
    return SolConsole(board.name, board.bmc.host, board.bmc.port, creds.user, password, clock)


class BoardSession:
    def __init__(self, request: BoardBootRequest, progress: MachineProgress, interrupt: Interrupt, *,
                 power_factory: PowerFactory = ipmi_power, console_factory: ConsoleFactory = board_console) -> None:
        self.request = request
        self.progress = progress
        self.interrupt = interrupt
        self.power_factory = power_factory
        self.console_factory = console_factory
        self.spec, self.skipped = board_view(request.spec, deploy=request.board.deploy.method)
        self.matcher = BootMatcher(self.spec)
        self.started = time.monotonic()
        self._powered_at: float | None = None  # timeline time of the power-on request
        self.capture: Capture | None = None
        self.power: PowerProtocol | None = None
        self.console: ConsoleProtocol | None = None
        self.info: dict[str, Any] = {}
        self._tail = b""  # the console's last bytes, for `_watch_open_line`
        self.typist: Typist | None = None  # types the conversation's steps into the console
        self._open_line_outcome: Outcome | None = None
        self.media: VirtualMediaDeploy | None = None  # ejected and unserved at release

    def _now(self) -> float:
        return time.monotonic() - self.started

    def run(self) -> BootRecord:
        req = self.request
        board = req.board
        req.out.mkdir(parents=True, exist_ok=True)
        for name in RECORD_FILES:
            (req.out / name).unlink(missing_ok=True)
        self.info = {"name": board.name, "bmc": board.bmc.address, "power_protocol": board.bmc.protocol,
                     "console": board.console.kind,
                     "deploy": {"method": board.deploy.method}, "boot_device": BOOT_DEVICE[board.deploy.method],
                     "skipped_milestones": self.skipped, "power": [], "console_gaps": [], "power_off": None}
        record = BootRecord(outcomes.NOT_DECIDED, board.name, {"path": str(req.image), "sha256": None}, qemu=None,
                            milestones_total=self.matcher.total, board=self.info)
        lock = BoardLock(board)
        try:
            lock.acquire(f"bootlab boot {req.image}")
        except BoardBusy as e:
            return self._finish(record, outcomes.held_elsewhere(str(e)))
        self.capture = Capture(req.out, (CHANNEL,))
        try:
            outcome = self._boot(record)
        except _Stop as stop:
            outcome = stop.outcome
        except BoardError as e:  # the console, the BMC or the deploy: never the kernel's fault
            outcome = outcomes.part_failed(e.culprit, str(e))
        finally:
            self._release(lock)
        return self._finish(record, outcome)

    # -- stages ---------------------------------------------------------------------------
    def _boot(self, record: BootRecord) -> Outcome:
        req, board = self.request, self.request.board
        if self.skipped:
            self._event(f"milestones not visible on a board (no such channel): {', '.join(self.skipped)}")
        self.console = self.console_factory(board, self._now)
        self.console.open()
        self._event(f"console {board.console.kind} open")
        self.typist = Typist({"serial": ConsoleSerial(self.console)}, self.capture, self.progress, self._since_power_on,
                             down_culprit=Culprit.BOARD, timeline_clock=self._now)
        self._check_interrupt()
        self.power = self.power_factory(board, self._event)
        if self.power.status() == "on":  # off before the deploy: a USB stick is switched away from it
            self._event("board was on: powering off first")
            self.power.off()
        self._check_interrupt()
        record.image, self.info["deploy"] = self._deploy()
        self._check_interrupt()
        self.power.set_boot(BOOT_DEVICE[board.deploy.method])
        self._check_interrupt()
        self._powered_at = self._now()
        self.power.on()
        self.progress.event(f"board {board.name}: powered on, {BOOT_DEVICE[board.deploy.method]} boot")
        global_timeout = self._loop()
        if self.interrupt:
            return self._interrupted()
        if self._open_line_outcome is not None:
            return self._open_line_outcome
        since_on = self._since_power_on()
        self.matcher.close(since_on)
        return judge(self.matcher, BootFacts(global_timeout=global_timeout, boot_timeout_s=req.timeout_s, duration_s=since_on,
                                             board=board.name, console=getattr(self.console, "where", board.console.kind),
                                             image_files=artifact_files(req.image)))

    def _deploy(self) -> tuple[dict[str, Any], dict[str, Any]]:
        req, board = self.request, self.request.board
        start = self._now()
        try:
            if board.deploy.method == "pxe":
                staged = stage_esp(req.image, tftp_root(board))
                image = {"path": str(req.image), "sha256": staged.sha256}
                deployed = staged.to_dict()
            else:
                fat, image = prepare_image(req.image)
                if board.deploy.method == "virtual-media":
                    # the inventory pairs virtual media with a Redfish BMC, whose driver has the slot
                    assert isinstance(self.power, MediaSlot) and board.deploy.serve is not None
                    self.media = deploy_virtual_media(fat, state_dir(board.name) / "media", board.deploy.serve, self.power)
                    deployed = self.media.to_dict()
                else:
                    deployed = deploy_usb(board, fat).to_dict()
        except EspError as e:
            raise _Stop(outcomes.image_not_bootable(str(e), damage(req.image))) from None
        facts = ", ".join(f"{k} {v}" for k, v in deployed.items() if k != "method")
        self._event(f"deployed by {board.deploy.method} in {self._now() - start:.2f}s: {facts}")
        return image, deployed

    def _loop(self) -> bool:
        """Read and match until decided, interrupted or the boot timeout; True on the timeout."""
        assert self.console is not None
        timeout = self.request.timeout_s
        while True:
            self._read(TICK_S)
            since_on = self._since_power_on()
            self._console_readback(since_on)
            self._console_down()
            self.matcher.poll(since_on)
            self._type()
            decided = self.matcher.decided or self._open_line_outcome
            if decided is not None:
                self._event(f"decided: {decided.summary()}")
                deadline = time.monotonic() + DECIDED_DRAIN_S
                while time.monotonic() < deadline:
                    self._read(0.05)
                return False
            if self.interrupt:
                self._event(f"{self.interrupt.signame} received: stopping")
                return False
            if since_on >= timeout:
                self._event(f"boot timeout of {timeout:g}s after power-on expired")
                return True

    def _read(self, timeout: float) -> None:
        assert self.console is not None and self.capture is not None
        for chunk in self.console.read(timeout):
            t = self._now()
            if isinstance(chunk, ConsoleGap):
                gap = {"start": round(chunk.start, 3), "end": round(chunk.end, 3), "reason": chunk.reason}
                self.info["console_gaps"].append(gap)
                self._event(chunk.text())
                if self.matcher.conversation is not None and self._powered_at is not None:
                    self.matcher.conversation.console_gap(chunk.start - self._powered_at, chunk.end - self._powered_at)
                continue
            self.capture.data(CHANNEL, chunk, t)
            if self._powered_at is None:
                continue
            found = self.matcher.feed(CHANNEL, chunk, t - self._powered_at)
            before = self.matcher.reached - len(found)
            for i, hit in enumerate(found):
                self.progress.milestone(before + i + 1, self.matcher.total, hit)
            self._watch_open_line(chunk)
            self._type()

    def _console_readback(self, since_on: float) -> None:
        """A PDU reports no power state: the firmware's first bytes on the console are the read-back."""
        bmc = self.request.board.bmc
        if bmc.protocol == "pdu" and since_on >= bmc.readback_s and self.matcher.bytes_seen[CHANNEL] == 0:
            raise _Stop(outcomes.part_failed(Culprit.BOARD, (
                f"board {self.request.board.name}: PDU {bmc.pdu} outlet {bmc.outlet} was switched on, but the console "
                f"showed nothing for {bmc.readback_s:g}s: check that the outlet powers this board and the console's cable")))

    def _console_down(self) -> None:
        """A console lost and not back yet is a gap up to now: a step's answer may be in it."""
        down = self.console.down_since if self.console is not None else None
        if down is not None and self.matcher.conversation is not None and self._powered_at is not None:
            self.matcher.conversation.console_gap(down - self._powered_at, self._since_power_on())

    def _type(self) -> None:
        if self.typist is not None and self._powered_at is not None:
            self.typist.pump(self.matcher)

    def _watch_open_line(self, chunk: bytes) -> None:
        """The deploy signatures, also on a line the firmware has not ended yet: OVMF prints
        `>>Start PXE over IPv4.` and its line end only after DHCP gave up, a minute later."""
        if self._open_line_outcome is not None or self.matcher.decided is not None:
            return
        self._tail = (self._tail + chunk)[-OPEN_LINE_TAIL:]
        text = clean_block(self._tail)
        for sig in DEPLOY_SIGNATURES.get(self.request.board.deploy.method, ()):
            found = sig.regex.search(text)
            if found:
                line = text[text.rfind("\n", 0, found.start()) + 1:].split("\n")[0].strip()
                self._open_line_outcome = outcomes.open_line_signature(sig, line, self.matcher.last_milestone)
                return

    def _release(self, lock: BoardLock) -> None:
        """Power off, close the console, release the board: after every outcome."""
        if self.power is not None:
            try:
                self.power.off()
                self.info["power_off"] = "off"
            except BoardError as e:
                self.info["power_off"] = f"failed: {e}"
                self._event(f"power off failed: {e}: the board may still be on")
            self._finish_media()
            try:
                clear = getattr(self.power, "clear_boot", None)
                if clear is not None:
                    clear()
            except BoardError as e:
                self._event(f"clearing the boot override failed: {e}")
            finally:
                trips = getattr(self.power, "round_trips", [])
                self.info["ipmi_round_trips"] = [{"what": what, "s": round(s, 4)} for what, s in trips]
                self.power.close()
        if self.console is not None:
            self.console.close()
            self._event("console closed")
        lock.release()
        self._event(f"board {self.request.board.name} released")
        if self.capture is not None:
            self.capture.close(self._now())

    def _finish_media(self) -> None:
        """Eject the virtual media and stop serving it; what the BMC fetched goes into the record."""
        if self.media is None:
            return
        try:
            self.media.finish()
        except BoardError as e:
            self._event(f"ejecting the virtual media failed: {e}")
        finally:
            self.info["deploy"] = self.media.to_dict()

    # -- helpers --------------------------------------------------------------------------
    def _event(self, text: str) -> None:
        t = self._now()
        if self.capture is not None:
            self.capture.event(text, t)
        for prefix in ("ipmi: ", "redfish: ", "pdu: "):
            if text.startswith(prefix):
                self.info["power"].append({"t": round(t, 3), "event": text.removeprefix(prefix)})

    def _since_power_on(self) -> float:
        return 0.0 if self._powered_at is None else self._now() - self._powered_at

    def _check_interrupt(self) -> None:
        if self.interrupt:
            self._event(f"{self.interrupt.signame} received: stopping")
            raise _Stop(self._interrupted())

    def _interrupted(self) -> Outcome:
        return outcomes.interrupted(self.interrupt.signame, self._now(), self.matcher.last_milestone)

    def _finish(self, record: BootRecord, outcome: Outcome) -> BootRecord:
        record.outcome = outcome
        record.milestones = sorted([*self.matcher.hits, *self.matcher.step_hits], key=lambda hit: hit.t)
        record.conversation = self.matcher.conversation.to_list() if self.matcher.conversation else None
        record.bytes_seen = {CHANNEL: self.matcher.bytes_seen[CHANNEL]}
        record.duration_s = self._now()
        record.board = self.info
        write_record(self.request.out, record)
        return record
