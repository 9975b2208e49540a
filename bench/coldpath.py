"""Where a cold boot's time goes before the kernel's first byte, under TCG: the lab's own QEMU
command line for a target against variants of it, interleaved, from one run (issue 18's cold
path: measure before changing).

Each variant boots the kernel's ESP image from QEMU's start, COM1 to a file, until the kernel's
first line (`[rustux]`); the boot manager's `BdsDxe: loading` line splits the firmware's own
start (SEC to the boot manager) from the image's load and start. Rounds alternate the variants
so that the host's load falls on all of them alike; medians are printed with their ratio to the
lab's line. Debian's OVMF is a release build (nothing on its debug port), so the firmware's
phases cannot be timed from its log: changing one thing at a time is the profile.

`--profile` samples instead: one boot of the lab's line, the guest's instruction pointer read
over QMP every ~10 ms until the kernel's first line, and the hottest addresses with their share
of the samples, the time they span and the destination register there (0xFED4xxxx is the TPM's
TIS registers: OVMF probing for a TPM the target does not have, a fixed timeout per probe).

Usage: .venv/bin/python bench/coldpath.py [--target q35-pflash] [--rounds 3] [--only HPET ...] [--profile]
"""
from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rustux_bootlab.lab.inventory import load_inventory  # noqa: E402
from rustux_bootlab.workers.artifacts.image import prepare_image  # noqa: E402
from rustux_bootlab.workers.qemu.qmp import QmpClient  # noqa: E402

LIMIT_S = 120.0
# name, what it changes on the lab's command line
VARIANTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("lab's command line", ()),
    ("no SMM (q35: smm=off)", ("-machine", "smm=off")),
    ("S3 off", ("-global", "ICH9-LPC.disable_s3=1")),
    ("no VGA (-vga none)", ("-vga", "none")),
    ("128 MiB of RAM", ("-m", "128")),
    ("no HPET", ("-machine", "hpet=off")),
)


def command(target, image: Path, vars_copy: Path, serial: Path, extra: tuple[str, ...]) -> list[str]:
    fw = target.firmware
    memory = extra[1] if extra[:1] == ("-m",) else str(target.memory_mb)
    vga = extra[1] if extra[:1] == ("-vga",) else "std"
    machine = target.machine + (f",{extra[1]}" if extra[:1] == ("-machine",) else "")
    argv = ["qemu-system-x86_64", "-machine", machine, "-accel", "tcg", "-m", memory, "-nodefaults", "-vga", vga,
            "-display", "none", "-no-reboot", "-serial", f"file:{serial}",
            "-drive", f"format=raw,file={image},snapshot=on"]
    if fw.mode == "pflash":
        argv += ["-drive", f"if=pflash,format=raw,readonly=on,file={fw.code}", "-drive", f"if=pflash,format=raw,file={vars_copy}"]
    else:
        argv += ["-bios", str(fw.bios)]
    return argv + (list(extra) if extra[:1] == ("-global",) else [])


def boot(argv: list[str], serial: Path) -> tuple[float, float]:
    """(s to the boot manager's load line, s to the kernel's first line)."""
    serial.write_bytes(b"")
    start = time.monotonic()
    qemu = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    bds = None
    try:
        while time.monotonic() - start < LIMIT_S:
            text = serial.read_bytes()
            now = time.monotonic() - start
            if bds is None and b"BdsDxe: loading" in text:
                bds = now
            if b"[rustux]" in text:
                return bds if bds is not None else now, now
            if qemu.poll() is not None:
                break
            time.sleep(0.01)
    finally:
        qemu.kill()
        qemu.wait()
    sys.exit(f"no kernel line within {LIMIT_S:g}s: {' '.join(argv)}")


TPM_TIS = range(0xFED40000, 0xFED45000)
SAMPLE_S = 0.01


