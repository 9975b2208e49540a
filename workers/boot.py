"""One boot of an image on a QEMU target, from firmware check to boot record.

The session is a short pipeline of states: CHECK (firmware, image) -> START (accel,
sockets, QEMU) -> RUN (capture and match until the verdict is known) -> STOP
(attachments' last word, quit, kill the group, reap) -> JUDGE (lab.judge) -> RECORD. A
problem in CHECK ends the boot before QEMU is started. STOP always runs.

What a boot captures and sends besides the guest consoles (the last screen, a screen
channel, keys, a conversation, a snapshot restore) plugs in as an `Attachment`
(workers/qemu/attach.py); the session is the `LiveBoot` they act on.
"""
from __future__ import annotations

import shutil
import socket
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lab import outcomes
from lab.boottime import judge_pass, kernel_clock
from lab.deadlines import LEARNED, PassingBoot, learn_deadlines, profile_key
from lab.esp import EspError
from lab.firmware import inspect_firmware, uboot_version
from lab.inventory import QemuTarget
from lab.judge import DEBUG_EXIT_FAILURE, DEBUG_EXIT_SUCCESS, BootFacts, judge
from lab.milestones import BootMatcher, MilestoneSpec
from lab.record import RESULT, BootRecord, write_record
from lab.secureboot import secure_boot_outcome
from lab.spec import CHANNELS
from lab.verdict import Culprit, Outcome, Verdict
from workers.capture import TIMELINE, Capture, Streams
from workers.fwscan import cached_scan
from workers.image import artifact_files, damage, prepare_image
from workers.interrupt import Interrupt
from workers.kvm import AccelChoice, qemu_version, resolve_accel
from workers.partitioned import partitioned_disk
from workers.passes import load_passes, record_pass
from workers.progress import MachineProgress
from workers.qemu.attach import Attachment
from workers.qemu import earlystart
from workers.qemu.command import CONSOLES, QMP, Firmware, Profile, qemu_command
from workers.qemu.process import QemuProcess, QemuStartError
from workers.qemu.qmp import QmpClient, QmpError
from workers.qemu.screen import SCREEN_PNG, ScreenChannel
from workers.secureboot import secure_boot_facts
from workers.typist import Conversation
from workers.workdir import workdir

TICK_S = 0.1  # longest the loop sleeps: bounds the reaction to timeouts and signals
DRAIN_S = 1.0  # after QEMU exits, how long to wait for the channels' last bytes
DECIDED_DRAIN_S = 0.2  # after the verdict, how long to keep reading lines already in flight
IDLE_S = 0.03  # ... stopping early once the channels are quiet this long
QUIT_GRACE_S = 3.0
VARS_COPY = "vars.fd"  # the per-boot copy of the VARS template in the work directory
MAX_SOCKET_PATH = 108  # sun_path, including the terminating NUL
RECORD_FILES = (RESULT, TIMELINE, SCREEN_PNG, *(f"{c}.log" for c in CHANNELS))
QUIET_EVENTS = {"RTC_CHANGE"}  # the guest setting its clock: noise on the timeline
# Exit statuses that mean the guest ran: a reset under -no-reboot, isa-debug-exit 0x10/0x11.
_GUEST_EXITS = (None, 0, DEBUG_EXIT_SUCCESS, DEBUG_EXIT_FAILURE)


@dataclass
class BootRequest:
    target: QemuTarget  # overrides (firmware, machine, accel) already applied
    image: Path
    spec: MilestoneSpec
    out: Path
    timeout_s: float
    qemu_binary: str = ""  # default: the QEMU of the target's environment
    attachments: tuple[Attachment, ...] = ()  # besides the built-in screen and conversation
    # "warm": the machine has no boot disk (an attachment restores the firmware and plugs the
    # ESP in: workers/warm/), and its milestone deadlines are learned from warm boots only.
    boot_path: str = "cold"
    # The files the command came from besides the image and the firmware (the inventory, the
    # spec): the next identical boot starts QEMU early only while they are unchanged.
    plan_inputs: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        self.qemu_binary = self.qemu_binary or self.target.environment.qemu


@dataclass
class _Run:
    """What the RUN state observed."""

    exit_status: int | None = None
    global_timeout: bool = False
    failed_to_start: str | None = None
    qemu_version: str | None = None  # from the QMP greeting: no `qemu --version` run per boot
    qemu_output_tail: bytes = b""
    ended: str | None = None  # an attachment ended the boot (a person detached): why


