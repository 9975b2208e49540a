"""lab/snapshot.py: the key, the manifest, stale and corrupt detection, the cache cap."""
import pytest

from rustux_bootlab.lab.snapshot import (
    Manifest,
    SnapshotError,
    SnapshotKey,
    StoredSnapshot,
    content_mismatch,
    device_set,
    to_evict,
    unusable,
)

ARGV = ["/usr/bin/qemu-system-x86_64", "-machine", "q35", "-drive", "if=pflash,file=/tmp/bootlab-1-x/vars.fd",
        "-chardev", "socket,id=serial,path=/tmp/bootlab-1-x/serial.sock", "-device", "qemu-xhci,id=xhci"]


def key(**changes):
    base = dict(qemu_version="QEMU emulator version 7.2.22", machine="q35", accel="tcg", memory_mb=256,
                firmware=(("code", "c0de"), ("vars", "0a55")), devices=device_set(ARGV, {"/tmp/bootlab-1-x": "<work>"}))
    base.update(changes)
    return SnapshotKey(**base)


def manifest(k, **changes):
    base = dict(key=k, digest=k.digest, sha256="ab" * 32, size=1000, created="2026-12-01T19:00:00Z",
                creation_s=9.5, launch="bootx64")
    base.update(changes)
    return Manifest(**base)


def test_device_set_masks_per_boot_paths_and_drops_the_binary():
    other = [a.replace("bootlab-1-x", "bootlab-99-yz") for a in ARGV]
    assert device_set(ARGV, {"/tmp/bootlab-1-x": "<work>"}) == device_set(other, {"/tmp/bootlab-99-yz": "<work>"})
    assert "path=<work>/serial.sock" in "".join(device_set(ARGV, {"/tmp/bootlab-1-x": "<work>"}))
    assert not any("qemu-system" in a for a in device_set(ARGV, {}))


@pytest.mark.parametrize("change", [
    {"qemu_version": "QEMU emulator version 8.0.0"}, {"machine": "pc"}, {"accel": "kvm"}, {"memory_mb": 512},
    {"firmware": (("code", "c0de"), ("vars", "ffff"))}, {"firmware": (("bios", "c0de"),)},
    {"devices": (*key().devices, "-device", "usb-kbd")}, {"recipe": 99},
])
def test_anything_that_shapes_the_snapshot_changes_the_key(change):
    assert key(**change).digest != key().digest
    assert key().digest == key().digest


def test_key_round_trips_through_the_manifest():
    m = manifest(key())
    again = Manifest.from_dict(m.to_dict())
    assert again == m and again.key.digest == m.digest


def test_a_matching_manifest_is_usable():
    assert unusable(manifest(key()), key(), 1000) is None


def test_a_manifest_for_another_machine_is_stale_and_says_what_changed():
    why = unusable(manifest(key(memory_mb=512)), key(), 1000)
    assert why.startswith("stale:") and "memory_mb: 512 -> 256" in why


def test_a_forged_digest_is_stale():
    assert unusable(manifest(key(), digest="0" * 20), key(), 1000).startswith("stale:")


def test_wrong_size_or_missing_file_is_corrupt():
    assert unusable(manifest(key()), key(), 999).startswith("corrupt: the snapshot file has 999 bytes")
    assert unusable(manifest(key()), key(), None) == "corrupt: the snapshot file is missing"
    assert content_mismatch(manifest(key()), "cd" * 32).startswith("corrupt: snapshot content sha256")
    assert content_mismatch(manifest(key()), "ab" * 32) is None


def test_old_manifest_version_is_stale():
    assert "manifest version 0" in unusable(manifest(key(), version=0), key(), 1000)


@pytest.mark.parametrize("data", [[], {"key": {}}, {**manifest(key()).to_dict(), "size": "big"}])
def test_malformed_manifests_raise(data):
    with pytest.raises(SnapshotError):
        Manifest.from_dict(data)


def test_eviction_drops_least_recently_used_until_under_cap_and_keeps_the_one_in_use():
    stored = [StoredSnapshot("a", 40, 1.0), StoredSnapshot("b", 40, 2.0), StoredSnapshot("c", 40, 3.0)]
    assert to_evict(stored, 100) == ["a"]
    assert to_evict(stored, 100, keep="a") == ["b"]
    assert to_evict(stored, 200) == []
    assert to_evict(stored, 10, keep="c") == ["a", "b"]
