"""Firmware snapshots for warm boots: what a snapshot is keyed by, and when one is unusable.

A snapshot is OVMF booted once with no boot file to its UEFI shell, stopped and saved with
QMP `migrate` to a file. A warm boot restores it instead of running the firmware again, so
the snapshot must come from exactly the machine the boot would have started: the key holds
everything that shapes the saved state (QEMU version, machine, accel, memory, the device
set as the normalised command line, the firmware files by content, the creation recipe).
Any change gives a new key, so a snapshot is never restored into a machine it was not made
for; a file whose manifest does not match its key, or whose content does not match the
manifest, is stale or corrupt and is dropped (the boot then runs cold).

Pure: the worker side (workers/warm/) creates, stores and restores them.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

# Bump when the way a snapshot is made changes (what is typed in the shell, the devices the
# warm path adds): every older snapshot then has another key and is never restored.
RECIPE = 1
MANIFEST_VERSION = 1
DEFAULT_CAP_BYTES = 1 << 30


class SnapshotError(ValueError):
    """A manifest that cannot be read."""


@dataclass(frozen=True)
class SnapshotKey:
    qemu_version: str
    machine: str
    accel: str  # resolved: kvm | tcg
    memory_mb: int
    firmware: tuple[tuple[str, str], ...]  # (role, sha256) for code + vars template, or bios
    devices: tuple[str, ...]  # the QEMU command line with per-boot paths masked
    recipe: int = RECIPE

    @property
    def digest(self) -> str:
        """The key as a short name: the snapshot's directory in the cache."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:20]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["firmware"] = dict(self.firmware)
        data["devices"] = list(self.devices)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SnapshotKey:
        try:
            return cls(
                qemu_version=str(data["qemu_version"]),
                machine=str(data["machine"]),
                accel=str(data["accel"]),
                memory_mb=int(data["memory_mb"]),
                firmware=tuple(sorted((str(k), str(v)) for k, v in dict(data["firmware"]).items())),
                devices=tuple(str(a) for a in data["devices"]),
                recipe=int(data["recipe"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SnapshotError(f"snapshot key {data!r} is malformed: {exc}") from exc

    def differences(self, other: SnapshotKey) -> list[str]:
        """What changed between two keys, for the record of a stale snapshot."""
        mine, theirs = self.to_dict(), other.to_dict()
        return [f"{name}: {theirs[name]!r} -> {mine[name]!r}" for name in mine if mine[name] != theirs[name]]


def device_set(argv: list[str], masks: dict[str, str]) -> tuple[str, ...]:
    """The command line as a key: each per-boot path (`masks`: path -> placeholder) replaced,
    so two boots of one machine give the same tuple and any other device, option or order
    does not. The binary's path is left out (its version is part of the key)."""
    ordered = sorted(masks.items(), key=lambda kv: -len(kv[0]))  # longest first: no partial masks
    out = []
    for arg in argv[1:]:
        for path, placeholder in ordered:
            arg = arg.replace(path, placeholder)
        out.append(arg)
    return tuple(out)


@dataclass(frozen=True)
class Manifest:
    """What is known of a stored snapshot: written last, so a half-made one has none."""

    key: SnapshotKey
    digest: str
    sha256: str  # of the migration stream file
    size: int
    created: str  # ISO 8601, UTC
    creation_s: float
    launch: str  # what the shell is told to run the boot file with (the recipe's short form)
    version: int = MANIFEST_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version, "digest": self.digest, "key": self.key.to_dict(), "sha256": self.sha256,
            "size": self.size, "created": self.created, "creation_s": round(self.creation_s, 3), "launch": self.launch,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        if not isinstance(data, dict):
            raise SnapshotError(f"manifest is {type(data).__name__}, not a mapping")
        try:
            return cls(
                key=SnapshotKey.from_dict(data["key"]),
                digest=str(data["digest"]),
                sha256=str(data["sha256"]),
                size=int(data["size"]),
                created=str(data["created"]),
                creation_s=float(data["creation_s"]),
                launch=str(data["launch"]),
                version=int(data["version"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SnapshotError(f"manifest field missing or malformed: {exc}") from exc


def unusable(manifest: Manifest, wanted: SnapshotKey, file_size: int | None) -> str | None:
    """Why a stored snapshot must not be restored for `wanted`, or None if it may be.

    The full content check (sha256) runs while QEMU reads the file, before the guest runs."""
    if manifest.version != MANIFEST_VERSION:
        return f"stale: manifest version {manifest.version}, this lab writes {MANIFEST_VERSION}"
    if manifest.key != wanted or manifest.digest != wanted.digest:
        changed = "; ".join(wanted.differences(manifest.key)) or f"digest {manifest.digest} != {wanted.digest}"
        return f"stale: made for another machine ({changed})"
    if file_size is None:
        return "corrupt: the snapshot file is missing"
    if file_size != manifest.size:
        return f"corrupt: the snapshot file has {file_size} bytes, its manifest says {manifest.size}"
    return None


def content_mismatch(manifest: Manifest, sha256: str) -> str | None:
    if sha256 != manifest.sha256:
        return f"corrupt: snapshot content sha256 {sha256[:16]}... != manifest {manifest.sha256[:16]}..."
    return None


@dataclass(frozen=True)
class StoredSnapshot:
    digest: str
    size: int
    last_used: float  # seconds since the epoch


def to_evict(stored: list[StoredSnapshot], cap_bytes: int, keep: str | None = None) -> list[str]:
    """The snapshots to delete, least recently used first, so the cache fits in `cap_bytes`;
    `keep` (the one a boot is about to use) is never chosen."""
    total = sum(s.size for s in stored)
    victims = []
    for snap in sorted(stored, key=lambda s: s.last_used):
        if total <= cap_bytes:
            break
        if snap.digest == keep:
            continue
        victims.append(snap.digest)
        total -= snap.size
    return victims
