"""The Rustux shell and the phase 4C-4F variants through the lab itself: `bootlab boot` types
the conversation of kernel/milestones.yaml into COM1 (echo, ls, ps, fault, Ctrl-C, poweroff)
and judges it; each known-bad variant fails the way it should, with the lab's verdict and
culprit. Real QEMU (TCG) every time; the one stand-in is the deploy that loses the initrd
(a wrapper around the real image preparation that deletes the file from the FAT image).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bootlab_support import kernel_esp, run_boot, variant_esp
from kernel_support import SPEC, burner_order, lines, load_milestones, match_in_order, on_channel

pytestmark = pytest.mark.qemu

UNMAPPED = 0x0000_2000_0000_0000  # what /bin/fault reads
INITRD = "EFI/rustux/initrd.cpio"


def boot(tmp_path_factory, esp: Path, name: str, *extra: str):
    return run_boot(tmp_path_factory.mktemp(name), "--target", "q35-pflash", "--image", esp, "--accel", "tcg",
                    *extra, timeout=300)


def log(result, channel: str) -> list[str]:
    return lines((result.out / f"{channel}.log").read_bytes())


@pytest.fixture(scope="module")
def shell_boot(tmp_path_factory):
    return boot(tmp_path_factory, kernel_esp(), "shell")


def test_the_conversation_passes_and_the_kernel_survives_a_fault(shell_boot):
    r = shell_boot.result
    assert (r["verdict"], r["culprit"]) == ("PASS", None), (r["reason"], shell_boot.stderr[-2000:])
    steps = {s["name"]: s for s in r["conversation"]}
    assert list(steps) == ["echo", "ls-bin", "ps", "fault", "spin", "interrupt", "background-wait", "interrupt-wait",
                           "poweroff"]
    assert steps["fault"]["exit_status"] == 139, "a page fault kills with 128 + SIGSEGV"
    assert steps["echo"]["exit_status"] == steps["ls-bin"]["exit_status"] == 0
    serial = log(shell_boot, "serial")
    fault = next(line for line in serial if "] fault: pid" in line)
    m = re.search(r"fault: pid (\d+) \(fault\) killed: vector 14 \(#PF\) error (0x[0-9a-f]+) rip (0x[0-9a-f]+) "
                  r"cr2 (0x[0-9a-f]+)", fault)
    assert m and int(m.group(4), 16) == UNMAPPED, fault
    assert int(m.group(2), 16) & 0b100, "a user-mode access"
    assert int(m.group(1)) > 1, "not init"
    ps = [line for line in serial if re.match(r"^\s*\d+\s+\d+\s+(running|runnable|blocked|sleeping|zombie)\s+\d+\s+\S+$", line)]
    assert {line.split()[-1] for line in ps} >= {"init", "sh", "ps"}, ps
    assert any(re.search(r"(^|\$ )130$", line) for line in serial), "Ctrl-C kills the foreground spin with 128 + SIGINT"
    assert sum(bool(re.search(r"(^|\$ )130$", line)) for line in serial) == 2, "Ctrl-C also ends the shell's wait: 130"
    assert any("[rustux] poweroff: status 0" in line for line in serial), (
        "the shell caught the Ctrl-C of its `wait` and ran poweroff itself (a killed shell powers off with 130)")
    print(f"shell conversation: {len(steps)} steps, boot {shell_boot.wall_s:.1f} s wall")


def test_the_boot_milestones_come_in_order_on_both_channels(shell_boot):
    milestones = load_milestones()
    for channel in ("debugcon", "serial"):
        hits = dict(match_in_order(log(shell_boot, channel), on_channel(milestones, channel)))
        assert hits["final"] and hits["self-test"]


def test_no_preempt_hangs_at_the_self_test(tmp_path_factory):
    result = boot(tmp_path_factory, variant_esp("no-preempt"), "no-preempt", "--timeout", "60")
    r = result.result
    assert (r["verdict"], r["culprit"]) == ("FAIL", "code"), r["reason"]
    assert r["last_milestone"] == "user-exit" and "hung" in r["reason"] and "self-test" in r["reason"], r["reason"]
    serial = log(result, "serial")
    order = burner_order(serial)
    assert order in ("", "A", "AA", "AAA", "AAAB", "AAABB", "AAABBB", "B", "BB", "BBB", "BBBA", "BBBAA", "BBBAAA"), (
        f"without the timer a CPU-bound burner is never preempted: {order!r}")
    assert not any(line.startswith("[sh] ready") for line in serial)


def test_lost_input_shell_sees_only_the_first_key(tmp_path_factory):
    result = boot(tmp_path_factory, variant_esp("lost-input"), "lost-input")
    r = result.result
    assert (r["verdict"], r["culprit"]) == ("FAIL", "code"), r["reason"]
    assert r["last_milestone"] == "final" and "echo" in r["reason"], r["reason"]
    serial = log(result, "serial")
    prompt = max(i for i, line in enumerate(serial) if line.startswith("rustux$ "))
    assert serial[prompt] == "rustux$ e", f"only the first key is echoed: {serial[prompt:]!r}"
    assert "hello" not in serial[prompt + 1:]


def test_init_crash_panics_naming_init(tmp_path_factory):
    result = boot(tmp_path_factory, variant_esp("init-crash"), "init-crash")
    r = result.result
    assert (r["verdict"], r["culprit"]) == ("FAIL", "code"), r["reason"]
    assert r["last_milestone"] == "init-started" and "init (pid 1) died" in r["reason"], r["reason"]
    serial = log(result, "serial")
    panic = next(line for line in serial if line.startswith("[PANIC] "))
    assert re.search(r"init \(pid 1\) died: .*(page fault|#PF).*0x200000000000", panic), panic


def test_missing_initrd_is_the_builds_fault(tmp_path_factory):
    esp = variant_esp("missing-initrd")
    assert not (esp / INITRD).exists() and (esp / "EFI/BOOT/BOOTX64.EFI").is_file()
    result = boot(tmp_path_factory, esp, "missing-initrd")
    r = result.result
    assert (r["verdict"], r["culprit"]) == ("FAIL", "code"), r["reason"]
    assert "no initrd" in r["reason"] and "missing from the artifact too: the build did not make it" in r["reason"]
    serial = log(result, "serial")
    assert any(re.search(r"initrd: \\EFI\\rustux\\initrd\.cpio not found on the boot volume", line) for line in serial)


def test_a_deploy_that_loses_the_initrd_is_the_labs_fault(tmp_path):
    """A complete artifact (build/esp has the initrd); the image the machine boots is made by
    the real preparation, then loses the file, as a broken deploy would."""
    esp = kernel_esp()
    assert (esp / INITRD).is_file()
    out = tmp_path / "out"
    code = f"""
