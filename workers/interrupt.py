"""SIGINT (Ctrl-C), SIGTERM (a Buildbot stop) and SIGHUP (the terminal went away) as a
flag the boot loop checks.

The handler only records the signal: no exception is thrown into the middle of a
teardown, so QEMU is always stopped and reaped and the record is still written.
The loop wakes at least every `workers.qemu.machine.TICK_S`, so the reaction is prompt.
"""
from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Interrupt:
    def __init__(self) -> None:
        self.signame: str | None = None

    def __bool__(self) -> bool:
        return self.signame is not None


@contextmanager
def interruptible() -> Iterator[Interrupt]:
    interrupt = Interrupt()

    def handler(signum: int, frame: FrameType | None) -> None:
        interrupt.signame = interrupt.signame or signal.Signals(signum).name

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        yield interrupt
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
