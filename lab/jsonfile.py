"""Writing a JSON file whole or not at all: a reader (another boot, the master, a person)
never sees half a file, and writers racing each other leave one of their files, not a mix.

The text goes to a temporary file named after the process beside the target, then replaces
it in one rename (atomic within a filesystem). Standard library only: bootlab's early start
(workers/qemu/earlystart.py) uses it before anything heavy is imported.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def write_json(path: Path, data: Any, indent: int | None = None, text: str | None = None) -> Path:
    """`data` as JSON (or `text`, already rendered) into `path`, atomically; its directory is made."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text((json.dumps(data, indent=indent) if text is None else text.rstrip("\n")) + "\n")
    os.replace(tmp, path)
    return path
