"""A boot's QEMU started early from the last identical boot's plan (workers/qemu/earlystart.py):
taken only when the pipeline would start the very same command, killed otherwise, never left
behind. Real `bootlab boot`, real QEMU and kernel. Early start is the cold path's (a warm boot
restores instead): every boot here asks for a cold one.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from bootlab_support import BOOTLAB, KERNEL_ESP, REPO, run_boot

pytestmark = [pytest.mark.qemu, pytest.mark.slow]

TARGET = "pc-bios"  # the quickest boot


@pytest.fixture(autouse=True)
def _kernel():
    if not (KERNEL_ESP / "EFI" / "BOOT" / "BOOTX64.EFI").exists():
        pytest.skip("no kernel: run `make kernel`")


def cold_boot(out: Path, *args):
    return run_boot(out, *args, "--no-warm")


def plans() -> list[Path]:
    """This test's plans (the cache is the module's; the state dir, in each plan's key, the test's)."""
    found = sorted((Path(os.environ["XDG_CACHE_HOME"]) / "rustux-bootlab" / "plans").glob("*.json"))
    return [p for p in found if os.environ["BOOTLAB_STATE"] in json.loads(p.read_text())["key"]]


def leftovers(boot_pid_dirs_before: set[str]) -> list[str]:
    """Early work directories and QEMUs of this test's cache still there after bootlab exited."""
    dirs = early_dirs() - boot_pid_dirs_before
    ps = subprocess.run(["ps", "-ww", "-eo", "stat=,args="], capture_output=True, text=True, check=True).stdout
    cache = os.environ["XDG_CACHE_HOME"]
    qemus = [line for line in ps.splitlines() if "qemu-system" in line and cache in line and not line.lstrip().startswith("Z")]
    return sorted(dirs) + qemus


def early_dirs() -> set[str]:
    return {p.name for p in Path(os.environ.get("TMPDIR") or "/tmp").glob("bootlab-boot-*-early")}


def test_the_second_identical_boot_starts_qemu_before_the_lab_is_imported(tmp_path):
    before = early_dirs()
    first = cold_boot(tmp_path / "a", "--target", TARGET, "--image", KERNEL_ESP)
    assert first.verdict == ("PASS", None) and first.result["qemu"]["early_start"] is False, first.stderr
    assert len(plans()) == 1
    second = cold_boot(tmp_path / "b", "--target", TARGET, "--image", KERNEL_ESP)
    assert second.verdict == ("PASS", None) and second.result["qemu"]["early_start"] is True, second.stderr
    assert "-early/" in " ".join(second.result["qemu"]["command"])
    # the same boot, the same record otherwise: every milestone, the firmware, the image
    assert [m["name"] for m in second.result["milestones"]] == [m["name"] for m in first.result["milestones"]]
    assert second.result["image"]["sha256"] == first.result["image"]["sha256"]
    assert (tmp_path / "b" / "serial.log").read_bytes().count(b"[sh] ready") == 1
    assert not leftovers(before)


def test_a_changed_spec_or_image_is_not_started_early(tmp_path):
    spec = tmp_path / "milestones.yaml"
    spec.write_text((REPO / "kernel" / "milestones.yaml").read_text())
    args = ("--target", TARGET, "--image", KERNEL_ESP, "--milestones", spec)
    cold_boot(tmp_path / "a", *args)
    spec.write_text(spec.read_text() + "\n")  # what the plan came from changed
    changed = cold_boot(tmp_path / "b", *args)
    assert changed.verdict == ("PASS", None) and changed.result["qemu"]["early_start"] is False
    again = cold_boot(tmp_path / "c", *args)  # the plan of the changed spec
    assert again.result["qemu"]["early_start"] is True


def test_a_boot_the_pipeline_refuses_kills_the_early_qemu(tmp_path):
    """Quarantined after the plan was saved (nothing the plan checks changed): the early QEMU
    starts, the pipeline says MISS, and it is gone with its directory when bootlab exits."""
    before = early_dirs()
    cold_boot(tmp_path / "a", "--target", TARGET, "--image", KERNEL_ESP)
    subprocess.run([str(BOOTLAB), "quarantine", TARGET, "--reason", "bench rewired"], cwd=REPO, check=True,
                   capture_output=True)
    miss = cold_boot(tmp_path / "b", "--target", TARGET, "--image", KERNEL_ESP)
    assert miss.rc == 4 and miss.verdict[0] == "MISS", miss.stderr
    assert not leftovers(before)


def test_an_early_qemu_running_another_command_is_not_taken(tmp_path):
    """A plan whose command is not the pipeline's (here: edited to 128 MiB) starts a QEMU the
    pipeline kills before it starts its own."""
    before = early_dirs()
    cold_boot(tmp_path / "a", "--target", TARGET, "--image", KERNEL_ESP)
    [path] = plans()
    plan = json.loads(path.read_text())
    memory = plan["argv"].index("-m") + 1
    wanted = plan["argv"][memory]
    plan["argv"][memory] = "128"
    path.write_text(json.dumps(plan))
    boot = cold_boot(tmp_path / "b", "--target", TARGET, "--image", KERNEL_ESP)
    assert boot.verdict == ("PASS", None) and boot.result["qemu"]["early_start"] is False
    command = boot.result["qemu"]["command"]
    assert command[command.index("-m") + 1] == wanted and "-early/" not in " ".join(command)
    assert not leftovers(before)
    assert json.loads(path.read_text())["argv"][memory] == wanted, "the pipeline's own boot saves the right plan"


@pytest.mark.parametrize("corrupt", ["not json {", "plan with wrong types"])
def test_a_corrupt_plan_is_ignored_and_replaced(tmp_path, corrupt):
    before = early_dirs()
    cold_boot(tmp_path / "a", "--target", TARGET, "--image", KERNEL_ESP)
    [path] = plans()
    if corrupt == "plan with wrong types":
        plan = json.loads(path.read_text())
        plan.update(argv=5, sockets=["debugcon"])
        corrupt = json.dumps(plan)
    path.write_text(corrupt)
    boot = cold_boot(tmp_path / "b", "--target", TARGET, "--image", KERNEL_ESP)
    assert boot.verdict == ("PASS", None) and boot.result["qemu"]["early_start"] is False, boot.stderr
    assert not leftovers(before)
    assert json.loads(path.read_text())["format"] == 1 and isinstance(json.loads(path.read_text())["argv"], list)