def profile(argv: list[str], serial: Path, work: Path) -> int:
    """Sample the instruction pointer of one boot of `argv` (QMP `info registers`)."""
    qmp_path = work / "qmp.sock"
    serial.write_bytes(b"")
    qemu = subprocess.Popen([*argv, "-S", "-qmp", f"unix:{qmp_path},server=on,wait=off"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples: list[tuple[float, int, int]] = []  # (s since resume, instruction pointer, EDI)
    try:
        deadline = time.monotonic() + LIMIT_S
        while not qmp_path.exists():
            if time.monotonic() > deadline or qemu.poll() is not None:
                sys.exit(f"QEMU did not open QMP: {' '.join(argv)}")
            time.sleep(0.01)
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(str(qmp_path))
        qmp = QmpClient(sock)
        try:
            qmp.handshake()
            qmp.execute("cont")
            start = time.monotonic()
            while b"[rustux]" not in serial.read_bytes():
                if time.monotonic() - start > LIMIT_S:
                    sys.exit(f"no kernel line within {LIMIT_S:g}s: {' '.join(argv)}")
                regs = str(qmp.execute("human-monitor-command", {"command-line": "info registers"}))
                ip, edi = re.search(r"[RE]IP=([0-9a-f]+)", regs), re.search(r"[RE]DI=([0-9a-f]+)", regs)
                if ip and edi:
                    samples.append((time.monotonic() - start, int(ip[1], 16), int(edi[1], 16)))
                time.sleep(SAMPLE_S)
            total = time.monotonic() - start
        finally:
            qmp.close()
    finally:
        qemu.kill()
        qemu.wait()
    print(f"  {len(samples)} samples over {total:.2f} s to the kernel's first line")
    for ip, count in collections.Counter(ip for _, ip, _ in samples).most_common(4):
        times = [t for t, i, _ in samples if i == ip]
        edi = collections.Counter(e for _, i, e in samples if i == ip).most_common(1)[0][0]
        where = " (the TPM's TIS registers)" if edi in TPM_TIS else ""
        print(f"  {ip:#010x}: {count / len(samples):5.1%} of the samples, {times[0]:.2f}-{times[-1]:.2f} s, EDI {edi:#x}{where}")
    tpm = [t for t, _, e in samples if e in TPM_TIS]
    if tpm:
        print(f"  EDI in the TPM's registers: {len(tpm) / len(samples):.1%} of the samples, {tpm[0]:.2f}-{tpm[-1]:.2f} s")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", default="q35-pflash")
    parser.add_argument("--image", type=Path, default=REPO / "build" / "esp")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", action="append", default=[], help="variants whose name holds TEXT (besides the lab's)")
    parser.add_argument("--profile", action="store_true", help="sample where the firmware spends its time instead")
    args = parser.parse_args()
    target = load_inventory(REPO / "lab-inventory.yaml").target(args.target)
    image, _ = prepare_image(args.image)
    if args.profile:
        with tempfile.TemporaryDirectory(prefix="bench-coldpath-") as tmp:
            work = Path(tmp)
            if target.firmware.mode == "pflash":
                shutil.copyfile(target.firmware.vars, work / "vars.fd")
            print(f"bench/coldpath.py --profile on {args.target} (TCG), load {os.getloadavg()[0]:.1f}")
            return profile(command(target, image, work / "vars.fd", work / "serial.log", ()), work / "serial.log", work)
    variants = [(n, e) for n, e in VARIANTS if target.machine == "q35" or "ICH9" not in " ".join(e) and "smm" not in " ".join(e)]
    variants = [v for i, v in enumerate(variants) if i == 0 or not args.only or any(t in v[0] for t in args.only)]
    times: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in variants}
    with tempfile.TemporaryDirectory(prefix="bench-coldpath-") as tmp:
        work = Path(tmp)
        for _ in range(args.rounds):
            for name, extra in variants:
                if target.firmware.mode == "pflash":
                    shutil.copyfile(target.firmware.vars, work / "vars.fd")
                times[name].append(boot(command(target, image, work / "vars.fd", work / "serial.log", extra), work / "serial.log"))
    base = statistics.median(t for _, t in times[variants[0][0]])
    print(f"bench/coldpath.py on {args.target} (TCG), {args.rounds} rounds, load {os.getloadavg()[0]:.1f} at the end")
    print(f"  {'variant':<26} {'to BdsDxe':>9} {'to kernel':>9}  ratio")
    for name, _ in variants:
        bds = statistics.median(b for b, _ in times[name])
        kernel = statistics.median(k for _, k in times[name])
        print(f"  {name:<26} {bds:8.2f}s {kernel:8.2f}s  {kernel / base:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
