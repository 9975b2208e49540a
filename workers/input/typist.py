"""The runner's half of a conversation: type what the matcher asks for, on the boot's ports.

QEMU targets and boards share it; each gives its ports (`workers/input/ports.py`). Every send
goes into `timeline.log` as channel `input` (on the same clock as the answers) and into the
progress stream. A port that is down for now (SOL reconnecting) is tried again on every
pump until the step's timeout; then, like any port error, the boot is ERROR with the
port's culprit: the kernel never got the question.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from rustux_bootlab.lab.conversation import Send
from rustux_bootlab.lab.matcher import BootMatcher
from rustux_bootlab.lab.verdict import Culprit
from rustux_bootlab.workers.capture import Capture
from rustux_bootlab.workers.input.ports import InputDown, InputError, InputPort
from rustux_bootlab.workers.progress import MachineProgress
from rustux_bootlab.workers.qemu.attach import Attachment, LiveBoot


class Typist:
    def __init__(self, ports: dict[str, InputPort], capture: Capture, progress: MachineProgress,
                 clock: Callable[[], float], down_culprit: Culprit = Culprit.BOARD,
                 timeline_clock: Callable[[], float] | None = None) -> None:
        self.ports = ports
        self.capture = capture
        self.progress = progress
        self.clock = clock  # the matcher's clock (seconds since QEMU start / power-on)
        self.timeline_clock = timeline_clock or clock  # a board's timeline counts from taking the board
        self.down_culprit = down_culprit
        self._down: tuple[Send, float, str] | None = None  # a send held back: since when, why

    def pump(self, matcher: BootMatcher) -> None:
        for send in matcher.take_sends():
            port = self.ports.get(send.input)
            if port is None:
                matcher.undelivered(send, Culprit.LAB, f"this runner has no {send.input} input")
                return
            try:
                port.send(send.keys)
            except InputDown as e:
                self._held(matcher, send, str(e))
                return
            except InputError as e:
                self._event(f"could not send {send.text!r} for step {send.step} on {send.input}: {e.reason}")
                matcher.undelivered(send, e.culprit, e.reason)
                return
            t = self.clock()
            self._down = None
            matcher.sent(send, t)
            self.capture.input(f"{send.input}: {send.text}", self.timeline_clock())
            self.progress.event(f"step {send.step}: sent {send.text!r} on {send.input}")

    def _held(self, matcher: BootMatcher, send: Send, why: str) -> None:
        now = time.monotonic()
        if self._down is None or self._down[0] != send:
            self._down = (send, now, why)
            self._event(f"input {send.input} down, holding {send.text!r} for step {send.step}: {why}")
        step = matcher.conversation.step if matcher.conversation is not None else None
        limit = step.timeout if step is not None else 0.0
        if now - self._down[1] > limit:
            matcher.undelivered(send, self.down_culprit, f"{why}; still down after {limit:g}s")

    def _event(self, text: str) -> None:
        self.capture.event(text, self.timeline_clock())


class Conversation(Attachment):
    """The typist as an attachment, on the machine's input ports (a QEMU target's COM1 socket
    and QMP keyboard, a board's console); it types whenever the matcher has a send ready (each
    tick and after each chunk, so a step types the moment its prompt shows)."""

    def __init__(self, progress: MachineProgress) -> None:
        self.progress = progress
        self.typist: Typist | None = None

    def started(self, live: LiveBoot) -> None:
        self.typist = Typist(live.inputs(), live.capture, self.progress, live.now,
                             down_culprit=live.machine.input_culprit, timeline_clock=live.clock)

    def tick(self, live: LiveBoot, t: float) -> None:
        if self.typist is not None:
            self.typist.pump(live.matcher)

    def fed(self, live: LiveBoot, channel: str) -> None:
        if self.typist is not None:
            self.typist.pump(live.matcher)
