"""ESP images cached by content: the same kernel booted again (on another target, as the
triage baseline, by the next build of an unchanged tree) reuses the FAT image built for it
instead of running mkfs.fat and mtools again (~0.1 s of every boot).

`$XDG_CACHE_HOME/rustux-bootlab/esp/<key>.img`, with `<key>.json` beside it holding the
image's facts as `lab.esp` verified them when it built the image (read back file by file).
The key hashes every file's path and sha256, so a changed kernel is a new key. On reuse
the image's inode, size, mtime and ctime must be those recorded (any write changes ctime,
which no user can set back) and older than the record by a second (file times tick in
milliseconds); failing that its sha256 must match: a cached image that changed on disk is
built again, never booted. QEMU attaches images with snapshot=on and the USB deploy only
reads them, so no boot writes a cached image. The newest KEEP images stay.
"""
from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from rustux_bootlab.lab.esp import EspImage, content_hash, esp_files, sha256_file
from rustux_bootlab.lab.jsonfile import write_json
from rustux_bootlab.workers.artifacts.esp import build_esp_image
from rustux_bootlab.workers.artifacts.fileidentity import identity, unchanged
from rustux_bootlab.workers.state import cache_root

KEEP = 16  # 8 MiB each
FORMAT = "esp-v1"  # part of the key: a change to how lab.esp lays out images invalidates the cache


def cache_dir() -> Path:
    return cache_root() / "esp"


def cached_esp_image(source: Path) -> tuple[EspImage, bool]:
    """The verified image of `source` and whether it came from the cache; raises `EspError`."""
    files = esp_files(source)
    key = content_hash({FORMAT: FORMAT, **{rel: sha256_file(src) for rel, src in files.items()}})
    d = cache_dir()
    image, facts = d / f"{key}.img", d / f"{key}.json"
    hit = _load(image, facts)
    if hit is not None:
        os.utime(facts)  # most recently used: pruned last
        return hit, True
    d.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".build-", dir=d) as tmp:
        built = build_esp_image(source, Path(tmp) / "esp.img")
        os.replace(built.path, image)  # atomic: a concurrent boot sees no image or a whole one
        esp = EspImage(image, built.size, built.sha256, built.boot_sha256, built.content_sha256, built.files)
        _store(esp, facts, Path(tmp))
    _prune(d)
    return esp, False


def _store(esp: EspImage, facts: Path, tmp: Path) -> None:
    write_json(facts, {**esp.to_dict(), "identity": identity(esp.path), "recorded_ns": time.time_ns()})


def _load(image: Path, facts: Path) -> EspImage | None:
    try:
        data = json.loads(facts.read_text())
        esp = EspImage(image, int(data["size"]), data["sha256"], data["boot_sha256"], data["content_sha256"], int(data["files"]))
        if unchanged(identity(image), data.get("identity"), data.get("recorded_ns", 0)):
            return esp
        if image.stat().st_size != esp.size or sha256_file(image) != esp.sha256:
            return None
        _store(esp, facts, facts.parent)  # the same bytes (copied, restored): remember the new identity
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return esp


def _prune(d: Path) -> None:
    entries = sorted(d.glob("*.json"), key=_mtime, reverse=True)
    for old in entries[KEEP:]:
        old.with_suffix(".img").unlink(missing_ok=True)
        old.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # pruned by a concurrent boot
        return 0.0
