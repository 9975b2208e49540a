"""The screen corpus' real screens, read as the runner reads them (a helper for the screen tests)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from rustux_bootlab.lab.matcher import BootMatcher
from rustux_bootlab.lab.screen.feed import ScreenFeed
from rustux_bootlab.lab.screen.reader import ScreenReader, frame_from_rgb
from rustux_bootlab.workers.qemu.png import decode_png

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "screens"


def frame(name: str) -> np.ndarray:
    return frame_from_rgb(*decode_png((CORPUS / f"{name}.png").read_bytes()))


def truth(name: str) -> str:
    return (CORPUS / f"{name}.txt").read_text().strip("\n")


def shown(m: BootMatcher, reader: ScreenReader, name: str, t: float) -> list[str]:
    """Frame `name` read and fed to `m` on channel screen at `t`; its lines as read."""
    text = reader.read(frame(name))
    m.feed("screen", ScreenFeed().update(text).data(), t)
    return list(text.lines)
