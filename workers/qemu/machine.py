"""A QEMU target as a machine (workers/machine.py): one boot of an image on it is the boot
run (workers/run.py) over a `QemuMachine`.

Its stages: PREPARE checks the firmware and the image before QEMU is started (a problem ends
the boot there), picks the accelerator, builds the command line and listens on the consoles'
sockets; POWER starts QEMU (or adopts the one started early: workers/qemu/earlystart.py);
STOP gives the attachments their last word, quits, kills the group and reaps.

What a boot captures and sends besides the guest consoles (the last screen, a screen
channel, keys, a conversation, a snapshot restore) plugs in as an `Attachment`
(workers/qemu/attach.py); the run is the `LiveBoot` they act on.
"""
from __future__ import annotations

import shutil
import socket
import time
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rustux_bootlab.lab import outcomes
from rustux_bootlab.lab.aavmf import inspect_aavmf
from rustux_bootlab.lab.arch import ARCHES
from rustux_bootlab.lab.boardview import board_view
from rustux_bootlab.lab.contract import RECORD_FILES
from rustux_bootlab.lab.deadlines import profile_key
from rustux_bootlab.lab.environment import distribution
from rustux_bootlab.lab.firmware import FirmwareReport, inspect_firmware, uboot_version
from rustux_bootlab.lab.inventory import QemuTarget
from rustux_bootlab.lab.judge import DEBUG_EXIT_FAILURE, DEBUG_EXIT_SUCCESS, BootFacts, judge
from rustux_bootlab.lab.milestones import MilestoneSpec
from rustux_bootlab.lab.record import BootRecord
from rustux_bootlab.lab.secureboot import secure_boot_outcome
from rustux_bootlab.lab.spec import CHANNELS
from rustux_bootlab.lab.verdict import Culprit, Outcome
from rustux_bootlab.workers.capture import Streams
from rustux_bootlab.workers.artifacts.fwscan import cached_scan
from rustux_bootlab.workers.artifacts.image import image_arch_problem_of, prepare_image
from rustux_bootlab.workers.input.ports import InputPort, SocketSerial
from rustux_bootlab.workers.interrupt import Interrupt
from rustux_bootlab.workers.qemu.kvm import qemu_version, resolve_accel
from rustux_bootlab.workers.machine import MachineStop
from rustux_bootlab.workers.artifacts.partitioned import partitioned_disk
from rustux_bootlab.workers.progress import MachineProgress
from rustux_bootlab.workers.qemu import earlystart
from rustux_bootlab.workers.qemu.attach import Attachment
from rustux_bootlab.workers.qemu.command import CONSOLES, QMP, Firmware, Profile, qemu_command
from rustux_bootlab.workers.qemu.keyboard import QmpKeyboard
from rustux_bootlab.workers.qemu.process import QemuProcess, QemuStartError
from rustux_bootlab.workers.qemu.qmp import QmpClient, QmpError
from rustux_bootlab.workers.qemu.screen import ScreenChannel
from rustux_bootlab.workers.run import BootRun, Plan
from rustux_bootlab.workers.secureboot import secure_boot_facts
from rustux_bootlab.workers.input.typist import Conversation
from rustux_bootlab.workers.workdir import workdir

__all__ = ["RECORD_FILES", "BootRequest", "BootSession", "QemuMachine"]

QUIT_GRACE_S = 3.0
VARS_COPY = "vars.fd"  # the per-boot copy of the VARS template in the work directory
MAX_SOCKET_PATH = 108  # sun_path, including the terminating NUL
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
    boot_path_reason: str | None = None  # why this path (the record says it): `--no-warm`, the target's default
    # The files the command came from besides the image and the firmware (the inventory, the
    # spec): the next identical boot starts QEMU early only while they are unchanged.
    plan_inputs: tuple[Path, ...] = ()
    skipped: tuple[str, ...] = ()  # milestones and steps the machine cannot show or type (set here)

    def __post_init__(self) -> None:
        self.qemu_binary = self.qemu_binary or self.target.environment.qemu
        arch = ARCHES[self.target.arch]
        if arch.missing_channels and not self.skipped:
            # As on a board: what needs a channel or input the machine lacks (virt: no debugcon,
            # no PS/2 keyboard) is skipped and listed; the rest waits as it would.
            self.spec, skipped = board_view(self.spec, frozenset(CHANNELS) - set(arch.missing_channels))
            self.skipped = tuple(skipped)


