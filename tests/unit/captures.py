"""Helpers for the lab unit tests: the recorded captures and spec errors. Not in conftest.py,
so no test imports a module named `conftest` (tests/integration has its own)."""
from __future__ import annotations

from pathlib import Path

import pytest

from rustux_bootlab.lab.milestones import BootMatcher, MilestoneSpec, SpecError, load_spec

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CAPTURES = FIXTURES / "captures"
# The order channels are replayed in: OVMF's console (serial) comes first in time.
REPLAY_ORDER = ("qemu", "firmware", "serial", "debugcon")


def capture(name: str) -> dict[str, bytes]:
    d = CAPTURES / name
    return {c: (d / f"{c}.log").read_bytes() for c in REPLAY_ORDER}


def capture_exit_status(name: str) -> int:
    return int((CAPTURES / name / "exit-status").read_text())


def replay(spec: MilestoneSpec, name: str, chunk: int | None = 64) -> BootMatcher:
    """Feed a capture and close. The channels were recorded separately, so their true
    interleaving is lost: `chunk` bytes go round-robin from each channel (the kernel
    writes every line to debugcon and serial at once); `chunk=None` feeds each channel
    whole, in REPLAY_ORDER."""
    m = BootMatcher(spec)
    data = capture(name)
    t = 0.0
    if chunk is None:
        for channel, blob in data.items():
            t += 0.001
            m.feed(channel, blob, t)
    else:
        for off in range(0, max(map(len, data.values())), chunk):
            for channel, blob in data.items():
                if off < len(blob):
                    t += 0.001
                    m.feed(channel, blob[off : off + chunk], t)
    m.close(t)
    return m


def spec_error(path: Path, text: str) -> str:
    """The error loading `text` as a spec at `path` gives (it must give one, naming the file)."""
    path.write_text(text)
    with pytest.raises(SpecError) as e:
        load_spec(path)
    assert str(e.value).startswith(str(path))
    return str(e.value)