import shutil, subprocess, sys
from pathlib import Path
import rustux_bootlab.workers.qemu.machine, rustux_bootlab.workers.bootlab
real = rustux_bootlab.workers.qemu.machine.prepare_image
def lossy_deploy(source):
    fat, record = real(source)
    copy = Path({str(tmp_path)!r}) / "deployed.img"
    shutil.copyfile(fat, copy)
    subprocess.run(["mdel", "-i", str(copy), "::/{INITRD}"], check=True, env={{"MTOOLS_SKIP_CHECK": "1", "PATH": "/usr/bin:/bin"}})
    return copy, record
rustux_bootlab.workers.qemu.machine.prepare_image = lossy_deploy
sys.exit(rustux_bootlab.workers.bootlab.main(sys.argv[1:]))
"""
    argv = [sys.executable, "-c", code, "boot", "--target", "q35-pflash",
            "--image", str(esp), "--accel", "tcg", "--out", str(out), "--json",
            "--no-warm"]  # the lossy deploy wraps the cold path's image preparation
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=SPEC.parents[1])
    assert proc.stdout.strip(), proc.stderr[-2000:]
    r = json.loads(proc.stdout)
    assert (r["verdict"], r["culprit"]) == ("ERROR", "lab"), (r["reason"], proc.stderr[-1500:])
    assert "no initrd" in r["reason"] and "the deploy lost it" in r["reason"]
