"""The arm64 target booted for real: virt + AAVMF under TCG (qemu-system-aarch64), the
kernel's arm64 spec with its shell conversation on the PL011, a warm request that runs cold
(the resident loader is x86_64's), every arm64 known-bad variant's verdict (cold: ~6-9 s in
AAVMF each under TCG), and an image of the other architecture refused before QEMU starts.

Needs `make kernel ARCH=aarch64` and `make variants ARCH=aarch64` (build/aarch64/) and the
kernel's arm64 spec, kernel/milestones-aarch64.yaml."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bootlab_support import REPO, kernel_esp, run_boot
from lab.arch import AARCH64

pytestmark = pytest.mark.qemu
TARGET = "virt-aavmf"
BUILD = REPO / "build" / "aarch64"
SPEC = REPO / "kernel" / AARCH64.spec
MILESTONES, STEPS = 22, 9


def arm64_esp(variant: str | None = None) -> Path:
    esp = BUILD / "esp" if variant is None else BUILD / "variants" / variant / "esp"
    if not (esp / AARCH64.boot_file).is_file():
        how = "make kernel ARCH=aarch64" if variant is None else "make variants ARCH=aarch64"
        pytest.fail(f"{esp} has no {AARCH64.boot_file}: run {how}")
    if not SPEC.is_file():
        pytest.fail(f"{SPEC} is missing: the kernel's arm64 spec comes with its arm64 port")
    return esp


def test_the_full_spec_and_conversation_pass_cold_on_the_uart_alone(tmp_path):
    boot = run_boot(tmp_path, "--target", TARGET, "--image", arm64_esp(), "--no-warm")
    assert boot.verdict == ("PASS", None), (boot.result.get("reason"), boot.stderr)
    assert boot.result["reason"] == f"all {MILESTONES} milestones and {STEPS} steps reached in {boot.result['milestones'][-1]['t']:.2f}s"
    assert {m["channel"] for m in boot.result["milestones"]} == {"serial"}
    argv = boot.result["qemu"]["command"]
    assert Path(argv[0]).name == "qemu-system-aarch64" and argv[argv.index("-machine") + 1] == "virt"
    assert "ramfb" in argv and not any("isa-" in a for a in argv)
    # virt has no debug console and no OVMF log port: only the PL011 carried the boot.
    seen = boot.result["bytes_seen"]
    assert seen["debugcon"] == 0 and seen["firmware"] == 0 and seen["serial"] > 0
    assert boot.result["firmware"]["code"]["size"] == 64 << 20
    assert (boot.out / "screen.png").stat().st_size > 1000  # ramfb's GOP, read by screendump


def test_warm_runs_cold_saying_why_and_keyboard_steps_are_skipped_and_listed(tmp_path):
    spec = yaml.safe_load(SPEC.read_text()) if SPEC.is_file() else {}
    spec.setdefault("conversation", {"steps": []})["steps"].insert(
        1, {"name": "typed-on-keyboard", "input": "keyboard", "send": "echo hi<enter>", "expect": "^hi$"})
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    boot = run_boot(tmp_path / "out", "--target", TARGET, "--image", arm64_esp(), "--warm", "--milestones", tmp_path / "spec.yaml")
    assert boot.verdict == ("PASS", None), (boot.result.get("reason"), boot.stderr)
    assert "skipped on virt (no such channel or input there): typed-on-keyboard" in boot.result["warnings"]
    assert boot.result["boot_path"] == "cold"
    assert "the resident loader runs on x86_64 only, not aarch64" in " ".join(boot.result["warm"]["warnings"])
    assert len(boot.result["conversation"]) == STEPS


@pytest.mark.parametrize("variant, words, args", [
    ("el1-fault", ("undefined instruction (EC 0x0)", "at EL1 after cpu-tables"), ()),
    ("hang-after-heap", ("hung after heap: no exit-boot-services within 6s",), ("--short-spec",)),
    ("init-crash", ("init (pid 1) died: data abort (EC 0x24)", "after init-started"), ()),
    ("lost-input", ("no answer to echo within 8s",), ("--short-spec",)),
    ("missing-initrd", ("no initrd", "missing from the artifact too: the build did not make it"), ()),
    ("no-preempt", ("hung after user-exit: no self-test within 6s",), ("--short-spec",)),
    ("shared-user-tables", ("init (pid 1) died: instruction abort (EC 0x20)", "after elf-loaded"), ()),
    ("stack-overflow", ("kernel stack overflow (guard page hit at", "after kernel-stack"), ()),
    # The canary is the firmware's own UART output: no debug console on virt. The boot timeout,
    # not the entry milestone's 90 s (AAVMF's cold start under a loaded host), ends it.
    ("silent", ("no entry milestone: the firmware ran (serial", "printed nothing within the boot timeout"),
     ("--timeout", "25")),
])
def test_each_arm64_known_bad_variant_gets_its_verdict(tmp_path, variant, words, args):
    esp = arm64_esp(variant)
    if args == ("--short-spec",):  # a hang costs its whole timeout: 6 s, as the x86 warm tests use
        spec = yaml.safe_load(SPEC.read_text())
        spec["conversation"]["timeout"] = 8
        (tmp_path / "short.yaml").write_text(yaml.safe_dump(dict(spec, default_timeout=6)))
        args = ("--milestones", str(tmp_path / "short.yaml"))
    boot = run_boot(tmp_path / "out", "--target", TARGET, "--image", esp, "--no-warm", *args)
    assert boot.verdict == ("FAIL", "code"), (boot.result.get("reason"), boot.stderr)
    assert all(w in boot.result["reason"] for w in words), boot.result["reason"]


def test_an_image_of_the_other_architecture_is_refused_before_qemu_starts(tmp_path):
    x86_on_arm = run_boot(tmp_path / "x86", "--target", TARGET, "--image", kernel_esp(), "--no-warm")
    assert x86_on_arm.verdict == ("ERROR", "lab")
    assert "holds EFI/BOOT/BOOTX64.EFI (an x86_64 image) but the target is aarch64" in x86_on_arm.result["reason"]
    assert x86_on_arm.result["qemu"]["command"] is None
    arm_on_x86 = run_boot(tmp_path / "arm", "--target", "q35-pflash", "--image", arm64_esp(), "--no-warm")
    assert arm_on_x86.verdict == ("ERROR", "lab")
    assert "an aarch64 image) but the target is x86_64" in arm_on_x86.result["reason"]
    assert arm_on_x86.result["qemu"]["command"] is None
