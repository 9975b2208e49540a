"""ESP images built for real: mkfs.fat and mtools (no root) follow `lab.esp`'s plan, then the
image is read back with mcopy and checked against the plan file by file, so a recorded
content hash is the hash of what the firmware will see."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from rustux_bootlab.lab.esp import EspError, EspImage, plan_esp, sha256_file


def build_esp_image(source: Path, out: Path) -> EspImage:
    """Make `out` from an ESP directory or a single `.efi`; raises `EspError`."""
    plan = plan_esp(source)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    run_mtools(["mkfs.fat", "-C", "-n", "ESP", str(out), str(plan.size_kib)])
    for d in plan.dirs:
        run_mtools(["mmd", "-i", str(out), f"::/{d}"])
    for rel, src in plan.files.items():
        run_mtools(["mcopy", "-i", str(out), "-o", str(src), f"::/{rel}"])
    return plan.image(out, _read_back(out))


def _read_back(image: Path) -> dict[str, str]:
    with tempfile.TemporaryDirectory(prefix="esp-readback-") as tmp:
        run_mtools(["mcopy", "-i", str(image), "-s", "-n", "::/*", tmp])
        root = Path(tmp)
        return {p.relative_to(root).as_posix(): sha256_file(p) for p in root.rglob("*") if p.is_file()}


def run_mtools(cmd: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    """mkfs.fat or an mtools command; with `check`, a failure is an `EspError` naming it."""
    # mkfs.fat lives in /usr/sbin, which is not on every user's PATH.
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    if shutil.which(cmd[0], path=path) is None:
        raise EspError(f"{cmd[0]} not found: install the mtools and dosfstools packages")
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1", PATH=path)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if check and proc.returncode != 0:
        raise EspError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")
    return proc
