"""Boots the built Rustux kernel and its known-bad variants in real QEMU (TCG, q35, pflash
OVMF) and checks what each one prints and how it ends (harness: kernel_support.py; the
shell conversation and the initrd variants: test_kernel_shell.py).
"""
from __future__ import annotations

import re
import subprocess

import pytest

from kernel_support import (  # noqa: F401  (boot: a fixture)
    EXIT_PANIC, EXIT_SUCCESS, IMAGE, USER_BASE, boot, burner_order, load_milestones, match_in_order, on_channel,
    panic_lines, poweroff_at_the_prompt,
)


def test_spec_lists_the_boot_path_in_order():
    names = [m["name"] for m in load_milestones()]
    assert names[0] == "entry" and names[-1] == "final"
    assert len(names) >= 12 and len(set(names)) == len(names)
    for required in ("memory-map", "pmm", "heap", "exit-boot-services", "cpu-tables", "kernel-stack",
                     "elf-loaded", "address-space", "user-entry", "user-hello", "user-exit"):
        assert required in names
    # Phase 4C-4F, in this order: timer and scheduler, initrd, init (PID 1), its rc self-test.
    new = ["timer", "scheduler", "initrd", "init-started", "self-test", "final"]
    assert sorted(new, key=names.index) == new


def finish_times(channel_lines: list[str]) -> tuple[int, int]:
    """(ms until the first burner finished, ms between the two) from the self-test's last run."""
    runs = [m for line in channel_lines
            if (m := re.search(r"burners of \d+ ms each finished (\d+) ms apart, the first after (\d+) ms", line))]
    assert runs, "the self-test printed no timing"
    return int(runs[-1].group(2)), int(runs[-1].group(1))


def test_order_check_rejects_missing_and_swapped_milestones():
    spec = [{"name": "a", "regex": "^one$"}, {"name": "b", "regex": "^two$"}]
    assert [name for name, _ in match_in_order(["one", "x", "two"], spec)] == ["a", "b"]
    with pytest.raises(AssertionError, match="'b' not found after \\['a'\\]"):
        match_in_order(["two", "one"], spec)
    with pytest.raises(AssertionError, match="'a' not found"):
        match_in_order(["two"], spec)


@pytest.mark.qemu
def test_kernel_boots_to_the_shell_prompt_and_powers_off_33(boot):
    result = poweroff_at_the_prompt(boot())
    milestones = load_milestones()
    for channel in ("debugcon", "serial"):
        text = result.channel(channel)
        hits = dict(match_in_order(text, on_channel(milestones, channel)))
        assert hits["user-exit"].group("status") == "0"
        assert "USER at every level" in hits["address-space"].string, "isolation proof missing"
        assert int(hits["initrd"].group("files")) >= 16, "every program and /etc file is in the initrd"
        assert hits["elf-loaded"].group("program") == "init" and hits["init-started"].group("pid") == "1"
        order = burner_order(text)[-6:]  # the self-test's last run (an inconclusive one runs again)
        assert sorted(order) == sorted("AAABBB"), f"burner lines: {order!r}"
        # The proof is when they finished, not the order of their lines: under TCG a burner's
        # three lines can all land inside its quanta (seen once in a CI run as AAABBB).
        first, gap = finish_times(text)
        assert gap * 2 < first, f"the burners finished {gap} ms apart after {first} ms: not sharing the CPU"
        assert not panic_lines(result, channel)
        assert any("[rustux] poweroff: status 0" in line for line in text)
    assert result.debugcon.startswith(b"!"), "the entry probe must be the very first debugcon byte"
    assert "!" not in result.channel("serial"), "the entry probe is debugcon-only"
    assert result.exit_status == EXIT_SUCCESS
    hits = dict(match_in_order(result.channel("debugcon"), milestones))
    print(f"entry-to-prompt {hits['final'].group('ms')} ms, scheduler {hits['scheduler'].group(0)}, "
          f"initrd {hits['initrd'].group('files')} files {hits['initrd'].group('bytes')} B, QEMU wall {result.wall_s:.2f} s")


