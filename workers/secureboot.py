"""The facts lab/secureboot.py judges a Secure Boot lane's refusal by, read after the boot."""
from __future__ import annotations

from pathlib import Path

from rustux_bootlab.lab.bootoptions import Attempt
from rustux_bootlab.lab.esp import BOOT_FILE
from rustux_bootlab.lab.secureboot import SecureBootFacts, refusal
from rustux_bootlab.workers.secureboot_keys import signer


def secure_boot_facts(image: Path, last_attempt: Attempt | None) -> SecureBootFacts:
    """Who signed the image's BOOTX64.EFI (an ESP directory or a .efi; None for a FAT image),
    and the firmware's refusal: its last word on the image's boot option, as the matcher read it."""
    efi = image if image.suffix.lower() == ".efi" else image / BOOT_FILE
    who = signer(efi) if efi.is_file() else None
    return SecureBootFacts(enforcing=True, signer=who, refusal=refusal(last_attempt))
