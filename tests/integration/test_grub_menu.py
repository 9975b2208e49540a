"""A real boot loader no one here wrote: Debian's GRUB (grub-efi-amd64-bin), built with
grub-mkstandalone around tests/fixtures/grub/grub.cfg and booted on q35-pflash. Its menu is
a full screen drawn with cursor positions and no newlines, its countdown offer waits on the
last row, its line editor echoes every key after a cursor position. The lab catches the
offer while it is open, takes the command line and converses (tests/fixtures/specs/grub-menu.yaml);
without the terminal model the offer was never at the start of a line. About 20 s.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bootlab_support import REPO, run_boot

pytestmark = pytest.mark.qemu
GRUB_MODULES = Path("/usr/lib/grub/x86_64-efi")


@pytest.fixture(scope="module")
def grub_esp(tmp_path_factory) -> Path:
    if not GRUB_MODULES.is_dir() or shutil.which("grub-mkstandalone") is None:
        pytest.fail("GRUB for x86_64 EFI is missing: install grub-efi-amd64-bin grub-common (make deps)")
    esp = tmp_path_factory.mktemp("grub-esp")
    (esp / "EFI" / "BOOT").mkdir(parents=True)
    subprocess.run(["grub-mkstandalone", "-O", "x86_64-efi", "--modules=echo", "-o", esp / "EFI" / "BOOT" / "BOOTX64.EFI",
                    f"boot/grub/grub.cfg={REPO / 'tests' / 'fixtures' / 'grub' / 'grub.cfg'}"],
                   check=True, timeout=120, capture_output=True)
    return esp


def test_grubs_menu_offer_is_caught_and_its_command_line_reads_as_shown(tmp_path, grub_esp):
    boot = run_boot(tmp_path, "--target", "q35-pflash", "--image", grub_esp,
                    "--milestones", REPO / "tests" / "fixtures" / "specs" / "grub-menu.yaml", "--accel", "tcg")
    assert boot.rc == 0, boot.stderr
    assert boot.verdict == ("PASS", None), boot.result["reason"]
    assert boot.result["milestones"][0]["line"].strip().startswith("GNU GRUB  version 2.")
    steps = {s["name"]: s for s in boot.result["conversation"]}
    assert steps["offer"]["line"].startswith("The highlighted entry will be executed automatically in ")
    assert (steps["hello"]["line"], steps["edited"]["line"]) == ("hello", "hi")
    shown = [line.split(None, 2)[2] for line in (boot.out / "timeline.log").read_text().splitlines()
             if line.split(None, 2)[1:2] == ["serial"] and "grub> e" in line]
    assert shown[-2:] == ["grub> echo hello", "grub> echo hi"]  # each key after a cursor position; 0 erased
