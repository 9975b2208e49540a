"""The last image that passed on a board: `$BOOTLAB_STATE/<board>/last-pass/<image name>`.

Board triage (workers/triage.py) boots it again when a new image FAILs on the board. Kept
after every PASS on the board, whatever the image: an ESP directory, an .efi file or a FAT
image, copied whole (an ESP is a few hundred KiB) and swapped in by a rename, so a boot
killed mid-copy leaves the previous one.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from rustux_bootlab.workers.state import state_dir

LAST_PASS = "last-pass"


def last_pass(board: str) -> Path | None:
    """The image that last passed on `board`, None before its first PASS."""
    kept = state_dir(board) / LAST_PASS
    found = sorted(kept.iterdir()) if kept.is_dir() else []
    return found[0] if found else None


def keep_pass(board: str, image: Path) -> None:
    home = state_dir(board)
    home.mkdir(parents=True, exist_ok=True)
    new = Path(tempfile.mkdtemp(prefix=f".{LAST_PASS}-", dir=home))
    try:
        if image.is_dir():
            shutil.copytree(image, new / image.name)
        else:
            shutil.copy2(image, new / image.name)
        old = home / f".{LAST_PASS}-old-{os.getpid()}"
        kept = home / LAST_PASS
        if kept.exists():
            kept.rename(old)
        new.rename(kept)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(new, ignore_errors=True)
