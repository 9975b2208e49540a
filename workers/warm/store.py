"""The worker's snapshot cache: one directory per key, a size cap, stale and corrupt ones dropped.

```
$BOOTLAB_SNAPSHOTS (default $XDG_CACHE_HOME/rustux-bootlab/snapshots)/
  <digest>/manifest.json   written last: a directory without one is half-made and ignored
  <digest>/snapshot.mig    the QMP migration stream (restored with -incoming exec:cat)
  <digest>/creation.log    what COM1 said while the snapshot was made
  <digest>.lock            flock: one creator per key, the others wait and then use it
```
The cap (`$BOOTLAB_SNAPSHOT_CAP_MB`, default 1024) is kept after each creation by deleting
the least recently used snapshots (a use touches the manifest's access stamp).
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rustux_bootlab.lab.snapshot import DEFAULT_CAP_BYTES, Manifest, SnapshotError, SnapshotKey, StoredSnapshot, to_evict, unusable
from rustux_bootlab.workers.state import cache_root

MANIFEST = "manifest.json"
STREAM = "snapshot.mig"
CREATION_LOG = "creation.log"
USED = ".used"  # its mtime is the last use
ROOT_ENV = "BOOTLAB_SNAPSHOTS"
CAP_ENV = "BOOTLAB_SNAPSHOT_CAP_MB"


@dataclass(frozen=True)
class Snapshot:
    """A stored snapshot that passed the manifest checks (the content check runs on restore)."""

    manifest: Manifest
    dir: Path

    @property
    def stream(self) -> Path:
        return self.dir / STREAM

    def describe(self) -> dict[str, object]:
        """The record's view: which snapshot booted."""
        m = self.manifest
        return {"digest": m.digest, "path": str(self.dir), "size": m.size, "created": m.created,
                "creation_s": round(m.creation_s, 3), "sha256": m.sha256}


def default_root() -> Path:
    if os.environ.get(ROOT_ENV):
        return Path(os.environ[ROOT_ENV])
    return cache_root() / "snapshots"


def default_cap() -> int:
    raw = os.environ.get(CAP_ENV)
    if not raw:
        return DEFAULT_CAP_BYTES
    try:
        mib = int(raw)
    except ValueError:
        raise SnapshotError(f"{CAP_ENV}={raw!r} is not a number of MiB: set it to e.g. 1024") from None
    if mib <= 0:
        raise SnapshotError(f"{CAP_ENV}={raw!r} must be positive")
    return mib << 20


class SnapshotStore:
    def __init__(self, root: Path | None = None, cap_bytes: int | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()
        self.cap_bytes = cap_bytes if cap_bytes is not None else default_cap()

    def lookup(self, key: SnapshotKey) -> tuple[Snapshot | None, str | None]:
        """The usable snapshot for `key`, or None and why one was dropped (None if there was none)."""
        directory = self.root / key.digest
        manifest_path = directory / MANIFEST
        if not manifest_path.exists():
            return None, None
        try:
            manifest = Manifest.from_dict(json.loads(manifest_path.read_text()))
        except (OSError, ValueError, SnapshotError) as exc:
            self.drop(key.digest)
            return None, f"corrupt: {manifest_path} unreadable: {exc}"
        stream = directory / STREAM
        problem = unusable(manifest, key, stream.stat().st_size if stream.exists() else None)
        if problem is not None:
            self.drop(key.digest)
            return None, problem
        (directory / USED).touch()
        return Snapshot(manifest, directory), None

    def drop(self, digest: str) -> None:
        """Delete a snapshot (stale, corrupt, failed to restore, or evicted)."""
        directory = self.root / digest
        if directory.exists():
            # Rename first: a concurrent lookup sees it gone at once, never half-deleted.
            doomed = self.root / f".drop-{digest}-{os.getpid()}-{time.monotonic_ns()}"
            with contextlib.suppress(FileNotFoundError):
                directory.rename(doomed)
                shutil.rmtree(doomed, ignore_errors=True)

    @contextlib.contextmanager
    def creating(self, key: SnapshotKey) -> Iterator[Path]:
        """Hold the key's creation lock; yields an empty staging directory to fill. `commit`
        moves it into place; anything left uncommitted is removed."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / f"{key.digest}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        staging = self.root / f".new-{key.digest}-{os.getpid()}"
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
            yield staging
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            os.close(fd)

    def commit(self, staging: Path, manifest: Manifest) -> Snapshot:
        """Write the manifest last and move the staged snapshot into place; then keep the cap."""
        (staging / MANIFEST).write_text(json.dumps(manifest.to_dict(), indent=1) + "\n")
        (staging / USED).touch()
        self.drop(manifest.digest)
        final = self.root / manifest.digest
        staging.rename(final)
        self.enforce_cap(keep=manifest.digest)
        return Snapshot(manifest, final)

    def stored(self) -> list[StoredSnapshot]:
        found = []
        for manifest_path in self.root.glob(f"*/{MANIFEST}"):
            directory = manifest_path.parent
            if directory.name.startswith("."):
                continue
            # Blocks on disk, not apparent sizes: the RAM file is sparse (256 MiB apparent, the touched pages real).
            size = sum(f.stat().st_blocks * 512 for f in directory.iterdir() if f.is_file())
            used = directory / USED
            found.append(StoredSnapshot(directory.name, size, (used if used.exists() else manifest_path).stat().st_mtime))
        return found

    def enforce_cap(self, keep: str | None = None) -> list[str]:
        victims = to_evict(self.stored(), self.cap_bytes, keep)
        for digest in victims:
            self.drop(digest)
        return victims
