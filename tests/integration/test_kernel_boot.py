"""Boots the built Rustux kernel and its known-bad variants in real QEMU (TCG, q35, pflash
OVMF) and checks what each one prints and how it ends.

Self-contained on purpose (subprocess + PyYAML): it checks the kernel and
kernel/milestones.yaml, not the lab's matcher, so a matcher bug cannot hide a kernel bug.
"""
from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "kernel" / "milestones.yaml"
OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
EXIT_SUCCESS = 33  # kernel wrote 0x10 to isa-debug-exit
EXIT_PANIC = 35  # kernel wrote 0x11
# Whole-boot limit: OVMF alone takes ~3-10 s under TCG on a busy 2-core host.
BOOT_TIMEOUT_S = 120
# How long a hung kernel must stay silent before we call it hung.
SILENCE_S = 5
USER_BASE = 0x0000_1000_0000_0000

_ANSI = re.compile(r"\x1b\[[0-9;?=]*[A-Za-z]")

IMAGE = ROOT / "build" / "rustux.img"


def esp_dir(variant: str | None) -> Path:
    esp = ROOT / "build" / "esp" if variant is None else ROOT / "build" / "variants" / variant / "esp"
    if not (esp / "EFI" / "BOOT" / "BOOTX64.EFI").is_file():
        how = "make kernel" if variant is None else f"make kernel VARIANT={variant} (or make variants)"
        pytest.fail(f"{esp}/EFI/BOOT/BOOTX64.EFI is missing: run {how}")
    return esp


def lines(raw: bytes) -> list[str]:
    text = _ANSI.sub("", raw.decode("utf-8", "replace")).replace("\r", "").replace("\0", "")
    return text.split("\n")


@dataclass
class Boot:
    exit_status: int | None  # None: we killed QEMU
    debugcon: bytes
    serial: bytes
    wall_s: float

    def channel(self, name: str) -> list[str]:
        return lines(self.debugcon if name == "debugcon" else self.serial)


class Qemu:
    """One QEMU boot of an ESP directory (or a disk image), every console captured to files;
    COM1 is also a socket, so a test can type on the serial console."""

    def __init__(self, disk: Path, tmp: Path) -> None:
        self.debugcon_log = tmp / "debugcon.log"
        self.serial_log = tmp / "serial.log"
        serial_socket = tmp / "serial.sock"
        vars_copy = tmp / "OVMF_VARS.fd"
        shutil.copyfile(OVMF_VARS, vars_copy)  # fresh VARS per boot: no state leaks between boots
        drive = f"format=raw,file={disk}" if disk.is_file() else f"format=raw,file=fat:rw:{disk}"
        self.command = [
            "qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-m", "256",
            "-display", "none", "-no-reboot", "-monitor", "none",
            "-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
            "-drive", f"if=pflash,format=raw,file={vars_copy}",
            "-drive", drive,
            "-debugcon", f"file:{self.debugcon_log}",
            "-chardev", f"socket,id=com1,path={serial_socket},server=on,wait=off,logfile={self.serial_log}",
            "-serial", "chardev:com1",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        ]
        self.stderr = tmp / "qemu.log"
        self.started = time.monotonic()
        with open(self.stderr, "wb") as err:
            self.proc = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        self.serial_socket = serial_socket
        self.console: socket.socket | None = None

    def type(self, text: str, key_gap_s: float = 0.02) -> None:
        """Types `text` on COM1 a key at a time (a person's pace, not a paste)."""
        if self.console is None:
            deadline = time.monotonic() + 10
            while not self.serial_socket.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            self.console = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.console.connect(str(self.serial_socket))
        for key in text.encode():
            self.console.sendall(bytes([key]))
            time.sleep(key_gap_s)

    def expect(self, pattern: str, after: int = 0, timeout_s: float = BOOT_TIMEOUT_S) -> re.Match[str]:
        """Waits until `pattern` matches the serial text past offset `after`; fails naming it."""
        regex = re.compile(pattern, re.MULTILINE)
        deadline = time.monotonic() + timeout_s
        while True:
            text = "\n".join(lines(self.read(self.serial_log)))
            if match := regex.search(text, after):
                return match
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill()
                why = f"QEMU exited {self.proc.returncode}" if time.monotonic() <= deadline else "timed out"
                pytest.fail(f"never saw {pattern!r} on serial ({why}); serial tail:\n{text[-3000:]}")
            time.sleep(0.1)

    def read(self, path: Path) -> bytes:
        return path.read_bytes() if path.exists() else b""

    def result(self, exit_status: int | None) -> Boot:
        return Boot(exit_status, self.read(self.debugcon_log), self.read(self.serial_log),
                    time.monotonic() - self.started)

    def wait_exit(self) -> Boot:
        try:
            status = self.proc.wait(timeout=BOOT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"QEMU did not exit within {BOOT_TIMEOUT_S} s; debugcon:\n"
                        + self.read(self.debugcon_log).decode(errors="replace"))
        return self.result(status)

    def wait_for_silence(self, started_when: re.Pattern[str], path: Path) -> Boot:
        """Waits until `started_when` shows up in `path`, then for SILENCE_S without a new
        byte on any channel; kills QEMU and returns what it printed."""
        deadline = self.started + BOOT_TIMEOUT_S
        while not started_when.search("\n".join(lines(self.read(path)))):
            if self.proc.poll() is not None:
                return self.result(self.proc.returncode)
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"never saw {started_when.pattern!r} in {path.name} within {BOOT_TIMEOUT_S} s")
            time.sleep(0.2)
        sizes = None
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < SILENCE_S:
            if self.proc.poll() is not None:
                return self.result(self.proc.returncode)
            now = (len(self.read(self.debugcon_log)), len(self.read(self.serial_log)))
            if now != sizes:
                sizes, quiet_since = now, time.monotonic()
            time.sleep(0.2)
        self.kill()
        return self.result(None)

    def kill(self) -> None:
        if self.console is not None:
            self.console.close()
            self.console = None
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def boot(tmp_path: Path):
    started: list[Qemu] = []

    def start(variant: str | None = None, disk: Path | None = None) -> Qemu:
        qemu = Qemu(disk or esp_dir(variant), tmp_path)
        started.append(qemu)
        return qemu

    yield start
    for qemu in started:
        qemu.kill()


