"""One boot of an image on a QEMU target, from firmware check to boot record.

The session is a short pipeline of states: CHECK (firmware, image) -> START (accel,
sockets, QEMU) -> RUN (capture and match until the verdict is known) -> STOP
(screendump, quit, kill the group, reap) -> JUDGE (lab.judge) -> RECORD. A problem in
CHECK ends the boot before QEMU is started. STOP always runs.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lab.deadlines import LEARNED, PassingBoot, learn_deadlines, profile_key
from lab.esp import EspError
from lab.firmware import inspect_firmware
from lab.inventory import QemuTarget
from lab.judge import DEBUG_EXIT_FAILURE, DEBUG_EXIT_SUCCESS, BootFacts, judge
from lab.milestones import BootMatcher, MilestoneSpec
from lab.spec import CHANNELS
from lab.verdict import Culprit, Outcome, Verdict
from workers.capture import TIMELINE, Capture, Streams
from workers.image import prepare_image
from workers.inputs import SocketSerial
from workers.interrupt import Interrupt
from workers.kvm import AccelChoice, qemu_version, resolve_accel
from workers.passes import load_passes, record_pass
from workers.png import PpmError, ppm_to_png
from workers.progress import MachineProgress
from workers.qemu.command import QEMU_BINARY, Firmware, Profile, Sockets, qemu_command
from workers.qemu.process import QemuProcess, QemuStartError
from workers.qemu.qmp import QmpClient, QmpError
from workers.record import RESULT, BootRecord, write_result
from workers.typist import Typist

TICK_S = 0.1  # longest the loop sleeps: bounds the reaction to timeouts and signals
DRAIN_S = 1.0  # after QEMU exits, how long to wait for the channels' last bytes
DECIDED_DRAIN_S = 0.2  # after the verdict, how long to keep reading lines already in flight
IDLE_S = 0.03  # ... stopping early once the channels are quiet this long
QUIT_GRACE_S = 3.0
GUEST_CHANNELS = ("debugcon", "serial", "firmware")
SCREEN = "screen.png"
WORKDIR_PREFIX = "bootlab-"
MAX_SOCKET_PATH = 108  # sun_path, including the terminating NUL
RECORD_FILES = (RESULT, TIMELINE, SCREEN, *(f"{c}.log" for c in CHANNELS))
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
    qemu_binary: str = QEMU_BINARY


@dataclass
class BootResult:
    outcome: Outcome
    record: BootRecord
    out: Path

    def to_dict(self) -> dict[str, Any]:
        return self.record.to_dict()


@dataclass
class _Run:
    """What the RUN state observed."""

    exit_status: int | None = None
    global_timeout: bool = False
    failed_to_start: str | None = None
    qmp: QmpClient | None = None
    qemu_version: str | None = None  # from the QMP greeting: no `qemu --version` run per boot
    qemu_output_tail: bytes = b""
    typist: Typist | None = None  # types the conversation's steps (COM1; the keyboard over QMP)


class BootSession:
    def __init__(self, request: BootRequest, progress: MachineProgress, interrupt: Interrupt) -> None:
        self.request = request
        self.progress = progress
        self.interrupt = interrupt
        self.matcher = BootMatcher(request.spec)
        self.started = time.monotonic()
        self._t0: float | None = None  # QEMU start: t=0 of every channel and the timeline
        self._profile: str | None = None  # whose passing boots the deadlines came from

    def _now(self) -> float:
        return 0.0 if self._t0 is None else time.monotonic() - self._t0

    def run(self) -> BootResult:
        req = self.request
        req.out.mkdir(parents=True, exist_ok=True)
        for name in RECORD_FILES:  # a reused --out must not mix an old boot into this one
            (req.out / name).unlink(missing_ok=True)
        fw = req.target.firmware
        report = inspect_firmware(**{role: path for role, path in fw.files().items()})
        record = BootRecord(
            outcome=Outcome(Verdict.ERROR, Culprit.LAB, "boot not run", None),
            target=req.target.name,
            image={"path": str(req.image), "sha256": None},
            firmware=report.to_dict(),
            qemu={"version": None, "accel": None, "accel_reason": None, "command": None},
            milestones_total=self.matcher.total,
        )
        record.warnings += report.warnings
        for warning in report.warnings:
            self.progress.event(f"warning: {warning}")
        if not report.ok:
            return self._finish(record, judge(self.matcher, BootFacts(firmware_problem=report.problems[0])))
        _sweep_stale_workdirs()
        with tempfile.TemporaryDirectory(prefix=f"{WORKDIR_PREFIX}{os.getpid()}-") as tmp:
            work = Path(tmp)
            try:
                fat, record.image = prepare_image(req.image)
            except EspError as exc:
                if self.interrupt:  # Ctrl-C reaches mkfs.fat/mcopy too: not the image's fault
                    return self._finish(record, self._interrupted(None))
                # The artifact under test is malformed: not a boot failure, so not FAIL.
                return self._finish(record, Outcome(Verdict.ERROR, Culprit.LAB, f"image not bootable: {exc}", None))
            if self.interrupt:
                return self._finish(record, self._interrupted(None))
            accel = resolve_accel(req.target.accel, req.target.machine, _firmware(fw, None), req.qemu_binary)
            record.qemu.update(accel=accel.accel, accel_reason=accel.reason)
            record.deadlines = self._learn(accel, report.identity)
            self.progress.event(f"target {req.target.name}: {req.target.machine}, {fw.mode} firmware, {accel.accel} ({accel.reason})")
            return self._boot(record, work, fat, accel)

    def _learn(self, accel: AccelChoice, firmware: dict[str, Any]) -> dict[str, Any]:
        """The milestone deadlines from this target's passing boots of the same profile."""
        req = self.request
        roms = [ident.sha256 for role, ident in firmware.items() if role != "vars"]  # VARS is a template, rewritten per boot
        self._profile = profile_key(accel.accel, req.target.machine, req.target.memory_mb, roms)
        history = load_passes(req.target.name, self._profile)
        deadlines = learn_deadlines(req.spec, history)
        self.matcher = BootMatcher(req.spec, deadlines=deadlines)
        learned = sum(d.source == LEARNED for d in deadlines)
        self.progress.event(f"deadlines: {learned} of {len(deadlines)} learned from {len(history)} passing boots ({self._profile})")
        return {"profile": self._profile, "history": len(history), "learned": learned,
                "milestones": [d.to_dict() for d in deadlines], "decided_by": None}

    def _boot(self, record: BootRecord, work: Path, fat: Path, accel: AccelChoice) -> BootResult:
        req = self.request
        fw = req.target.firmware
        vars_copy = None
        if fw.mode == "pflash":
            vars_copy = work / "vars.fd"
            shutil.copyfile(fw.vars, vars_copy)  # fresh per boot: no state leaks between boots
        profile = Profile(req.target.machine, req.target.memory_mb, accel.accel, _firmware(fw, vars_copy), fat)
        sockets = Sockets(*(work / f"{name}.sock" for name in ("debugcon", "serial", "firmware", "qmp")))
        if len(str(sockets.debugcon)) >= MAX_SOCKET_PATH:
            reason = f"channel socket path {sockets.debugcon} is too long for a unix socket: set TMPDIR to a short directory"
            return self._finish(record, Outcome(Verdict.ERROR, Culprit.LAB, reason, None))
        argv = qemu_command(profile, sockets, req.qemu_binary)
        record.qemu["command"] = argv
        capture = Capture(req.out, CHANNELS)
        streams = Streams()
        run = _Run()
        qemu = QemuProcess(argv)
        try:
            for name in GUEST_CHANNELS:
                streams.listen(name, getattr(sockets, name))
            streams.listen("qmp", sockets.qmp, on_accept=lambda conn: self._attach_qmp(run, conn, capture))
            try:
                qemu.start()
            except QemuStartError as exc:
                run.failed_to_start = str(exc)
            else:
                self._t0 = qemu.started_at
                streams.add("qemu", qemu.output)
                record.qemu["pid"] = qemu.pid
                capture.event(f"QEMU started, pid {qemu.pid}: {' '.join(argv)}", 0.0)
                ports = {"serial": SocketSerial(lambda: streams.connections.get("serial"))}
                run.typist = Typist(ports, capture, self.progress, self._now, down_culprit=Culprit.LAB)
                self._loop(qemu, streams, capture, run)
        finally:
            self._stop(qemu, run, capture)
            t = self._now()
            streams.close()
            self.matcher.close(t)
            capture.close(t)
        if self.interrupt:
            outcome = self._interrupted(self.matcher.last_milestone)
        else:
            if run.failed_to_start is None and run.qmp is None and run.exit_status not in _GUEST_EXITS:
                tail = run.qemu_output_tail.decode("utf-8", "replace").strip().splitlines()
                run.failed_to_start = tail[-1] if tail else f"exit status {run.exit_status}"
            outcome = judge(self.matcher, BootFacts(
                exit_status=run.exit_status,
                global_timeout=run.global_timeout,
                qemu_failed_to_start=run.failed_to_start,
                boot_timeout_s=req.timeout_s,
                duration_s=t,
            ))
        record.qemu["exit_status"] = run.exit_status
        record.qemu["version"] = run.qemu_version
        return self._finish(record, outcome)

    def _loop(self, qemu: QemuProcess, streams: Streams, capture: Capture, run: _Run) -> None:
        """Capture and match until the verdict is known, QEMU exits, a timeout or a signal."""
        while True:
            for channel, data in streams.wait(min(TICK_S, max(self.request.timeout_s - self._now(), 0.0))):
                self._take(channel, data, capture, run)
            t = self._now()
            self._pump_qmp(run, capture, t)
            self.matcher.poll(t)
            if run.typist is not None:
                run.typist.pump(self.matcher)
            if self.matcher.decided is not None:
                capture.event(f"decided: {self.matcher.decided.summary()}", t)
                # The same line on the other console is usually a few ms behind: keep it.
                self._drain(streams, capture, run, limit=DECIDED_DRAIN_S, idle=IDLE_S)
                return
            if self.interrupt:
                capture.event(f"{self.interrupt.signame} received: stopping", t)
                return
            status = qemu.poll()
            if status is not None:
                run.exit_status = status
                capture.event(f"QEMU exited with status {status}", t)
                self._drain(streams, capture, run, limit=DRAIN_S, idle=DRAIN_S)
                return
            if t >= self.request.timeout_s:
                run.global_timeout = True
                capture.event(f"boot timeout of {self.request.timeout_s:g}s expired", t)
                return

    def _take(self, channel: str, data: bytes, capture: Capture, run: _Run) -> None:
        if not data:
            return
        t = self._now()
        capture.data(channel, data, t)
        if channel == "qemu":
            run.qemu_output_tail = (run.qemu_output_tail + data)[-4096:]
        found = self.matcher.feed(channel, data, t)
        before = self.matcher.reached - len(found)
        for i, hit in enumerate(found):
            self.progress.milestone(before + i + 1, self.matcher.total, hit)
        if run.typist is not None:
            run.typist.pump(self.matcher)  # the next step types the moment its prompt shows

    def _drain(self, streams: Streams, capture: Capture, run: _Run, limit: float, idle: float) -> None:
        """Read what is still in flight: until every channel ended, nothing came for `idle`
        seconds, or `limit` seconds passed."""
        deadline = time.monotonic() + limit
        while streams.open_channels and time.monotonic() < deadline:
            chunks = streams.wait(min(idle, max(deadline - time.monotonic(), 0.0)))
            if not chunks:
                break
            for channel, data in chunks:
                self._take(channel, data, capture, run)

    def _attach_qmp(self, run: _Run, conn: Any, capture: Capture) -> None:
        client = QmpClient(conn)
        try:
            greeting = client.handshake(timeout=5.0)
        except QmpError as exc:
            capture.event(f"QMP unusable: {exc}", self._now())
            client.close()
            return
        run.qmp = client
        run.qemu_version = _version(greeting)

    def _pump_qmp(self, run: _Run, capture: Capture, t: float) -> None:
        if run.qmp is None or run.qmp.closed:
            return
        for event in run.qmp.pump():
            if event.get("event") in QUIET_EVENTS:
                continue
            data = event.get("data")
            capture.event(f"QMP event {event.get('event')}{' ' + str(data) if data else ''}", t)

    def _stop(self, qemu: QemuProcess, run: _Run, capture: Capture) -> None:
        """Screendump (best effort, only while QEMU runs), quit, kill the group, reap."""
        if qemu.running() and run.qmp is not None and not self.interrupt:
            self._screendump(run.qmp, capture)
        if qemu.running() and run.qmp is not None:
            try:
                run.qmp.execute("quit", timeout=1.0)
            except QmpError:
                pass  # QEMU may close the socket before answering; stop() kills it anyway
        status = qemu.stop(grace=QUIT_GRACE_S if run.qmp is not None else 0.0)
        if run.qmp is not None:
            run.qmp.close()
        if status is not None:
            capture.event(f"QEMU stopped and reaped (status {status})", self._now())

    def _screendump(self, qmp: QmpClient, capture: Capture) -> None:
        ppm = self.request.out / ".screen.ppm"
        try:
            qmp.execute("screendump", {"filename": str(ppm)}, timeout=5.0)
            ppm_to_png(ppm, self.request.out / SCREEN)
        except (QmpError, PpmError, OSError) as exc:
            capture.event(f"no screen.png: {exc}", self._now())
        finally:
            ppm.unlink(missing_ok=True)

    def _interrupted(self, last: str | None) -> Outcome:
        elapsed = time.monotonic() - self.started
        return Outcome(Verdict.ERROR, Culprit.LAB, f"interrupted by {self.interrupt.signame} after {elapsed:.1f}s", last)

    def _finish(self, record: BootRecord, outcome: Outcome) -> BootResult:
        record.outcome = outcome
        timeout = self.matcher.timeout
        if record.deadlines is not None and timeout is not None and timeout.deadline is not None and outcome.verdict is Verdict.FAIL:
            due = timeout.deadline.expected_s
            since = self.matcher.hits[-1].t if self.matcher.hits else 0.0
            record.deadlines["decided_by"] = {**timeout.deadline.to_dict(), "decided_t": round(timeout.t, 3),
                                              "due_t": None if due is None else round(since + due, 3)}
        if outcome.verdict is Verdict.PASS and self._profile is not None:
            record_pass(self.request.target.name, PassingBoot(self._profile, tuple((h.name, h.t) for h in self.matcher.hits)))
        if record.qemu.get("version") is None:  # QEMU never greeted on QMP: ask the binary
            record.qemu["version"] = qemu_version(self.request.qemu_binary)
        record.milestones = sorted([*self.matcher.hits, *self.matcher.step_hits], key=lambda hit: hit.t)
        record.conversation = self.matcher.conversation.to_list() if self.matcher.conversation else None
        record.bytes_seen = dict(self.matcher.bytes_seen)
        record.duration_s = time.monotonic() - self.started
        write_result(self.request.out, record.to_dict())
        return BootResult(outcome, record, self.request.out)


def _sweep_stale_workdirs() -> None:
    """Remove work directories (VARS copy, sockets) of runners that were killed
    before their cleanup ran; the runner's pid is part of the name."""
    for workdir in Path(tempfile.gettempdir()).glob(f"{WORKDIR_PREFIX}*-*"):
        pid = workdir.name[len(WORKDIR_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(workdir, ignore_errors=True)


def _version(greeting: dict[str, Any]) -> str | None:
    """`QEMU emulator version 7.2.22 (Debian ...)`, the first line of `qemu --version`."""
    try:
        v = greeting["version"]["qemu"]
        package = greeting["version"].get("package", "").strip()
        return f"QEMU emulator version {v['major']}.{v['minor']}.{v['micro']}" + (f" ({package})" if package else "")
    except (KeyError, TypeError, AttributeError):
        return None


def _firmware(fw: Any, vars_copy: Path | None) -> Firmware:
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
