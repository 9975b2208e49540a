"""Screens and keyboards on real QEMU: a kernel judged by what it draws and what is typed.

tests/fixtures/mini-efi's `screen` variant leaves boot services, draws a console on the
GOP framebuffer and polls the PS/2 keyboard; nothing on COM1 or debugcon. `bootlab boot`
reads its screen (QMP screendump + lab.screen) and types on its keyboard (QMP key
events). One boot of the `console` variant (the same, mirrored on COM1) passes the spec
and measures the screen's delay against the same line on serial; one boot of `screen`
fails a step by its failure regex (FAIL/code naming it), and a `panic` typed makes the
guest end QEMU itself (debug-exit) right after drawing, so its last frame must still be
the record's screen.png. About 90 s on two cores (OVMF takes most of it under TCG).
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from bootlab_support import REPO, kernel_esp, run_boot
from rustux_bootlab.workers.warm.boot import SCREEN_UNCHECKED

pytestmark = [pytest.mark.qemu, pytest.mark.slow]

SPEC = REPO / "tests" / "fixtures" / "specs" / "mini-efi-screen.yaml"
PNG = b"\x89PNG\r\n\x1a\n"


def build(variant: str, out: Path) -> Path:
    subprocess.run([REPO / "tests" / "fixtures" / "mini-efi" / "build.sh", variant, out], check=True, timeout=600)
    return out


@pytest.fixture(scope="module")
def console_boot(tmp_path_factory):
    esp = build("console", tmp_path_factory.mktemp("console-esp"))
    return run_boot(tmp_path_factory.mktemp("console"), "--target", "q35-pflash", "--image", esp,
                    "--milestones", SPEC, "--accel", "tcg")


@pytest.fixture(scope="module")
def screen_esp(tmp_path_factory) -> Path:
    return build("screen", tmp_path_factory.mktemp("screen-esp"))


def spec_with_step(tmp_path: Path, step: str) -> Path:
    text = SPEC.read_text()
    text = text.split("  steps:\n")[0] + "  steps:\n" + step + "\n"
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


def test_screen_milestones_and_keyboard_steps_pass(console_boot):
    assert console_boot.rc == 0, console_boot.stderr
    r = console_boot.result
    assert (r["verdict"], r["culprit"]) == ("PASS", None), r["reason"]
    assert [(m["name"], m["channel"]) for m in r["milestones"]] == [
        ("console", "screen"), ("input", "screen"), ("hello", "screen"), ("symbols", "screen")]
    assert r["milestones"][2]["line"] == "Hello, World! [PS/2] v0.1"
    sent = {s["name"]: s["sent"][0] for s in r["conversation"]}
    assert sent["hello"]["input"] == "keyboard" and sent["symbols"]["text"] == 'echo ~!@#$%^&*()_+{}|:"<<>?<enter>'
    out = console_boot.out
    for name in ("screen.png", "screen-console.png", "screen-hello.png", "screen-symbols.png"):
        assert (out / name).read_bytes().startswith(PNG), name
    timeline = (out / "timeline.log").read_text()
    assert re.search(r"^\s*\d+ input +keyboard: echo Hello, World! \[PS/2\] v0\.1<enter>$", timeline, re.M)
    assert "screen   mini> echo Hello, World! [PS/2] v0.1\n" in timeline  # the echo, not taken for the answer
    assert "Hello, World! [PS/2] v0.1\n" in (out / "screen.log").read_text()


def test_the_screen_delay_against_the_same_line_on_serial(console_boot):
    """The console variant prints each line on COM1 right after drawing it: the difference
    is the screen channel's decision delay (printed, not asserted: timing is noisy here)."""
    stamps = {}
    for line in (console_boot.out / "timeline.log").read_text().splitlines():
        ms, channel, text = line.split(None, 2) if len(line.split(None, 2)) == 3 else (None, None, None)
        if text == "mini-efi screen console":
            stamps.setdefault(channel, int(ms))
    assert set(stamps) == {"screen", "serial"}, stamps
    print(f"\nscreen milestone decided {(stamps['screen'] - stamps['serial']) / 1000:.3f} s after the same line on serial")


def test_a_failing_keyboard_step_is_fail_code_naming_it(tmp_path, screen_esp):
    spec = spec_with_step(tmp_path, "    - {name: bogus, send: 'frobnicate<enter>', input: keyboard, expect: '^never$'}")
    boot = run_boot(tmp_path / "out", "--target", "q35-pflash", "--image", screen_esp, "--milestones", spec,
                    "--accel", "tcg")
    assert boot.rc == 1, boot.stderr
    assert boot.verdict == ("FAIL", "code")
    assert "bogus" in boot.result["reason"] and "unknown command: frobnicate" in boot.result["reason"]
    assert (boot.out / "serial.log").read_bytes().count(b"mini-efi") == 0  # it said nothing on COM1


def test_a_guest_that_ends_qemu_itself_still_leaves_its_last_screen(tmp_path, screen_esp):
    spec = spec_with_step(tmp_path, "    - {name: crash, send: 'panic<enter>', input: keyboard, expect: '^never$'}")
    boot = run_boot(tmp_path / "out", "--target", "q35-pflash", "--image", screen_esp, "--milestones", spec,
                    "--accel", "tcg")
    assert boot.verdict == ("FAIL", "code"), boot.result["reason"]
    assert (boot.out / "screen.png").read_bytes().startswith(PNG)
    assert "QEMU exited with status 35" in (boot.out / "timeline.log").read_text()


def test_the_kernels_conversation_on_keyboard_and_screen(tmp_path):
    """kernel/milestones.yaml's conversation typed on the keyboard and read on the screen
    (the kernel's framebuffer console); `poweroff`'s answer stays on serial: the kernel ends
    QEMU right after printing it, sooner than a frame can be taken."""
    spec = yaml.safe_load((REPO / "kernel" / "milestones.yaml").read_text())
    if "conversation" not in spec:
        pytest.skip("kernel/milestones.yaml has no conversation yet (it comes with the kernel's shell)")
    steps = spec["conversation"]["steps"]
    for step in steps:
        step["input"] = "keyboard"
        step["channel"] = "serial" if "poweroff" in step.get("send", "") else "screen"
    (tmp_path / "screen.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    boot = run_boot(tmp_path / "out", "--target", "q35-pflash", "--image", kernel_esp(),
                    "--milestones", tmp_path / "screen.yaml", "--accel", "tcg")
    assert boot.verdict == ("PASS", None), boot.result["reason"]
    # warm by default, but a spec read on the screen boots cold, saying so (workers/warm/boot.py)
    assert (boot.result["boot_path"], boot.result["boot_path_reason"]) == ("cold", SCREEN_UNCHECKED)
    done = {m["name"]: m["channel"] for m in boot.result["milestones"] if m.get("step")}
    assert done == {s["name"]: s["channel"] for s in steps}
