"""Rustux shell speed, measured inside the kernel (its TSC), one QEMU boot (TCG, q35, OVMF):

  - kernel entry to the shell prompt: `[sh] ready: N ms from kernel entry` (goal <= 150 ms),
  - a command's round trip: `time echo hello` typed --repeat times on COM1; sh prints
    `[sh] round trip: X us from key to command done`, X = from the moment the kernel's COM1
    interrupt handed the Enter key to the line discipline (clock_gettime CLOCK_INPUT) to the
    end of the command (spawned, its line written, exited, reaped): goal <= 5 ms,
  - the context switch cost the scheduler measured at boot and the self-test's numbers,
  - the image size (build/rustux.img, when made) and the initrd's size and file count.

The host's load stretches TCG time, which the TSC sees too: read the min and median,
not the max. Usage: .venv/bin/python bench/shell.py [--image build/esp] [--repeat 10]
"""
from __future__ import annotations

import argparse
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
GOAL_PROMPT_MS = 150
GOAL_ROUND_TRIP_US = 5000
ROUND_TRIP = re.compile(r"^\[sh\] round trip: (\d+) us from key to command done \((\d+) us from line read\)", re.M)


def text(path: Path) -> str:
    raw = path.read_bytes() if path.exists() else b""
    return raw.decode("utf-8", "replace").replace("\r", "")


def wait_for(log: Path, pattern: re.Pattern[str], proc: subprocess.Popen, timeout_s: float, count: int = 1) -> list[re.Match[str]]:
    deadline = time.monotonic() + timeout_s
    while True:
        found = list(pattern.finditer(text(log)))
        if len(found) >= count:
            return found
        if proc.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"bench/shell: never saw {pattern.pattern!r} x{count} on serial; tail:\n{text(log)[-1500:]}")
        time.sleep(0.05)


def drain(console: socket.socket) -> None:
    """Reads COM1's socket so it never fills (the logfile keeps the output)."""
    try:
        while console.recv(4096):
            pass
    except OSError:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", type=Path, default=REPO / "build" / "esp")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    if not (args.image / "EFI" / "BOOT" / "BOOTX64.EFI").is_file():
        sys.exit(f"bench/shell: {args.image} has no EFI/BOOT/BOOTX64.EFI: run make kernel")
    with tempfile.TemporaryDirectory(prefix="bench-shell-") as tmp:
        work = Path(tmp)
        shutil.copyfile(OVMF_VARS, work / "vars.fd")
        serial, sock = work / "serial.log", work / "serial.sock"
        proc = subprocess.Popen([
            "qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-m", "256", "-display", "none",
            "-no-reboot", "-monitor", "none",
            "-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
            "-drive", f"if=pflash,format=raw,file={work / 'vars.fd'}",
            "-drive", f"format=raw,file=fat:rw:{args.image}",
            "-chardev", f"socket,id=com1,path={sock},server=on,wait=off,logfile={serial}", "-serial", "chardev:com1",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        ], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            ready = wait_for(serial, re.compile(r"^\[sh\] ready: (\d+) ms from kernel entry", re.M), proc, 120)[0]
            console = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            console.connect(str(sock))
            threading.Thread(target=drain, args=(console,), daemon=True).start()
            for i in range(args.repeat):
                wait_for(serial, re.compile(r"^rustux\$ ", re.M), proc, 30, count=i + 1)
                for key in b"time echo hello\r":
                    console.sendall(bytes([key]))
                    time.sleep(0.01)
                wait_for(serial, ROUND_TRIP, proc, 30, count=i + 1)
            console.sendall(b"poweroff\r")
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        log = text(serial)
    trips = [int(m.group(1)) for m in ROUND_TRIP.finditer(log)]
    reads = [int(m.group(2)) for m in ROUND_TRIP.finditer(log)]
    prompt_ms = int(ready.group(1))
    print(f"entry to prompt: {prompt_ms} ms (goal <= {GOAL_PROMPT_MS} ms: {'met' if prompt_ms <= GOAL_PROMPT_MS else 'NOT met'})")
    print(f"round trip key -> command done, {len(trips)} runs: min {min(trips)} us, median {statistics.median(trips):.0f} us, "
          f"max {max(trips)} us (goal <= {GOAL_ROUND_TRIP_US} us: "
          f"{'met' if statistics.median(trips) <= GOAL_ROUND_TRIP_US else 'NOT met'}); "
          f"of which line read -> done median {statistics.median(reads):.0f} us")
    for pattern in (r"\[rustux\] scheduler: .*", r"\[rustux\] initrd: .*", r"\[selftest\] .*"):
        if m := re.search(pattern, log):
            print(m.group(0))
    image = REPO / "build" / "rustux.img"
    if image.is_file():
        print(f"build/rustux.img: {image.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
