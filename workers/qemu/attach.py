"""How a capture channel or an input plugs into the QEMU runner without touching its loop.

An `Attachment` takes part in one boot. The boot run (workers/run.py) calls its hooks:
    qemu_args(work)   while building QEMU's command line (a device, `-loadvm`, ...)
    started(live)     once QEMU connected its QMP socket (`live.qmp`; None if the handshake
                      failed), during QEMU's start-up: before the guest runs its first instruction
    tick(live, t)     every loop turn (at most TICK_S apart), after the matcher's poll
    hit(live, hit)    after each milestone the matcher ticked
    received(live, channel, data) each chunk from the guest, as it came (a dialogue's answers)
    fed(live, channel) after each chunk the matcher read (a prompt on a line not ended yet)
    stopping(live)    before QEMU is told to quit, while it still runs (a last screendump)
    holds(live)       True: the boot goes on past its verdict (a person at the console)
    ended(live)       a reason to end the boot now (the person detached), else None
    finished(live)    after QEMU is gone, whether stopped or exited by itself (what was kept)
and `live` (a `LiveBoot`) lets it act on the boot:
    live.feed(channel, data[, t])  bytes *from* the guest, as if the channel had sent them:
                               raw log, timeline, matcher (the screen reader's text, at
                               the time of its frame); t defaults to now
    live.send(console, data)   bytes *to* a guest console's socket (keys on COM1);
                               live.connection(console) is that socket (None until QEMU connects)
    live.matcher               the boot's matcher (a conversation's sends: lab/conversation.py)
    live.capture               raw logs and timeline.log (`capture.input(text, t)`: channel input)
    live.qmp                   the QMP client (screendump, send-key), None without QMP
    live.event(text)           a runner line on the timeline
    live.image                 the FAT image of the ESP (None before it is prepared)
    live.now(), live.out       the boot's clock (s since QEMU start), its record directory
    live.clock()               the timeline's clock (a board's counts from taking it)
    live.inputs()              the machine's input ports (workers/input/ports.py), for typing
    live.machine               the machine the boot runs on (workers/machine.py)
A channel an attachment feeds is named in `channels` (its raw log `<name>.log` is kept) and,
for the matcher to read it, in lab.spec.CHANNELS. A new guest console (a chardev) is one
row of workers/qemu/command.py's CONSOLES instead.
"""
from __future__ import annotations

import socket
from pathlib import Path
from typing import Any, Protocol

from rustux_bootlab.lab.conversation import StepHit
from rustux_bootlab.lab.matcher import BootMatcher, MilestoneHit
from rustux_bootlab.workers.capture import Capture
from rustux_bootlab.workers.input.ports import InputPort
from rustux_bootlab.workers.qemu.qmp import QmpClient


class LiveBoot(Protocol):
    out: Path
    qmp: QmpClient | None
    matcher: BootMatcher
    image: Path | None
    machine: Any  # workers.machine.Machine

    @property
    def capture(self) -> Capture: ...

    def now(self) -> float: ...

    def feed(self, channel: str, data: bytes, t: float | None = None) -> None: ...

    def connection(self, console: str) -> socket.socket | None: ...

    def send(self, console: str, data: bytes) -> None: ...

    def event(self, text: str) -> None: ...

    def clock(self) -> float: ...

    def inputs(self) -> dict[str, InputPort]: ...


class Attachment:
    """Hooks that do nothing: a subclass overrides the ones it needs."""

    channels: tuple[str, ...] = ()

    def qemu_args(self, work: Path) -> tuple[str, ...]:
        return ()

    def started(self, live: LiveBoot) -> None:
        pass

    def tick(self, live: LiveBoot, t: float) -> None:
        pass

    def hit(self, live: LiveBoot, hit: MilestoneHit | StepHit) -> None:
        pass

    def received(self, live: LiveBoot, channel: str, data: bytes) -> None:
        pass

    def fed(self, live: LiveBoot, channel: str) -> None:
        pass

    def stopping(self, live: LiveBoot) -> None:
        pass

    def holds(self, live: LiveBoot) -> bool:
        return False

    def ended(self, live: LiveBoot) -> str | None:
        return None

    def finished(self, live: LiveBoot) -> None:
        pass
