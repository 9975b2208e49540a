"""workers/warm/store.py on real files: commit, lookup, the size cap, stale and corrupt
manifests dropped. (Making a snapshot needs QEMU: tests/integration/test_warm_boot.py.)"""
import json
import os

from rustux_bootlab.lab.snapshot import Manifest, SnapshotKey
from rustux_bootlab.workers.warm.store import MANIFEST, STREAM, SnapshotStore


def key(memory_mb=256):
    return SnapshotKey("QEMU 7.2", "q35", "tcg", memory_mb, (("code", "c0de"),), ("-m", str(memory_mb)))


def commit(store, k, size, used_at):
    with store.creating(k) as staging:
        (staging / STREAM).write_bytes(b"x" * size)
        snap = store.commit(staging, Manifest(k, k.digest, "ab" * 32, size, "2026-12-01T19:00:00Z", 5.0, "bootx64"))
    os.utime(snap.dir / ".used", (used_at, used_at))
    return snap


def test_a_committed_snapshot_is_found_by_its_key_only(tmp_path):
    store = SnapshotStore(tmp_path, cap_bytes=1 << 20)
    snap = commit(store, key(), 100, 1.0)
    found, why = store.lookup(key())
    assert found is not None and why is None and found.stream == snap.stream
    assert store.lookup(key(512)) == (None, None)
    assert not list(tmp_path.glob(".new-*")), "no staging directory left behind"


def test_the_cap_evicts_the_least_recently_used(tmp_path):
    store = SnapshotStore(tmp_path, cap_bytes=250_000)
    old = commit(store, key(128), 100_000, 1.0)
    commit(store, key(256), 100_000, 2.0)
    commit(store, key(512), 100_000, 3.0)  # 300 kB > cap: the least recently used goes
    assert not old.dir.exists()
    assert sorted(s.digest for s in store.stored()) == sorted([key(256).digest, key(512).digest])


def test_a_manifest_for_another_key_or_size_is_dropped_with_the_reason(tmp_path):
    store = SnapshotStore(tmp_path)
    snap = commit(store, key(), 100, 1.0)
    data = json.loads((snap.dir / MANIFEST).read_text())
    (snap.dir / MANIFEST).write_text(json.dumps({**data, "key": key(512).to_dict()}))
    found, why = store.lookup(key())
    assert found is None and why.startswith("stale: made for another machine (memory_mb: 512 -> 256")
    assert not snap.dir.exists()
    snap = commit(store, key(), 100, 1.0)
    (snap.dir / STREAM).write_bytes(b"x" * 99)
    assert store.lookup(key())[1] == "corrupt: the snapshot file has 99 bytes, its manifest says 100"
    snap = commit(store, key(), 100, 1.0)
    (snap.dir / MANIFEST).write_text("{")
    assert store.lookup(key())[1].startswith("corrupt:") and not snap.dir.exists()
