"""An image that runs and returns an error, on real QEMU: tests/fixtures/mini-efi's `error`
variant prints two lines and returns EFI_DEVICE_ERROR; OVMF says `failed to start Boot0001
...: Device Error` and falls back to its shell. The image was on the ESP and ran: the verdict
is the image's, never the firmware's "is EFI/BOOT/BOOTX64.EFI on the ESP?". About 15 s.
"""
from __future__ import annotations

import subprocess

import pytest

from bootlab_support import REPO, run_boot

pytestmark = pytest.mark.qemu


def test_an_image_that_ran_and_returned_an_error_is_fail_code_quoting_its_lines(tmp_path):
    esp = tmp_path / "esp"
    subprocess.run([REPO / "tests" / "fixtures" / "mini-efi" / "build.sh", "error", esp], check=True, timeout=600)
    boot = run_boot(tmp_path / "boot", "--target", "q35-pflash", "--image", esp,
                    "--milestones", REPO / "tests" / "fixtures" / "specs" / "mini-efi.yaml", "--accel", "tcg",
                    "--no-warm")  # cold: what the firmware's boot manager says of the image is asserted
    assert boot.rc == 1, boot.stderr
    assert boot.verdict == ("FAIL", "code")
    assert boot.result["reason"].startswith(
        "the image ran and returned Device Error to the firmware: last lines: rustux: entry (boot services) | "
        "mini-efi: no root device, giving up (firmware said Boot0001 "), boot.result["reason"]
    assert "on the ESP" not in boot.result["reason"]
    assert [m["name"] for m in boot.result["milestones"]] == ["entry"]
