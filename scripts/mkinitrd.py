#!/usr/bin/env python3
"""Writes the Rustux initrd: a cpio "newc" archive (what kcore::cpio reads).

    scripts/mkinitrd.py OUT DEST=SOURCE...

Each DEST=SOURCE puts the file SOURCE at DEST in the archive (`bin/sh=build/user/sh`), or,
when SOURCE is a directory, every file directly in it under DEST (`etc=userspace/etc`).
Parent directories get entries of their own (before their contents), names are sorted,
and every time stamp is 0, so the same inputs always give the same bytes.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

MAGIC = b"070701"
TRAILER = "TRAILER!!!"
DIR_MODE = 0o040755
BLOCK = 512


def record(ino: int, name: str, mode: int, data: bytes) -> bytes:
    encoded = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 1 if mode != DIR_MODE else 2, 0, len(data), 0, 0, 0, 0, len(encoded), 0]
    header = MAGIC + b"".join(b"%08x" % value for value in fields) + encoded
    header += b"\0" * (-len(header) % 4)
    return header + data + b"\0" * (-len(data) % 4)


def collect(specs: list[str]) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for spec in specs:
        dest, sep, source = spec.partition("=")
        dest = dest.strip("/")
        if not sep or not dest or not source or any(p in ("", ".", "..") for p in dest.split("/")):
            raise SystemExit(f"mkinitrd: bad argument {spec!r}: want DEST=SOURCE, DEST a relative path like bin/sh")
        path = Path(source)
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.is_file():
                    files[f"{dest}/{child.name}"] = child
        elif path.is_file():
            files[dest] = path
        else:
            raise SystemExit(f"mkinitrd: {source} (for {dest}) does not exist: build it first")
    return files


def archive(files: dict[str, Path]) -> bytes:
    dirs = sorted({"/".join(name.split("/")[:i]) for name in files for i in range(1, name.count("/") + 1)})
    entries = [(d, DIR_MODE, b"") for d in dirs]
    for name in sorted(files):
        mode = 0o100755 if os.access(files[name], os.X_OK) else 0o100644
        entries.append((name, mode, files[name].read_bytes()))
    entries.sort(key=lambda e: e[0].split("/"))  # a directory before its contents
    out = b"".join(record(ino, name, mode, data) for ino, (name, mode, data) in enumerate(entries, 1))
    out += record(0, TRAILER, 0, b"")
    return out + b"\0" * (-len(out) % BLOCK)


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out = Path(argv[1])
    data = archive(collect(argv[2:]))
    tmp = out.with_name(f".{out.name}.{os.getpid()}")
    tmp.write_bytes(data)
    tmp.replace(out)  # readers (a QEMU on the ESP) never see half a file
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
