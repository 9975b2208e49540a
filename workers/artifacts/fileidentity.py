"""Trusting a file unchanged since it was last read, without reading it again (the ESP image
cache, the firmware scans): its device, inode, size, mtime and ctime must be those recorded
(any write changes ctime, which no user can set back), and the file must have been older
than the record by RACY_NS: file times tick in milliseconds, so a write just after the
record could keep them (git's racy-index rule).
"""
from __future__ import annotations

import os
from pathlib import Path

RACY_NS = 1_000_000_000


def identity(path: Path) -> list[int]:
    st = os.stat(path)
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def unchanged(current: list[int], recorded: object, recorded_ns: int) -> bool:
    """`current` (from `identity`) is the `recorded` one, and was taken from a file that had
    been quiet for RACY_NS when the record was made at `recorded_ns`."""
    return current == recorded and max(current[3:]) < recorded_ns - RACY_NS
