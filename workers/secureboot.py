"""The facts lab/secureboot.py judges a Secure Boot lane's refusal by, read after the boot."""
from __future__ import annotations

from pathlib import Path

from lab.esp import BOOT_FILE
from lab.secureboot import SecureBootFacts, refusal
from workers.secureboot_keys import signer

FIRMWARE_LOGS = ("serial.log", "firmware.log")  # where OVMF's BdsDxe says why it refused an image


def secure_boot_facts(image: Path, out: Path) -> SecureBootFacts:
    """Who signed the image's BOOTX64.EFI (an ESP directory or a .efi; None for a FAT image)
    and the firmware's refusal in the boot record's console logs."""
    efi = image if image.suffix.lower() == ".efi" else image / BOOT_FILE
    who = signer(efi) if efi.is_file() else None
    text = "\n".join((out / name).read_text(errors="replace") for name in FIRMWARE_LOGS if (out / name).exists())
    return SecureBootFacts(enforcing=True, signer=who, refusal=refusal(text))
