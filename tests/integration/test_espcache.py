"""ESP images cached by content (real mtools): reused while verified, rebuilt otherwise."""
import hashlib
import shutil

import pytest

from rustux_bootlab.workers.artifacts.espcache import cache_dir, cached_esp_image


@pytest.fixture(autouse=True)
def mtools() -> None:
    if shutil.which("mcopy") is None:
        pytest.fail("mcopy not found: install mtools (make deps)")


APP = b"MZ" + bytes(range(256)) * 40


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def esp(tmp_path, app=APP):
    src = tmp_path / "esp" / "EFI" / "BOOT"
    src.mkdir(parents=True, exist_ok=True)
    (src / "BOOTX64.EFI").write_bytes(app)
    return tmp_path / "esp"


def test_same_content_is_built_once(tmp_path):
    first, cached = cached_esp_image(esp(tmp_path))
    assert not cached and first.path.parent == cache_dir()
    again, cached = cached_esp_image(esp(tmp_path))
    assert cached and again == first


def test_changed_content_is_another_image(tmp_path):
    first, _ = cached_esp_image(esp(tmp_path))
    other, cached = cached_esp_image(esp(tmp_path, APP + b"!"))
    assert not cached and other.path != first.path and other.boot_sha256 != first.boot_sha256


def test_a_cached_image_changed_on_disk_is_rebuilt(tmp_path):
    first, _ = cached_esp_image(esp(tmp_path))
    with first.path.open("r+b") as f:
        f.seek(first.size // 2)
        f.write(b"corrupt")
    again, cached = cached_esp_image(esp(tmp_path))
    assert not cached and again.boot_sha256 == first.boot_sha256
    assert hashlib.sha256(again.path.read_bytes()).hexdigest() == again.sha256  # mkfs.fat stamps a new volume id


def test_the_same_bytes_under_a_new_inode_are_reused(tmp_path):
    first, _ = cached_esp_image(esp(tmp_path))
    copy = first.path.with_suffix(".copy")
    shutil.copyfile(first.path, copy)
    copy.replace(first.path)  # restored from a backup: another inode, the same bytes
    again, cached = cached_esp_image(esp(tmp_path))
    assert cached and again == first
