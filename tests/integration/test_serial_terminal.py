"""Serial consoles drawn as a terminal draws them, on real QEMU: tests/fixtures/mini-efi's
`countdown` variant prints a boot loader's offer on COM1, counts it down and erases it with
`\\b \\b`, then draws its prompt over it on the same line.
1. The offer runs out: the lab finds `mini> ` where a terminal shows it, at the start of the
   line (raw, it came after the offer and 33 backspaces: "no prompt for step hello").
2. The offer is caught while its line is still open and answered in time (docs/conversation.md).
About 35 s on two cores (OVMF takes most of it under TCG).
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bootlab_support import REPO, run_boot

pytestmark = pytest.mark.qemu
SPECS = REPO / "tests" / "fixtures" / "specs"


@pytest.fixture(scope="module")
def countdown_esp(tmp_path_factory) -> Path:
    esp = tmp_path_factory.mktemp("countdown-esp")
    subprocess.run([REPO / "tests" / "fixtures" / "mini-efi" / "build.sh", "countdown", esp], check=True, timeout=600)
    return esp


def test_a_prompt_drawn_over_an_erased_offer_is_found_at_the_start_of_its_line(tmp_path, countdown_esp):
    boot = run_boot(tmp_path, "--target", "q35-pflash", "--image", countdown_esp,
                    "--milestones", SPECS / "mini-efi-countdown.yaml", "--accel", "tcg")
    assert boot.rc == 0, boot.stderr
    assert boot.verdict == ("PASS", None), boot.result["reason"]
    raw = (boot.out / "serial.log").read_bytes()
    assert b"Press any key to stop autoboot: 3\x082\x081" + b"\x08 \x08" * 33 + b"mini> echo hello" in raw  # kept raw
    hello = next(s for s in boot.result["conversation"] if s["name"] == "hello")
    assert hello["line"] == "hello" and hello["sent"][0]["text"] == "echo hello<enter>"


def test_an_offer_on_an_open_line_is_caught_and_answered_in_time(tmp_path, countdown_esp):
    boot = run_boot(tmp_path, "--target", "q35-pflash", "--image", countdown_esp,
                    "--milestones", SPECS / "mini-efi-autoboot.yaml", "--accel", "tcg")
    assert boot.rc == 0, boot.stderr
    assert boot.verdict == ("PASS", None), boot.result["reason"]
    steps = {s["name"]: s for s in boot.result["conversation"]}
    assert steps["offer"]["line"].startswith("Press any key to stop autoboot: ")
    assert steps["stop"]["line"] == "autoboot stopped"  # the key came before the offer ran out
    assert steps["hello"]["line"] == "hello"
    assert b"autoboot stopped\r\nmini> echo hello" in (boot.out / "serial.log").read_bytes()
