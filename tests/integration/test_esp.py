"""ESP images made with the real mtools/dosfstools, read back and verified."""
import hashlib
import shutil
import subprocess

import pytest

from rustux_bootlab.lab.esp import BOOT_FILE, EspError
from rustux_bootlab.workers.artifacts.esp import build_esp_image


@pytest.fixture(autouse=True)
def mtools() -> None:
    if shutil.which("mcopy") is None:
        pytest.fail("mcopy not found: install mtools (make deps)")


APP = b"MZ" + bytes(range(256)) * 40


def listing(image):
    out = subprocess.run(["mdir", "-i", str(image), "-/", "-b", "::/"], capture_output=True, text=True,
                         env={"MTOOLS_SKIP_CHECK": "1", "PATH": "/usr/bin:/bin"}, check=True)
    return sorted(line.strip() for line in out.stdout.splitlines() if line.strip())


def test_from_a_single_efi(tmp_path):
    efi = tmp_path / "kernel.efi"
    efi.write_bytes(APP)
    esp = build_esp_image(efi, tmp_path / "out" / "esp.img")
    assert esp.boot_sha256 == hashlib.sha256(APP).hexdigest()
    assert esp.files == 1 and esp.size >= 8 << 20
    assert "::/EFI/BOOT/BOOTX64.EFI" in listing(esp.path)
    record = esp.to_dict()
    assert record["sha256"] == hashlib.sha256(esp.path.read_bytes()).hexdigest()
    assert record["boot_sha256"] == esp.boot_sha256 and record["files"] == 1


def test_a_single_arm64_efi_is_installed_where_aavmf_looks(tmp_path):
    head = bytearray(APP[:0x100])
    head[0x3C:0x40] = (0x80).to_bytes(4, "little")
    head[0x80:0x86] = b"PE\0\0" + (0xAA64).to_bytes(2, "little")
    (tmp_path / "kernel.efi").write_bytes(bytes(head))
    esp = build_esp_image(tmp_path / "kernel.efi", tmp_path / "out" / "esp.img")
    assert "::/EFI/BOOT/BOOTAA64.EFI" in listing(esp.path) and "::/EFI/BOOT/BOOTX64.EFI" not in listing(esp.path)
    assert esp.boot_sha256 == hashlib.sha256(bytes(head)).hexdigest()


def test_from_a_directory_keeps_every_file(tmp_path):
    src = tmp_path / "esp"
    (src / "EFI" / "BOOT").mkdir(parents=True)
    (src / "EFI" / "BOOT" / "BOOTX64.EFI").write_bytes(APP)
    (src / "boot" / "user").mkdir(parents=True)
    (src / "boot" / "user" / "hello").write_bytes(b"\x7fELF" + b"\0" * 5000)
    esp = build_esp_image(src, tmp_path / "esp.img")
    assert esp.files == 2
    assert {"::/boot/user/hello", "::/EFI/BOOT/BOOTX64.EFI"} <= set(listing(esp.path))
    again = build_esp_image(src, tmp_path / "esp2.img")
    assert again.content_sha256 == esp.content_sha256
    (src / "boot" / "user" / "hello").write_bytes(b"changed")
    assert build_esp_image(src, tmp_path / "esp3.img").content_sha256 != esp.content_sha256


def test_lower_case_boot_file_is_installed_upper_case(tmp_path):
    src = tmp_path / "esp"
    (src / "efi" / "boot").mkdir(parents=True)
    (src / "efi" / "boot" / "bootx64.efi").write_bytes(APP)
    assert build_esp_image(src, tmp_path / "esp.img").files == 1


def test_sized_to_fit(tmp_path):
    efi = tmp_path / "big.efi"
    efi.write_bytes(b"MZ" + bytes(12 << 20))
    esp = build_esp_image(efi, tmp_path / "esp.img")
    assert esp.size >= 12 << 20


def test_no_boot_file(tmp_path):
    (tmp_path / "esp" / "EFI").mkdir(parents=True)
    with pytest.raises(EspError, match=f"has no {BOOT_FILE}: the firmware would find nothing to boot"):
        build_esp_image(tmp_path / "esp", tmp_path / "esp.img")


def test_not_a_pe_file(tmp_path):
    efi = tmp_path / "x.efi"
    efi.write_bytes(b"\x7fELF")
    with pytest.raises(EspError, match="not a PE/COFF executable"):
        build_esp_image(efi, tmp_path / "esp.img")


def test_missing_source_and_wrong_file(tmp_path):
    with pytest.raises(EspError, match="does not exist: build the kernel first"):
        build_esp_image(tmp_path / "nope", tmp_path / "esp.img")
    (tmp_path / "k.elf").write_bytes(b"x")
    with pytest.raises(EspError, match="neither an ESP directory nor a .efi file"):
        build_esp_image(tmp_path / "k.elf", tmp_path / "esp.img")
