"""Shared helpers for the lab unit tests: the fixture spec and the recorded captures."""
from __future__ import annotations

from pathlib import Path

import pytest

from lab.milestones import BootMatcher, MilestoneSpec, load_spec

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CAPTURES = FIXTURES / "captures"
# The order channels are replayed in: OVMF's console (serial) comes first in time.
REPLAY_ORDER = ("qemu", "firmware", "serial", "debugcon")


@pytest.fixture(scope="session")
def mini_spec() -> MilestoneSpec:
    return load_spec(FIXTURES / "specs" / "mini-efi.yaml")


def capture(name: str) -> dict[str, bytes]:
    d = CAPTURES / name
    return {c: (d / f"{c}.log").read_bytes() for c in REPLAY_ORDER}


def capture_exit_status(name: str) -> int:
    return int((CAPTURES / name / "exit-status").read_text())


def replay(spec: MilestoneSpec, name: str, chunk: int | None = None) -> BootMatcher:
    """Feed a capture channel by channel (in `chunk`-byte pieces, or whole) and close."""
    m = BootMatcher(spec)
    t = 0.0
    for channel, data in capture(name).items():
        step = chunk or max(len(data), 1)
        for i in range(0, len(data), step):
            t += 0.001
            m.feed(channel, data[i : i + step], t)
    m.close(t)
    return m
