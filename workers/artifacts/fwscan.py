"""Firmware scans remembered per file: the firmware check before every boot reads 2-4 MiB
of OVMF to hash and scan it (`lab.firmware.scan_file`); an unchanged file need not be read
again.

`$XDG_CACHE_HOME/rustux-bootlab/firmware-scans.json`: resolved path -> the file's device,
inode, size, mtime and ctime when it was scanned, and the scan. A file whose identity
differs in any of these (any write changes ctime, which no user can set back) is scanned
again, so a zero-filled or truncated OVMF is still refused before QEMU starts. A scan of a
file changed less than a second before it is never trusted (workers/artifacts/fileidentity.py).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from rustux_bootlab.lab.firmware import Scan, scan_file
from rustux_bootlab.lab.jsonfile import write_json
from rustux_bootlab.workers.artifacts.fileidentity import identity, unchanged
from rustux_bootlab.workers.state import cache_root

KEEP = 32  # files remembered


def cache_file() -> Path:
    return cache_root() / "firmware-scans.json"


def cached_scan(path: Path) -> Scan:
    """`scan_file(path)`, from the cache while the file is unchanged; raises `OSError`."""
    key = str(Path(path).resolve())
    current = identity(Path(key))
    entries = _load()
    entry = entries.get(key)
    if entry is not None and unchanged(current, entry.get("identity"), entry.get("scanned_ns", 0)):
        try:
            return Scan(entry["sha256"], entry["zero"], entry["blank"], {int(o): n for o, n in entry["volumes"].items()})
        except (KeyError, TypeError, ValueError, AttributeError):
            pass
    scanned_ns = time.time_ns()
    scan = scan_file(Path(key))
    entries.pop(key, None)
    entries[key] = {"identity": current, "scanned_ns": scanned_ns, "sha256": scan.sha256, "zero": scan.zero, "blank": scan.blank,
                    "volumes": {str(o): n for o, n in scan.volumes.items()}}
    _store(dict(list(entries.items())[-KEEP:]))
    return scan


def _load() -> dict:
    try:
        data = json.loads(cache_file().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _store(entries: dict) -> None:
    path = cache_file()
    try:
        write_json(path, entries)  # concurrent boots on one worker: each writes a whole file
    except OSError:
        pass  # a cache that cannot be written costs a scan next time, nothing else
