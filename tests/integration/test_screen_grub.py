"""A real program's screen in glyphs the lab's EDK2 font lacked: Debian's GRUB 2.06 menu on OVMF.

GRUB (grub-mkstandalone, `terminal_output console`) draws its menu through the firmware's
text output, so OVMF draws the menu's box and arrows with EDK2 glyphs the lab's EDK2 font,
learned from ASCII, did not have: a milestone on a menu line (`│*Debian GNU/Linux  │`) timed
out as FAIL/code, the kernel's fault, on a screen the lab could not read. The glyphs are now
learned (`bootlab screen learn-font`, lab/screen/fonts/ovmf-boxes.glyphs). One boot, about
15 s under TCG; the spec's timeouts leave room for a loaded host (5 s after the menu was once
too short for the help line under load 4-6: the lab reads the screen from screenshots).
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bootlab_support import run_boot

pytestmark = [pytest.mark.qemu, pytest.mark.slow]

MENU = """set timeout=-1
terminal_output console
menuentry 'Debian GNU/Linux' { true }
menuentry 'Advanced options for Debian GNU/Linux' { true }
"""
SPEC = """name: grub-menu
milestones:
  - {name: title, channel: screen, regex: 'GNU GRUB  version 2', timeout: 90}
  - {name: menu, channel: screen, regex: '│\\*Debian GNU/Linux +│$', timeout: 30}
  - {name: help, channel: screen, regex: 'Use the ▲ and ▼ keys', timeout: 30}
"""


def test_grubs_menu_box_is_read_on_the_screen(tmp_path):
    esp = tmp_path / "esp"
    (esp / "EFI" / "BOOT").mkdir(parents=True)
    (tmp_path / "grub.cfg").write_text(MENU)
    subprocess.run(["grub-mkstandalone", "-O", "x86_64-efi", "-o", esp / "EFI" / "BOOT" / "BOOTX64.EFI",
                    f"boot/grub/grub.cfg={tmp_path / 'grub.cfg'}"], check=True, timeout=120)
    (tmp_path / "grub.yaml").write_text(SPEC)
    b = run_boot(tmp_path / "out", "--target", "q35-pflash", "--image", esp, "--milestones", tmp_path / "grub.yaml",
                 "--accel", "tcg")
    assert b.verdict == ("PASS", None), b.result["reason"]
    assert [m["line"].strip() for m in b.result["milestones"]][1].startswith("│*Debian GNU/Linux ")
    assert (b.out / "screen-menu.png").read_bytes().startswith(b"\x89PNG")
