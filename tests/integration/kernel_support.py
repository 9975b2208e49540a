"""The QEMU harness of the kernel's own boot tests (test_kernel_boot.py, test_kernel_shell.py):
one boot of an ESP directory or disk image in real QEMU (TCG, q35, pflash OVMF), every
console captured, COM1 also a socket to type on; the spec's milestones checked in order.

Self-contained on purpose (subprocess + PyYAML): it checks the kernel and
kernel/milestones.yaml, not the lab's matcher, so a matcher bug cannot hide a kernel bug.
Not a conftest.py: see bootlab_support.py.
"""
from __future__ import annotations

import re
import shutil
import socket
import subprocess
import threading
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
            # The logfile records the output; this reader only keeps the socket from filling
            # up (a full socket stalls COM1's transmitter and the kernel drops bytes).
            threading.Thread(target=_drain, args=(self.console,), daemon=True).start()
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


def _drain(console: socket.socket) -> None:
    try:
        while console.recv(4096):
            pass
    except OSError:
        pass


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


def milestone_regex(name: str) -> str:
    return next(m["regex"] for m in load_milestones() if m["name"] == name)


def poweroff_at_the_prompt(qemu: Qemu) -> Boot:
    """Waits for the shell's prompt (the final milestone, then `rustux$ `), types `poweroff`
    and returns the finished boot (the kernel's debug-exit ends QEMU)."""
    ready = qemu.expect(milestone_regex("final"))
    qemu.expect(r"^rustux\$ ", after=ready.end())
    qemu.type("poweroff\r")
    return qemu.wait_exit()


def burner_order(channel_lines: list[str]) -> str:
    """The self-test's progress lines as a string of labels in order, e.g. `ABABBA`."""
    return "".join(m.group(1) for line in channel_lines if (m := re.match(r"^\[burn (\w)\] \d+/\d+$", line)))
