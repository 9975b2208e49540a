"""The one way a test waits: for a condition, never for a fixed time (tests/README: a test that
flakes under load is a defect). Every wait in the integration tests goes through `wait_until`."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """The condition did not come within the time allowed; the message names it."""


def wait_until(predicate: Callable[[], T], seconds: float, what: str, step_s: float = 0.05) -> T:
    """`predicate()`'s first true value, asked every `step_s` for up to `seconds` (and once
    more at the end, so a slow host's last moment counts); WaitTimeout naming `what` otherwise."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"{what}: not within {seconds:g} s")
        time.sleep(min(step_s, max(deadline - time.monotonic(), 0.0)))