@dataclass
class _Io:
    """The open channels of a running boot."""

    capture: Capture
    streams: Streams = field(default_factory=Streams)


class BootSession:
    """One boot; while QEMU runs it is the `LiveBoot` its attachments act on."""

    def __init__(self, request: BootRequest, progress: MachineProgress, interrupt: Interrupt) -> None:
        self.request = request
        self.progress = progress
        self.interrupt = interrupt
        self.matcher = BootMatcher(request.spec)
        self.attachments: tuple[Attachment, ...] = (ScreenChannel(), Conversation(progress), *request.attachments)
        self.started = time.monotonic()
        self.out = request.out
        self.qmp: QmpClient | None = None
        self._t0: float | None = None  # QEMU start: t=0 of every channel and the timeline
        self._io: _Io | None = None
        self._run = _Run()
        self._profile: str | None = None  # whose passing boots the deadlines came from
        self.image: Path | None = None  # the FAT image of the ESP, once prepared
        self._history: list[PassingBoot] = []  # ... and this boot's time is judged against

    @property
    def capture(self) -> Capture:
        assert self._io is not None
        return self._io.capture

    # -- LiveBoot ---------------------------------------------------------------------------
    def now(self) -> float:
        return 0.0 if self._t0 is None else time.monotonic() - self._t0

    def feed(self, channel: str, data: bytes, t: float | None = None) -> None:
        if not data:
            return
        assert self._io is not None
        t = self.now() if t is None else t
        self._io.capture.data(channel, data, t)
        if channel == "qemu":
            self._run.qemu_output_tail = (self._run.qemu_output_tail + data)[-4096:]
        found = self.matcher.feed(channel, data, t)
        before = self.matcher.reached - len(found)
        for i, hit in enumerate(found):
            self.progress.milestone(before + i + 1, self.matcher.total, hit)
            for a in self.attachments:
                a.hit(self, hit)
        for a in self.attachments:
            a.received(self, channel, data)
            a.fed(self, channel)

    def connection(self, console: str) -> socket.socket | None:
        return None if self._io is None else self._io.streams.connections.get(console)

    def send(self, console: str, data: bytes) -> None:
        conn = self.connection(console)
        if conn is None:
            raise ValueError(f"console {console} is not connected: nothing to send {data[:20]!r} to")
        conn.setblocking(True)
        try:
            conn.sendall(data)
        finally:
            conn.setblocking(False)

    def event(self, text: str) -> None:
        if self._io is not None:
            self._io.capture.event(text, self.now())

    # -- the states -------------------------------------------------------------------------
    def run(self) -> BootRecord:
        req = self.request
        req.out.mkdir(parents=True, exist_ok=True)
        # A reused --out must not mix an old boot into this one.
        for path in (*(req.out / name for name in RECORD_FILES), *req.out.glob("screen-*.png")):
            path.unlink(missing_ok=True)
        fw = req.target.firmware
        report = inspect_firmware(**{role: path for role, path in fw.files().items()}, scan=cached_scan)
        record = BootRecord(
            outcome=outcomes.NOT_DECIDED,
            target=req.target.name,
            image={"path": str(req.image), "sha256": None},
            firmware=report.to_dict(),
            qemu={"version": None, "accel": None, "accel_reason": None, "command": None},
            milestones_total=self.matcher.total,
            environment=req.target.environment.to_dict(),
            secure_boot=req.target.secure_boot,
        )
        if (missing := req.target.environment.missing()) is not None:
            return self._finish(record, outcomes.part_failed(Culprit.HOST, missing))
        record.warnings += report.warnings
        for warning in report.warnings:
            self.progress.event(f"warning: {warning}")
        if not report.ok:
            return self._finish(record, judge(self.matcher, BootFacts(firmware_problem=report.problems[0])))
        with workdir("boot") as work:
            try:
                fat, record.image = prepare_image(req.image)
            except EspError as exc:
                if self.interrupt:  # Ctrl-C reaches mkfs.fat/mcopy too: not the image's fault
                    return self._finish(record, self._interrupted())
                # The artifact is malformed: the build's (FAIL), unless it was damaged on the way.
                return self._finish(record, outcomes.image_not_bootable(str(exc), damage(req.image)))
            if self.interrupt:
                return self._finish(record, self._interrupted())
            if fw.mode == "bios" and fw.bios is not None and uboot_version(fw.bios) is not None:
                fat = partitioned_disk(fat, work / "disk.img")  # U-Boot boots partitions only
            accel = resolve_accel(req.target.accel, req.target.machine, firmware_for(fw, None), req.qemu_binary)
            record.qemu.update(accel=accel.accel, accel_reason=accel.reason)
            record.deadlines = self._learn(accel, report.identity)
            self.progress.event(f"target {req.target.name}: {req.target.machine}, {fw.mode} firmware, {accel.accel} ({accel.reason})")
            return self._boot(record, work, fat, accel)

    def _learn(self, accel: AccelChoice, firmware: dict[str, Any]) -> dict[str, Any]:
        """The milestone deadlines from this target's passing boots of the same profile."""
        req = self.request
        roms = [ident.sha256 for role, ident in firmware.items() if role != "vars"]  # VARS is a template, rewritten per boot
        self._profile = profile_key(accel.accel, req.target.machine, req.target.memory_mb, roms)
        if req.boot_path != "cold":  # a restored firmware reaches the kernel in a tenth of the time
            self._profile += f"/{req.boot_path}"
        history = load_passes(req.target.name, self._profile)
        self._history = history
        deadlines = learn_deadlines(req.spec, history)
        self.matcher = BootMatcher(req.spec, deadlines=deadlines)
        learned = sum(d.source == LEARNED for d in deadlines)
        self.progress.event(f"deadlines: {learned} of {len(deadlines)} learned from {len(history)} passing boots ({self._profile})")
        return {"profile": self._profile, "history": len(history), "learned": learned,
                "milestones": [d.to_dict() for d in deadlines], "decided_by": None}

    def _boot(self, record: BootRecord, work: Path, fat: Path, accel: AccelChoice) -> BootRecord:
        req = self.request
        fw = req.target.firmware
        self.image = fat
        extra = tuple(arg for a in self.attachments for arg in a.qemu_args(work))
        argv = machine_command(req, accel.accel, work, None if req.boot_path == "warm" else fat, extra)
        # Started before the lab was imported, from the last identical boot's plan, if it runs this very command.
        vars_template = fw.vars if fw.mode == "pflash" else None
        early = None
        if req.boot_path == "cold":
            early = earlystart.take(argv, work, vars_template)
        else:
            earlystart.discard()
        if early is not None:
            work, argv = early.work, early.argv
        elif vars_template is not None:
            shutil.copyfile(vars_template, work / VARS_COPY)  # fresh per boot: no state leaks between boots
        sockets = console_sockets(work)
        longest = max(sockets.values(), key=lambda path: len(str(path)))
        if early is None and len(str(longest)) >= MAX_SOCKET_PATH:
            reason = f"channel socket path {longest} is too long for a unix socket: set TMPDIR to a short directory"
            return self._finish(record, outcomes.part_failed(Culprit.LAB, reason))
        record.qemu["command"] = argv
        record.qemu["early_start"] = early is not None
        channels = tuple(dict.fromkeys((*CHANNELS, *(c for a in self.attachments for c in a.channels))))
        self._io = io = _Io(Capture(req.out, channels))
        run = self._run
        qemu = early.qemu if early is not None else QemuProcess(argv)
        try:
            for name in CONSOLES:
                io.streams.listen(name, sockets[name], server=early.listeners[name] if early else None)
            io.streams.listen(QMP, sockets[QMP], on_accept=self._attach_qmp, server=early.listeners[QMP] if early else None)
            try:
                if early is None:
                    qemu.start()
                    if req.boot_path == "cold":
                        earlystart.remember(argv, work, vars_template, VARS_COPY, sockets,
                                            [*req.plan_inputs, *fw.files().values(), fat, req.image])
            except QemuStartError as exc:
                run.failed_to_start = str(exc)
            else:
                self._t0 = qemu.started_at
                io.streams.add("qemu", qemu.output)
                record.qemu["pid"] = qemu.pid
                self.event(f"QEMU started, pid {qemu.pid}: {' '.join(argv)}")
                self._loop(qemu)
        finally:
            self._stop(qemu)
            t = self.now()
            io.streams.close()
            self.matcher.close(t)
            io.capture.close(t)
            if early is not None:  # its directory is not the pipeline's workdir()
                shutil.rmtree(early.work, ignore_errors=True)
        if self.interrupt:
            outcome = self._interrupted()
        elif run.ended and self.matcher.decided is None:
            outcome = outcomes.ended_before_verdict(run.ended, t, self.matcher.last_milestone)
        else:
            if run.failed_to_start is None and self.qmp is None and run.exit_status not in _GUEST_EXITS:
                tail = run.qemu_output_tail.decode("utf-8", "replace").strip().splitlines()
                run.failed_to_start = tail[-1] if tail else f"exit status {run.exit_status}"
            outcome = judge(self.matcher, BootFacts(
                exit_status=run.exit_status,
                global_timeout=run.global_timeout,
                qemu_failed_to_start=run.failed_to_start,
                boot_timeout_s=req.timeout_s,
                duration_s=t,
                image_files=artifact_files(req.image),
            ))
        if req.target.secure_boot:
            outcome = secure_boot_outcome(outcome, secure_boot_facts(req.image, req.out))
        record.qemu["exit_status"] = run.exit_status
        record.qemu["version"] = run.qemu_version
        return self._finish(record, outcome)

    def _loop(self, qemu: QemuProcess) -> None:
        """Capture and match until the verdict is known, QEMU exits, a timeout or a signal."""
        assert self._io is not None
        streams, run = self._io.streams, self._run
        announced = False
        while True:
            for channel, data in streams.wait(min(TICK_S, max(self.request.timeout_s - self.now(), 0.0))):
                self.feed(channel, data)
            t = self.now()
            self._pump_qmp()
            self.matcher.poll(t)
            for a in self.attachments:
                a.tick(self, t)
            if self.matcher.decided is not None and not announced:
                announced = True
                self.event(f"decided: {self.matcher.decided.summary()}")
                if not any(a.holds(self) for a in self.attachments):
                    # The same line on the other console is usually a few ms behind: keep it.
                    self._drain(limit=DECIDED_DRAIN_S, idle=IDLE_S)
                    return
                self.progress.verdict(self.matcher.decided)  # said now; the boot goes on while held
            ended = next((why for a in self.attachments if (why := a.ended(self))), None)
            if ended:
                run.ended = ended
                self.event(ended)
                return
            if self.interrupt:
                self.event(f"{self.interrupt.signame} received: stopping")
                return
            status = qemu.poll()
            if status is not None:
                run.exit_status = status
                self.event(f"QEMU exited with status {status}")
                self._drain(limit=DRAIN_S, idle=DRAIN_S)
                return
            if t >= self.request.timeout_s:
                run.global_timeout = True
                self.event(f"boot timeout of {self.request.timeout_s:g}s expired")
                return

    def _drain(self, limit: float, idle: float) -> None:
        """Read what is still in flight: until every channel ended, nothing came for `idle`
        seconds, or `limit` seconds passed."""
        assert self._io is not None
        streams = self._io.streams
        deadline = time.monotonic() + limit
        while streams.open_channels and time.monotonic() < deadline:
            chunks = streams.wait(min(idle, max(deadline - time.monotonic(), 0.0)))
            if not chunks:
                break
            for channel, data in chunks:
                self.feed(channel, data)

    def _attach_qmp(self, conn: Any) -> None:
        client = QmpClient(conn)
        try:
            greeting = client.handshake(timeout=5.0)
        except QmpError as exc:
            self.event(f"QMP unusable: {exc}")
            client.close()
        else:
            self.qmp = client
            self._run.qemu_version = _version(greeting)
        for a in self.attachments:
            a.started(self)

    def _pump_qmp(self) -> None:
        if self.qmp is None or self.qmp.closed:
            return
        for event in self.qmp.pump():
            if event.get("event") in QUIET_EVENTS:
                continue
            data = event.get("data")
            self.event(f"QMP event {event.get('event')}{' ' + str(data) if data else ''}")

    def _stop(self, qemu: QemuProcess) -> None:
        """The attachments' last word (only while QEMU runs, not after a signal), quit, kill
        the group, reap."""
        if qemu.running() and not self.interrupt:
            for a in self.attachments:
                a.stopping(self)
        if qemu.running() and self.qmp is not None:
            try:
                self.qmp.execute("quit", timeout=1.0)
            except QmpError:
                pass  # QEMU may close the socket before answering; stop() kills it anyway
        status = qemu.stop(grace=QUIT_GRACE_S if self.qmp is not None else 0.0)
        if self.qmp is not None:
            self.qmp.close()
        if status is not None:
            self.event(f"QEMU stopped and reaped (status {status})")
        for a in self.attachments:
            a.finished(self)

    def _interrupted(self) -> Outcome:
        return outcomes.interrupted(self.interrupt.signame, time.monotonic() - self.started, self.matcher.last_milestone)

    def _finish(self, record: BootRecord, outcome: Outcome) -> BootRecord:
        record.outcome = outcome
        timeout = self.matcher.timeout
        if record.deadlines is not None and timeout is not None and timeout.deadline is not None and outcome.verdict is Verdict.FAIL:
            due = timeout.deadline.expected_s
            since = self.matcher.hits[-1].t if self.matcher.hits else 0.0
            record.deadlines["decided_by"] = {**timeout.deadline.to_dict(), "decided_t": round(timeout.t, 3),
                                              "due_t": None if due is None else round(since + due, 3)}
        if outcome.verdict is Verdict.PASS and self._profile is not None:
            regexes = {m.name: m.regex for m in self.request.spec.milestones}
            passing = PassingBoot(self._profile, tuple((h.name, h.t) for h in self.matcher.hits),
                                  tuple(kernel_clock(regexes, [(h.name, h.line) for h in self.matcher.hits])))
            record.boot_time = judge_pass(self._history, passing)
            for line in record.boot_time["regressions"]:
                self.progress.event(f"slower: {line}")
            record_pass(self.request.target.name, passing)
        if record.qemu.get("version") is None:  # QEMU never greeted on QMP: ask the binary
            record.qemu["version"] = qemu_version(self.request.qemu_binary)
        record.milestones = sorted([*self.matcher.hits, *self.matcher.step_hits], key=lambda hit: hit.t)
        record.conversation = self.matcher.conversation.to_list() if self.matcher.conversation else None
        record.bytes_seen = dict(self.matcher.bytes_seen)
        record.duration_s = time.monotonic() - self.started
        record.boot_path = self.request.boot_path
        write_record(self.request.out, record)
        return record