def load_milestones() -> list[dict]:
    spec = yaml.safe_load(SPEC.read_text())
    return spec["milestones"]


def match_in_order(channel_lines: list[str], milestones: list[dict]) -> list[tuple[str, re.Match[str]]]:
    """Finds each milestone after the previous one; fails naming the first one missing."""
    hits = []
    position = 0
    for milestone in milestones:
        regex = re.compile(milestone["regex"])
        for i in range(position, len(channel_lines)):
            match = regex.search(channel_lines[i])
            if match:
                hits.append((milestone["name"], match))
                position = i + 1
                break
        else:
            names = [name for name, _ in hits]
            raise AssertionError(f"milestone {milestone['name']!r} not found after {names[-1:] or 'start'}")
    return hits


def on_channel(milestones: list[dict], channel: str) -> list[dict]:
    return [m for m in milestones if m["channel"] in (channel, "any")]


def panic_lines(boot: Boot, channel: str) -> list[str]:
    return [line for line in boot.channel(channel) if line.startswith("[PANIC] ")]


def test_spec_lists_the_boot_path_in_order():
    names = [m["name"] for m in load_milestones()]
    assert names[0] == "entry" and names[-1] == "final"
    assert len(names) >= 12 and len(set(names)) == len(names)
    for required in ("memory-map", "pmm", "heap", "exit-boot-services", "cpu-tables", "kernel-stack",
                     "elf-loaded", "address-space", "user-entry", "user-hello", "user-exit"):
        assert required in names


def test_order_check_rejects_missing_and_swapped_milestones():
    spec = [{"name": "a", "regex": "^one$"}, {"name": "b", "regex": "^two$"}]
    assert [name for name, _ in match_in_order(["one", "x", "two"], spec)] == ["a", "b"]
    with pytest.raises(AssertionError, match="'b' not found after \\['a'\\]"):
        match_in_order(["two", "one"], spec)
    with pytest.raises(AssertionError, match="'a' not found"):
        match_in_order(["two"], spec)


@pytest.mark.qemu
def test_kernel_boots_to_userspace_and_exits_33(boot):
    result = boot().wait_exit()
    milestones = load_milestones()
    for channel in ("debugcon", "serial"):
        hits = dict(match_in_order(result.channel(channel), on_channel(milestones, channel)))
        assert hits["user-exit"].group("status") == "0"
        assert "USER at every level" in hits["address-space"].string, "isolation proof missing"
        assert not panic_lines(result, channel)
    assert result.debugcon.startswith(b"!"), "the entry probe must be the very first debugcon byte"
    assert "!" not in result.channel("serial"), "the entry probe is debugcon-only"
    assert result.exit_status == EXIT_SUCCESS
    final = dict(match_in_order(result.channel("debugcon"), milestones))["final"]
    print(f"entry-to-final {final.group('ms')} ms, QEMU wall {result.wall_s:.2f} s")


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
        assert "boot complete" not in text and "[PANIC]" not in text


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
    result = boot("stale-map-key").wait_exit()
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
    result = boot(disk=IMAGE).wait_exit()
    assert result.exit_status == EXIT_SUCCESS
    hits = dict(match_in_order(result.channel("serial"), on_channel(load_milestones(), "serial")))
    assert "UEFI QEMU HARDDISK" in result.serial.decode(errors="replace"), "not booted from the disk"
    print(f"image {IMAGE.stat().st_size} bytes, entry-to-final {hits['final'].group('ms')} ms")