@dataclass
class _Qemu:
    """What the QEMU process did."""

    exit_status: int | None = None
    failed_to_start: str | None = None
    version: str | None = None  # from the QMP greeting: no `qemu --version` run per boot
    output_tail: bytes = b""



def firmware_report(target: QemuTarget) -> FirmwareReport:
    """The firmware check for the target's architecture (remembered per unchanged file)."""
    fw = target.firmware
    if target.arch == "aarch64":
        return inspect_aavmf(fw.code, fw.vars, scan=cached_scan) if fw.mode == "pflash" else inspect_aavmf(None, None)
    return inspect_firmware(**{role: path for role, path in fw.files().items()}, scan=cached_scan)

class QemuMachine:
    """A QEMU target as a machine: its process is at once its power and its consoles (a unix
    socket per console, QMP for events, screen and keys); its deploy is the ESP's FAT image
    as the boot disk."""

    kind = "target"
    timeline_from_take = False  # the timeline counts from QEMU start, as the milestones do
    input_culprit = Culprit.LAB  # a console of our own QEMU that takes no input is the lab's

    def __init__(self, request: BootRequest, attachments: tuple[Attachment, ...]) -> None:
        self.request = request
        self.name = request.target.name
        self.attachments = attachments
        self.channels = tuple(CHANNELS)
        self.qemu: QemuProcess | None = None
        self.streams = Streams()
        self.status = _Qemu()
        self._early: earlystart.EarlyBoot | None = None
        self._scratch = ExitStack()  # the work directory: VARS copy, sockets

    def view(self, spec: MilestoneSpec) -> MilestoneSpec:
        return spec

    def take(self, run: BootRun) -> None:
        pass  # a target is a fresh QEMU per boot: nothing to hold

    def prepare(self, run: BootRun, record: BootRecord) -> str:
        """Firmware check, the ESP's FAT image, the accelerator, the command line and the sockets."""
        req = self.request
        fw = req.target.firmware
        record.environment = {**req.target.environment.to_dict(), "host": host_distribution()}
        record.secure_boot = req.target.secure_boot
        record.qemu = {"version": None, "accel": None, "accel_reason": None, "command": None}
        if (missing := req.target.environment.missing()) is not None:
            raise MachineStop(outcomes.part_failed(Culprit.HOST, missing))
        report = firmware_report(req.target)
        record.firmware = report.to_dict()
        if req.skipped:
            report.warnings.append(f"skipped on {req.target.machine} (no such channel or input there): {', '.join(req.skipped)}")
        record.warnings += report.warnings
        for warning in report.warnings:
            run.progress.event(f"warning: {warning}")
        if not report.ok:
            raise MachineStop(judge(run.matcher, BootFacts(firmware_problem=report.problems[0])))
        if (wrong_arch := image_arch_problem_of(req.image, ARCHES[req.target.arch])) is not None:
            # The lab was asked to boot it here: the artifact is fine, the pairing is not.
            raise MachineStop(outcomes.part_failed(Culprit.LAB, f"image not for this target: {wrong_arch}"))
        work = self._scratch.enter_context(workdir("boot"))
        fat, record.image = prepare_image(req.image)
        run.check_interrupt()  # Ctrl-C reaches mkfs.fat/mcopy too
        if fw.mode == "bios" and fw.bios is not None and uboot_version(fw.bios) is not None:
            fat = partitioned_disk(fat, work / "disk.img")  # U-Boot boots partitions only
        run.image = fat
        accel = resolve_accel(req.target.accel, req.target.machine, firmware_for(fw, None), req.qemu_binary)
        record.qemu.update(accel=accel.accel, accel_reason=accel.reason)
        run.progress.event(f"target {req.target.name}: {req.target.machine}, {fw.mode} firmware, {accel.accel} ({accel.reason})")
        extra = tuple(arg for a in self.attachments for arg in a.qemu_args(work))
        argv = machine_command(req, accel.accel, work, None if req.boot_path == "warm" else fat, extra)
        # Started before the lab was imported, from the last identical boot's plan, if it runs this very command.
        vars_template = fw.vars if fw.mode == "pflash" else None
        early = earlystart.take(argv, work, vars_template) if req.boot_path == "cold" else None
        if req.boot_path != "cold":
            earlystart.discard()
        self._early = early
        if early is not None:
            work, argv = early.work, early.argv
        elif vars_template is not None:
            shutil.copyfile(vars_template, work / VARS_COPY)  # fresh per boot: no state leaks between boots
        sockets = console_sockets(work)
        longest = max(sockets.values(), key=lambda path: len(str(path)))
        if early is None and len(str(longest)) >= MAX_SOCKET_PATH:
            reason = f"channel socket path {longest} is too long for a unix socket: set TMPDIR to a short directory"
            raise MachineStop(outcomes.part_failed(Culprit.LAB, reason))
        record.qemu["command"] = self.argv = argv
        record.qemu["early_start"] = early is not None
        self._remember = (vars_template, sockets, [*req.plan_inputs, *fw.files().values(), fat, req.image], work)
        run.open_capture()
        self.qemu = early.qemu if early is not None else QemuProcess(argv)
        for name in CONSOLES:
            self.streams.listen(name, sockets[name], server=early.listeners[name] if early else None)
        self.streams.listen(QMP, sockets[QMP], on_accept=lambda conn: self._attach_qmp(run, conn),
                            server=early.listeners[QMP] if early else None)
        roms = [ident.sha256 for role, ident in report.identity.items() if role != "vars"]  # VARS is a template, rewritten per boot
        return profile_key(accel.accel, req.target.machine, req.target.memory_mb, roms)

    def power_on(self, run: BootRun) -> float | None:
        assert self.qemu is not None
        if self._early is None:
            try:
                self.qemu.start()
            except QemuStartError as exc:
                self.status.failed_to_start = str(exc)
                return None
            if self.request.boot_path == "cold":
                vars_template, sockets, inputs, work = self._remember
                earlystart.remember(self.argv, work, vars_template, VARS_COPY, sockets, inputs)
        self.streams.add("qemu", self.qemu.output)
        at = self.qemu.started_at
        assert at is not None  # started
        run.capture.event(f"QEMU started, pid {self.qemu.pid}: {' '.join(self.argv)}", time.monotonic() - at)
        return at

    def read(self, run: BootRun, timeout: float) -> int:
        if self.streams.done:
            return 0
        chunks = self.streams.wait(timeout)
        for channel, data in chunks:
            if channel == "qemu":
                self.status.output_tail = (self.status.output_tail + data)[-4096:]
            run.feed(channel, data)
        return len(chunks)

    def tick(self, run: BootRun, t: float) -> Outcome | None:
        if run.qmp is not None and not run.qmp.closed:
            for event in run.qmp.pump():
                if event.get("event") in QUIET_EVENTS:
                    continue
                data = event.get("data")
                run.event(f"QMP event {event.get('event')}{' ' + str(data) if data else ''}")
        return None

    def exited(self, run: BootRun) -> int | None:
        assert self.qemu is not None
        status = self.qemu.poll()
        if status is not None and self.status.exit_status is None:
            self.status.exit_status = status
            run.event(f"QEMU exited with status {status}")
        return status

    def connection(self, console: str) -> socket.socket | None:
        return self.streams.connections.get(console)

    def send(self, console: str, data: bytes) -> None:
        conn = self.connection(console)
        if conn is None:
            raise ValueError(f"console {console} is not connected: nothing to send {data[:20]!r} to")
        conn.setblocking(True)
        try:
            conn.sendall(data)
        finally:
            conn.setblocking(False)

    def inputs(self, run: BootRun) -> dict[str, InputPort]:
        return {"serial": SocketSerial(lambda: self.connection("serial")), "keyboard": QmpKeyboard(lambda: run.qmp)}

    def stop(self, run: BootRun) -> None:
        """The attachments' last word (only while QEMU runs, not after a signal), quit, kill
        the group, reap."""
        qemu = self.qemu
        try:
            if qemu is not None:
                if qemu.running() and not run.interrupt:
                    run.stopping()
                if qemu.running() and run.qmp is not None:
                    try:
                        run.qmp.execute("quit", timeout=1.0)
                    except QmpError:
                        pass  # QEMU may close the socket before answering; stop() kills it anyway
                status = qemu.stop(grace=QUIT_GRACE_S if run.qmp is not None else 0.0)
                if run.qmp is not None:
                    run.qmp.close()
                if status is not None:
                    run.event(f"QEMU stopped and reaped (status {status})")
                run.finished()
        finally:
            self.streams.close()

    def release(self, run: BootRun) -> None:
        if self._early is not None:  # its directory is not the pipeline's workdir()
            shutil.rmtree(self._early.work, ignore_errors=True)
        self._scratch.close()

    def facts(self, run: BootRun) -> dict[str, Any]:
        st = self.status
        if st.failed_to_start is None and run.qmp is None and st.exit_status not in _GUEST_EXITS:
            tail = st.output_tail.decode("utf-8", "replace").strip().splitlines()
            st.failed_to_start = tail[-1] if tail else f"exit status {st.exit_status}"
        unreadable = next((a.unreadable for a in self.attachments if isinstance(a, ScreenChannel)), None)
        return {"exit_status": st.exit_status, "qemu_failed_to_start": st.failed_to_start,
                "screen_unreadable": unreadable}

    def review(self, run: BootRun, outcome: Outcome) -> Outcome:
        """A Secure Boot lane judges the firmware's refusals by who signed the image."""
        if not self.request.target.secure_boot:
            return outcome
        return secure_boot_outcome(outcome, secure_boot_facts(self.request.image, run.matcher.boot_options.last))

    def finish(self, run: BootRun, record: BootRecord) -> None:
        if record.qemu is None or not record.qemu:
            record.qemu = {"version": None, "accel": None, "accel_reason": None, "command": None}
        if self.qemu is not None and self.qemu.pid is not None:
            record.qemu["pid"] = self.qemu.pid
        if self.qemu is not None:
            record.qemu["exit_status"] = self.status.exit_status
            record.qemu["version"] = self.status.version
        if record.qemu.get("version") is None:  # QEMU never greeted on QMP: ask the binary
            record.qemu["version"] = qemu_version(self.request.qemu_binary)
        record.boot_path_reason = self.request.boot_path_reason

    def _attach_qmp(self, run: BootRun, conn: Any) -> None:
        client = QmpClient(conn, drain=self.streams.hold)
        try:
            greeting = client.handshake(timeout=5.0)
        except QmpError as exc:
            run.event(f"QMP unusable: {exc}")
            client.close()
        else:
            run.qmp = client
            self.status.version = _version(greeting)
        run.machine_started()


def BootSession(request: BootRequest, progress: MachineProgress, interrupt: Interrupt) -> BootRun:
    """One boot of `request` on its QEMU target: the boot run over a `QemuMachine`, with the
    built-in screen and conversation and the request's attachments."""
    attachments = (ScreenChannel(), Conversation(progress), *request.attachments)
    plan = Plan(request.image, request.spec, request.out, request.timeout_s, request.boot_path)
    return BootRun(QemuMachine(request, attachments), plan, progress, interrupt, attachments)


def _version(greeting: dict[str, Any]) -> str | None:
    """`QEMU emulator version 7.2.22 (Debian ...)`, the first line of `qemu --version`."""
    try:
        v = greeting["version"]["qemu"]
        package = greeting["version"].get("package", "").strip()
        return f"QEMU emulator version {v['major']}.{v['minor']}.{v['micro']}" + (f" ({package})" if package else "")
    except (KeyError, TypeError, AttributeError):
        return None


def host_distribution() -> str | None:
    """This host's distribution (`debian12`): what a target without a root of its own runs on."""
    try:
        return distribution(Path("/etc/os-release").read_text())
    except OSError:
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
                      target.secure_boot, target.arch)
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
