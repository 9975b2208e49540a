"""`bootlab boot --json` on a worker whose scratch disk is full (the chaos soak's finding): the
runner cannot write its record, and the verdict still reaches stdout, ERROR/lab, for the master
to retry elsewhere. Before, the record's write failed a second time and bootlab exited with
nothing on stdout: a boot without a verdict. A real bootlab on a real full tmpfs (root mounts it).
"""
from __future__ import annotations

import json
import subprocess

from bootlab_support import BOOTLAB, KERNEL_ESP, REPO


def test_a_full_disk_under_the_record_still_gives_a_verdict_on_stdout(tmp_path):
    disk = tmp_path / "scratch"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "bootlab-full", str(disk)], check=True)
    try:
        subprocess.run(["dd", "if=/dev/zero", f"of={disk / 'fill'}", "bs=4k"], capture_output=True)  # until ENOSPC
        proc = subprocess.run([str(BOOTLAB), "boot", "--json", "--target", "q35-pflash", "--image", str(KERNEL_ESP),
                               "--out", str(disk / "record"), "--no-warm"], cwd=REPO, capture_output=True, text=True,
                              timeout=120)
    finally:
        subprocess.run(["umount", str(disk)], check=True)
    result = json.loads(proc.stdout)
    assert (result["verdict"], result["culprit"]) == ("ERROR", "lab"), result
    assert "No space left on device" in result["reason"] and proc.returncode == 3, (result, proc.stderr[-800:])
    assert "boot record not written" in proc.stderr
