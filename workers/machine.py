"""A machine: what one boot runs on, as the boot run (workers/run.py) sees it.

A machine composes parts, each a small protocol with its own drivers (as a labgrid strategy
drives a power and a console driver, and an Ironic hardware type composes its interfaces):

    Power    (workers/power/base.py PowerProtocol)   status, on, off, cycle, reset,
             set_boot(device), close; raises BoardError.  Drivers: power/ipmi.py
    Console  (workers/console/base.py ConsoleProtocol)  open, read(timeout) -> bytes or
             ConsoleGap, write, down_since, close.  Drivers: console/sol.py, serialport.py
    Deploy   (`Deploy` below)  method, put(image) -> Deployed; puts the image where the
             machine's firmware will find it.  Drivers: deploy/pxe.py, deploy/usb.py
    Screen, keyboard, snapshot: optional, as attachments (workers/qemu/attach.py)

A QEMU target is one machine whose process is at once its power and its consoles
(workers/qemu/machine.py `QemuMachine`); a board composes an IPMI power, a SOL or serial console and
a PXE or USB deploy (workers/board/session.py `BoardMachine`). A new kind of power, console
or deploy (Redfish, a PDU, RFC 2217, virtual media) is a driver of its protocol, chosen by
the board's inventory entry in `BoardMachine`'s factories; a new kind of machine implements
`Machine`. Neither writes a loop: taking, deploying, powering, matching, draining, deciding,
releasing and recording are the boot run's, written once.

The run calls a machine's stages in this order; all but `take` run after the machine is
taken, and `stop` and `release` always run once it is:

    view(spec)         the spec as this machine can see it (a board has no debugcon)
    take(run)          exclusive use (a board's lock); raise MachineStop(MISS) when held
    prepare(run, rec)  check and deploy: firmware, image, deploy; open consoles (a board's
                       before power-on, to keep the firmware's first lines); returns the
                       profile whose passing boots this boot's deadlines are learned from
    power_on(run)      start it; returns the monotonic time milestones count from, or None
                       when it did not start (its facts say why); calls `run.machine_started()`
                       when the attachments may act on it
    read(run, timeout) channel chunks, fed to the run with `run.feed`; how many came (0:
                       nothing within `timeout`, or every channel ended)
    tick(run, t)       each loop turn: events, lost consoles; an Outcome ends the boot now
    exited(run)        the machine stopped by itself (QEMU exited): its status, else None
    stop(run)          power off or quit (`run.stopping()` first while it still runs,
                       `run.finished()` after); must cope with a machine never started
    release(run)       give the machine back (a board's lock)
    facts(run)         what the judge needs of it (lab/judge.py BootFacts fields)
    review(run, out)   the machine's own rules over the judge's outcome (optional: a Secure
                       Boot lane's refusals, lab/secureboot.py)
    finish(run, rec)   its part of the record, before it is written (optional)
    inputs(run)        its input ports for a conversation's steps (workers/input/ports.py)
A stage raises `MachineStop(outcome)` to end the boot with an outcome it knows (a broken
image, a held board), or BoardError when one of its parts failed (ERROR, never FAIL).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from rustux_bootlab.lab.milestones import MilestoneSpec
from rustux_bootlab.lab.record import BootRecord
from rustux_bootlab.lab.verdict import Culprit, Outcome
from rustux_bootlab.workers.console.base import ConsoleProtocol as Console
from rustux_bootlab.workers.power.base import BootDevice
from rustux_bootlab.workers.power.base import PowerProtocol as Power

if TYPE_CHECKING:
    from rustux_bootlab.workers.input.ports import InputPort
    from rustux_bootlab.workers.run import BootRun

__all__ = ["Console", "Deploy", "Deployed", "Machine", "MachineStop", "Power"]


class MachineStop(Exception):
    """Ends a boot early with an outcome a stage knows (a held board, an unbootable image)."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.reason)
        self.outcome = outcome


@dataclass(frozen=True)
class Deployed:
    """What a deploy put where: the image's identity for the record, the deploy's own facts."""

    image: dict[str, Any]  # the record's `image`: path and sha256
    facts: dict[str, Any]  # the record's `board.deploy`: method and what it checked


class Deploy(Protocol):
    """Puts an image where the machine's firmware boots it from; raises EspError for a broken
    image (ERROR/lab, never booted) and BoardError when the deploy itself failed."""

    method: str  # the inventory's `deploy.method`
    boot_device: BootDevice  # what the power's one-time boot override selects

    def put(self, image: Path) -> Deployed: ...


class Machine(Protocol):
    name: str  # the target's or board's name: its passes and health are kept under it
    kind: str  # "target" or "board"
    channels: tuple[str, ...]  # the channels whose raw logs the record keeps
    timeline_from_take: bool  # the timeline counts from taking the machine, not from power-on
    input_culprit: Culprit  # whose fault an input that stays down is

    def view(self, spec: MilestoneSpec) -> MilestoneSpec: ...

    def take(self, run: BootRun) -> None: ...

    def prepare(self, run: BootRun, record: BootRecord) -> str: ...

    def power_on(self, run: BootRun) -> float | None: ...

    def read(self, run: BootRun, timeout: float) -> int: ...

    def tick(self, run: BootRun, t: float) -> Outcome | None: ...

    def exited(self, run: BootRun) -> int | None: ...

    def stop(self, run: BootRun) -> None: ...

    def release(self, run: BootRun) -> None: ...

    def facts(self, run: BootRun) -> dict[str, Any]: ...

    def inputs(self, run: BootRun) -> dict[str, InputPort]: ...

    def send(self, console: str, data: bytes) -> None: ...