def _version(greeting: dict[str, Any]) -> str | None:
    """`QEMU emulator version 7.2.22 (Debian ...)`, the first line of `qemu --version`."""
    try:
        v = greeting["version"]["qemu"]
        package = greeting["version"].get("package", "").strip()
        return f"QEMU emulator version {v['major']}.{v['minor']}.{v['micro']}" + (f" ({package})" if package else "")
    except (KeyError, TypeError, AttributeError):
        return None


def console_sockets(work: Path) -> dict[str, Path]:
    """The unix socket per console and for QMP in a boot's work directory."""
    return {name: work / f"{name}.sock" for name in (*CONSOLES, QMP)}


def machine_command(request: BootRequest, accel: str, work: Path, image: Path | None,
                    extra: tuple[str, ...] = ()) -> list[str]:
    """The QEMU command line of `request`'s machine in a work directory (its consoles'
    sockets, the VARS copy): the boot's own, or a warm snapshot's (no image: no boot disk)."""
    target = request.target
    vars_copy = work / VARS_COPY if target.firmware.mode == "pflash" else None
    profile = Profile(target.machine, target.memory_mb, accel, firmware_for(target.firmware, vars_copy), image,
                      target.secure_boot)
    return qemu_command(profile, console_sockets(work), request.qemu_binary, extra)


def firmware_for(fw: Any, vars_copy: Path | None) -> Firmware:
    if fw.mode == "bios":
        return Firmware("bios", bios=fw.bios)
    return Firmware("pflash", code=fw.code, vars=vars_copy or fw.vars)


def with_overrides(target: QemuTarget, *, code: Path | None = None, vars: Path | None = None,
                   bios: Path | None = None, machine: str | None = None, accel: str | None = None) -> QemuTarget:
    """The target with command-line overrides applied (a firmware override picks its mode)."""
    fw = target.firmware
    if bios is not None:
        fw = replace(fw, mode="bios", bios=bios, set_name=None)
    if code is not None or vars is not None:
        fw = replace(fw, mode="pflash", code=code or fw.code, vars=vars or fw.vars, set_name=None)
    return replace(target, firmware=fw, machine=machine or target.machine, accel=accel or target.accel)