@pytest.mark.qemu
def test_shared_user_tables_faults_in_ring3(boot):
    result = boot("shared-user-tables").wait_exit()
    assert result.exit_status == EXIT_PANIC
    for channel in ("debugcon", "serial"):
        (panic,) = panic_lines(result, channel)
        fault = re.search(r"page fault \(vector 14\) error=(0x[0-9a-f]+) rip=(0x[0-9a-f]+) cr2=(0x[0-9a-f]+)", panic)
        assert fault, panic
        error, rip = int(fault.group(1), 16), int(fault.group(2), 16)
        assert rip >= USER_BASE, f"fault RIP {rip:#x} is not a user address"
        assert error & 0b101 == 0b101, f"error code {error:#x}: expected a present page, user-mode access"
        assert "Hello from userspace!" not in result.channel(channel)


@pytest.mark.qemu
def test_hang_after_heap_goes_silent(boot):
    qemu = boot("hang-after-heap")
    heap = re.compile(next(m["regex"] for m in load_milestones() if m["name"] == "heap"))
    result = qemu.wait_for_silence(heap, qemu.debugcon_log)
    assert result.exit_status is None, f"QEMU exited ({result.exit_status}) instead of hanging"
    for channel in ("debugcon", "serial"):
        text = result.channel(channel)
        last = max(i for i, line in enumerate(text) if heap.search(line))
        assert not any(t.strip() for t in text[last + 1:]), f"{channel} printed after the heap milestone"
        assert not panic_lines(result, channel)


@pytest.mark.qemu
def test_triple_fault_resets_without_final_milestone(boot):
    result = boot("triple-fault").wait_exit()
    # -no-reboot turns the reset into a plain QEMU exit: status 0, no debug-exit code.
    assert result.exit_status == 0
    for channel in ("debugcon", "serial"):
        text = "\n".join(result.channel(channel))
        assert "exit boot services: done" in text
        assert "[sh] ready" not in text and "[PANIC]" not in text


@pytest.mark.qemu
def test_silent_prints_nothing(boot):
    qemu = boot("silent")
    firmware_started_us = re.compile(r'BdsDxe: starting Boot\S+ "UEFI QEMU HARDDISK')
    result = qemu.wait_for_silence(firmware_started_us, qemu.serial_log)
    assert result.exit_status is None, f"QEMU exited ({result.exit_status}) instead of halting"
    assert result.debugcon == b"", "not even the entry probe may appear"
    after_start = result.serial.split(b"BdsDxe: starting Boot")[-1].split(b"\n", 1)[-1]
    assert after_start.strip() == b"", f"kernel output on serial: {after_start[:200]!r}"


@pytest.mark.qemu
def test_stale_map_key_is_retried(boot):
    result = poweroff_at_the_prompt(boot("stale-map-key"))
    assert result.exit_status == EXIT_SUCCESS
    for channel in ("debugcon", "serial"):
        hits = dict(match_in_order(result.channel(channel), on_channel(load_milestones(), channel)))
        assert hits["exit-boot-services"].group("attempts") == "2"


@pytest.mark.qemu
def test_stack_overflow_hits_the_guard_page(boot):
    result = boot("stack-overflow").wait_exit()
    assert result.exit_status == EXIT_PANIC
    stack = re.compile(next(m["regex"] for m in load_milestones() if m["name"] == "kernel-stack"))
    for channel in ("debugcon", "serial"):
        guard = next(m for line in result.channel(channel) if (m := stack.search(line)))
        (panic,) = panic_lines(result, channel)
        hit = re.search(r"kernel stack overflow \(guard page hit at (0x[0-9a-f]+)\)", panic)
        assert hit, panic
        guard_page = int(guard.group("guard"), 16)
        assert guard_page <= int(hit.group(1), 16) < guard_page + 4096


@pytest.mark.qemu
def test_disk_image_boots_as_a_plain_disk(boot):
    """build/rustux.img (make image): GPT, one EFI System Partition; OVMF finds
    EFI/BOOT/BOOTX64.EFI on it with no ESP directory trick."""
    if not IMAGE.is_file():
        pytest.fail(f"{IMAGE} is missing: run make image")
    table = subprocess.run(["sgdisk", "--print", str(IMAGE)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^\s+1\s+2048\s+\d+\s+.*EF00\s+EFI System Partition$", table, re.MULTILINE), table
    result = poweroff_at_the_prompt(boot(disk=IMAGE))
    assert result.exit_status == EXIT_SUCCESS
    hits = dict(match_in_order(result.channel("serial"), on_channel(load_milestones(), "serial")))
    assert "UEFI QEMU HARDDISK" in result.serial.decode(errors="replace"), "not booted from the disk"
    print(f"image {IMAGE.stat().st_size} bytes, entry-to-prompt {hits['final'].group('ms')} ms")
