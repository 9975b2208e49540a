"""Helpers for the bootlab integration tests: run the real CLI, read its boot record,
find QEMU processes. The kernel comes from `make kernel` / `make variants`. Environment
isolation and `probe_cache` are conftest.py's fixtures."""
from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from polling import WaitTimeout, wait_until

REPO = Path(__file__).resolve().parents[2]
BOOTLAB = Path(sys.executable).parent / "bootlab"
KERNEL_ESP = REPO / "build" / "esp"
VARIANTS = REPO / "build" / "variants"


@dataclass
class Boot:
    """One finished `bootlab boot`: exit status, result.json, stderr, record directory."""

    rc: int
    result: dict[str, Any]
    stderr: str
    out: Path
    wall_s: float

    @property
    def verdict(self) -> tuple[str, str | None]:
        return self.result["verdict"], self.result["culprit"]


def run_boot(out: Path, *args: str | Path, timeout: float = 180) -> Boot:
    argv = [str(BOOTLAB), "boot", "--out", str(out), "--json", *map(str, args)]
    start = time.monotonic()
    proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    wall = time.monotonic() - start
    result = json.loads(proc.stdout) if proc.stdout.strip() else {}
    if result:
        assert result == json.loads((out / "result.json").read_text()), "stdout and result.json disagree"
    return Boot(proc.returncode, result, proc.stderr, out, wall)


def one_target_inventory(target: str) -> dict[str, Any]:
    """The repository's inventory with only `target` enabled (spec kernel/milestones.yaml), no
    boards and only QEMU workers: for a master test that needs one boot per kernel build."""
    inventory = yaml.safe_load((REPO / "lab-inventory.yaml").read_text())
    for name, spec in inventory["targets"].items():
        spec["enabled"] = name == target
        spec["milestones"] = str(REPO / "kernel/milestones.yaml")
    inventory["boards"] = {}
    inventory["workers"] = {n: w for n, w in inventory["workers"].items() if w["kind"] == "qemu"}
    return inventory


def running_lab(root: Path, inventory: dict[str, Any]):
    """A local lab (harness/local_lab.py) on `inventory` under `root`, its workers attached; a
    generator for a module fixture: everything stops when the module is done."""
    from rustux_bootlab.harness.local_lab import create, free_port, start, stop, wait_for_workers

    (root / "inventory.yaml").write_text(yaml.safe_dump(inventory))
    lab = create(root / "lab", inventory=root / "inventory.yaml",
                 ports={"web": free_port(), "pb": free_port(), "try": free_port()})
    try:
        start(lab)
        wait_for_workers(lab.client(None))
        yield lab
    finally:
        stop(lab)


def kernel_esp() -> Path:
    if not (KERNEL_ESP / "EFI" / "BOOT" / "BOOTX64.EFI").is_file():
        pytest.fail(f"{KERNEL_ESP} has no kernel: run make kernel")
    return KERNEL_ESP


def variant_esp(name: str) -> Path:
    esp = VARIANTS / name / "esp"
    if not (esp / "EFI" / "BOOT" / "BOOTX64.EFI").is_file():
        pytest.fail(f"{esp} has no kernel: run make variants (or make kernel VARIANT={name})")
    return esp


def inventory_targets() -> list[str]:
    return list(yaml.safe_load((REPO / "lab-inventory.yaml").read_text())["targets"])


def qemu_children(pid: int) -> list[int]:
    """Direct children of `pid` (QEMU is the runner's only child)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(p) for p in path.read_text().split()]
    except OSError:
        return []


def read_until(fd: int, want: bytes, seconds: float, data: bytes = b"") -> bytes:
    """Read `fd` (a pty, a pipe) until `want` shows up, it ends, or `seconds` pass; all read so far."""
    deadline = time.monotonic() + seconds
    while want not in data and time.monotonic() < deadline:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
    return data


def process_alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie (a dead QEMU reparented to init)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_gone(pid: int, within: float = 5.0) -> bool:
    try:
        return wait_until(lambda: not process_alive(pid), within, f"process {pid} gone")
    except WaitTimeout:
        return False
