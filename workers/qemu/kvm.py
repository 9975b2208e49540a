"""Accel `auto`: does KVM really boot this firmware on this host? Probe once, remember.

`/dev/kvm` existing proves little: under nested virtualisation OVMF can die at once with
`KVM internal error. Suberror: 1`. The probe boots the target's firmware under KVM for a
few seconds: any console output means KVM works; an error line or silence means TCG.
The answer is cached per QEMU binary (path, size, mtime: no `qemu --version` per boot),
host kernel, host boot and firmware file, in
`$XDG_CACHE_HOME/rustux-bootlab/kvm-probe.json`.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import time
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from rustux_bootlab.lab.jsonfile import write_json
from rustux_bootlab.workers.qemu.command import QEMU_BINARY, Firmware, firmware_args, machine_args
from rustux_bootlab.workers.qemu.process import QemuProcess, QemuStartError
from rustux_bootlab.workers.state import cache_root
from rustux_bootlab.workers.workdir import workdir

PROBE_SECONDS = 8.0
_FAILURE_MARKERS = ("KVM internal error", "failed to initialize kvm", "Could not access KVM kernel module")


@dataclass(frozen=True)
class AccelChoice:
    accel: str  # kvm | tcg
    reason: str


@cache
def qemu_version(binary: str = QEMU_BINARY) -> str:
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.splitlines()[0].strip() if out else "unknown"


def resolve_accel(requested: str, machine: str, firmware: Firmware, binary: str = QEMU_BINARY) -> AccelChoice:
    if requested == "tcg":
        return AccelChoice("tcg", "requested tcg")
    if requested == "kvm":
        return AccelChoice("kvm", "requested kvm")
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return AccelChoice("tcg", "auto: /dev/kvm is missing or not accessible, using TCG")
    key = _cache_key(machine, firmware, binary)
    cached = _load_cache().get(key)
    if cached is None:
        works, detail = probe_kvm(machine, firmware, binary)
        cached = {"works": works, "detail": detail, "probed": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        _store_cache(key, cached)
    if cached["works"]:
        return AccelChoice("kvm", f"auto: KVM probe passed ({cached['probed']})")
    return AccelChoice("tcg", f"auto: KVM probe failed ({cached['probed']}): {cached['detail']}; using TCG")


def probe_kvm(machine: str, firmware: Firmware, binary: str = QEMU_BINARY) -> tuple[bool, str]:
    """Boot the firmware under KVM with no disk for up to PROBE_SECONDS."""
    with workdir("kvm") as tmp:
        serial = tmp / "serial.log"
        argv = [binary, *machine_args(machine, "kvm", 256), "-display", "none",
                "-no-reboot", "-serial", f"file:{serial}", *firmware_args(_fresh_vars(firmware, tmp))]
        qemu = QemuProcess(argv)
        try:
            qemu.start()
        except QemuStartError as exc:
            return False, str(exc)
        output = b""
        deadline = time.monotonic() + PROBE_SECONDS
        try:
            while time.monotonic() < deadline:
                output += _drain(qemu)
                text = output.decode("utf-8", "replace")
                for marker in _FAILURE_MARKERS:
                    if marker in text:
                        return False, _line_with(text, marker)
                if serial.exists() and serial.stat().st_size > 0:
                    return True, "firmware console output under KVM"
                if not qemu.running():
                    return False, f"QEMU exited with status {qemu.poll()} under KVM: {text.strip()[:200]}"
                time.sleep(0.05)
        finally:
            qemu.stop(grace=0)
        return False, f"no firmware output within {PROBE_SECONDS:.0f} s under KVM"


def _fresh_vars(firmware: Firmware, tmp: Path) -> Firmware:
    """The firmware with a copy of its VARS template in `tmp`: the probe never writes the template."""
    if firmware.mode == "bios":
        return firmware
    if firmware.code is None or firmware.vars is None:
        raise ValueError("pflash firmware needs code and vars")
    vars_copy = tmp / "vars.fd"
    shutil.copyfile(firmware.vars, vars_copy)
    return replace(firmware, vars=vars_copy)


def _drain(qemu: QemuProcess) -> bytes:
    try:
        return os.read(qemu.output.fileno(), 65536)
    except BlockingIOError:
        return b""


def _line_with(text: str, marker: str) -> str:
    return next(line.strip() for line in text.splitlines() if marker in line)


def _cache_key(machine: str, firmware: Firmware, binary: str) -> str:
    boot_id = Path("/proc/sys/kernel/random/boot_id").read_text().strip() if Path("/proc/sys/kernel/random/boot_id").exists() else ""
    parts = [platform.release(), boot_id, machine]
    for path in (shutil.which(binary), firmware.code, firmware.bios):
        if path is not None and Path(path).exists():
            stat = Path(path).stat()
            parts.append(f"{Path(path).resolve()}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _cache_file() -> Path:
    return cache_root() / "kvm-probe.json"


def _load_cache() -> dict[str, dict]:
    try:
        return json.loads(_cache_file().read_text())
    except (OSError, ValueError):
        return {}


def _store_cache(key: str, entry: dict) -> None:
    path = _cache_file()
    entries = _load_cache()
    entries[key] = entry
    write_json(path, entries, indent=1)  # concurrent boots on one worker: each writes a whole file
