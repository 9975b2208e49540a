"""lab/arch.py: an image's architecture against its target's, from the boot file's path and
the PE header's machine type (the real kernels' headers and hand-made ones)."""
from __future__ import annotations

import struct
from pathlib import Path

import pytest

from rustux_bootlab.lab.arch import AARCH64, X86_64, image_arch_problem, pe_machine
from rustux_bootlab.workers.qemu.command import Firmware, Profile, qemu_command

REPO = Path(__file__).resolve().parents[2]


def pe(path: Path, machine: int) -> Path:
    """A minimal PE header: MZ, e_lfanew at 0x3c, `PE\\0\\0` and the COFF machine field."""
    head = bytearray(0x100)
    head[:2] = b"MZ"
    struct.pack_into("<I", head, 0x3C, 0x80)
    head[0x80:0x84] = b"PE\0\0"
    struct.pack_into("<H", head, 0x84, machine)
    path.write_bytes(bytes(head))
    return path


def test_the_pe_machine_type_is_read_from_the_header(tmp_path):
    assert pe_machine(pe(tmp_path / "a.efi", 0xAA64)) == 0xAA64
    assert pe_machine(pe(tmp_path / "x.efi", 0x8664)) == 0x8664
    (tmp_path / "text.efi").write_bytes(b"MZ but nothing else")
    assert pe_machine(tmp_path / "text.efi") is None


@pytest.mark.parametrize("arch, built", [(X86_64, "esp"), (AARCH64, "aarch64/esp")])
def test_the_real_kernels_are_their_architectures(arch, built):
    boot = REPO / "build" / built / arch.boot_file
    if not boot.is_file():
        pytest.fail(f"{boot} is missing: run make kernel{'' if arch is X86_64 else ' ARCH=aarch64'}")
    assert pe_machine(boot) == arch.pe_machine
    assert image_arch_problem({arch.boot_file: boot}, arch) is None


def test_an_x86_esp_on_an_arm64_target_names_both_and_the_fix(tmp_path):
    problem = image_arch_problem({X86_64.boot_file: pe(tmp_path / "x.efi", 0x8664)}, AARCH64)
    assert problem is not None
    assert "holds EFI/BOOT/BOOTX64.EFI (an x86_64 image) but the target is aarch64" in problem
    assert "make kernel ARCH=aarch64" in problem


def test_an_arm64_esp_on_an_x86_target_is_refused_the_same_way(tmp_path):
    problem = image_arch_problem({"efi/boot/bootaa64.efi": pe(tmp_path / "a.efi", 0xAA64)}, X86_64)
    assert problem is not None and "an aarch64 image) but the target is x86_64" in problem


def test_a_boot_file_built_for_the_other_machine_is_named_by_its_pe_type(tmp_path):
    problem = image_arch_problem({AARCH64.boot_file: pe(tmp_path / "x.efi", 0x8664)}, AARCH64)
    assert problem is not None and "PE32+ image for x86_64 (machine 0x8664), not aarch64 (0xaa64)" in problem


def test_no_boot_file_is_left_to_the_esp_check(tmp_path):
    assert image_arch_problem({"EFI/rustux/initrd.cpio": tmp_path}, AARCH64) is None


def test_virt_has_the_pl011_ramfb_and_virtio_blk_and_no_isa_devices(tmp_path):
    sockets = {name: tmp_path / f"{name}.sock" for name in ("debugcon", "serial", "firmware", "qmp")}
    firmware = Firmware("pflash", code=Path("/usr/share/AAVMF/AAVMF_CODE.fd"), vars=tmp_path / "vars.fd")
    argv = qemu_command(Profile("virt", 512, "tcg", firmware, tmp_path / "esp.img", arch="aarch64"), sockets,
                        "qemu-system-aarch64")
    line = " ".join(argv)
    assert argv[argv.index("-cpu") + 1] == "cortex-a57" and "-device ramfb" in line and "-vga" not in argv
    assert f"if=none,id=esp,format=raw,file={tmp_path / 'esp.img'},snapshot=on -device virtio-blk-pci,drive=esp" in line
    assert "isa-" not in line and "-serial chardev:serial" in line
    # Every channel's socket is still connected, so the runner's capture is the same as on x86.
    assert all(f"socket,id={name},path={path}" in line for name, path in sockets.items())

