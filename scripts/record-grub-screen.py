#!/usr/bin/env python3
"""Record a real GRUB menu screen: Debian's GRUB 2.06 (grub-efi-amd64-bin) on OVMF.

`grub-mkstandalone` makes EFI/BOOT/BOOTX64.EFI with a three-entry menu on the EFI console
(`terminal_output console`): GRUB draws the menu's box with the firmware's text output, so
OVMF's GraphicsConsole draws box-drawing glyphs the lab's EDK2 font (learned from ASCII)
does not have. The screen goes to tests/fixtures/screens/grub-menu.png; its truth
(grub-menu.txt) was written by hand from GRUB's menu layout and checked against the image.
Usage (about 20 s): .venv/bin/python scripts/record-grub-screen.py
"""
from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rustux_bootlab.workers.qemu.png import encode_png  # noqa: E402

_spec = importlib.util.spec_from_file_location("learn_ovmf_font", Path(__file__).with_name("learn-ovmf-font.py"))
assert _spec is not None and _spec.loader is not None
learn_ovmf_font = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(learn_ovmf_font)

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "screens"
MENU = """set timeout=-1
terminal_output console
menuentry 'Debian GNU/Linux' { true }
menuentry 'Advanced options for Debian GNU/Linux' { true }
menuentry 'UEFI Firmware Settings' { fwsetup }
"""


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="grub-screen-") as tmp:
        work = Path(tmp)
        boot = work / "esp" / "EFI" / "BOOT"
        boot.mkdir(parents=True)
        (work / "grub.cfg").write_text(MENU)
        subprocess.run(["grub-mkstandalone", "-O", "x86_64-efi", "-o", boot / "BOOTX64.EFI",
                        f"boot/grub/grub.cfg={work / 'grub.cfg'}"], check=True)
        guest = learn_ovmf_font.Guest(work, ["-drive", f"format=raw,file=fat:rw:{work / 'esp'}"])
        try:
            guest.wait_for(b"Advanced options", 120)
            time.sleep(2.0)  # the serial copy comes first; let the screen be drawn
            frame = guest.screen()
        finally:
            guest.quit()
    height, width, _ = frame.shape
    (CORPUS / "grub-menu.png").write_bytes(encode_png(width, height, frame.tobytes()))
    print(f"grub-menu.png: {width}x{height}")


if __name__ == "__main__":
    main()
