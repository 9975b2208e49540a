"""Warm boots (issue 14) in real QEMU: the kernel and every known-bad variant booted cold and
warm give the same verdict and the same milestones; a stale and a corrupt snapshot each fall
back to cold with a warning; the cold/warm agreement check turns the lane off on a real
disagreement and `release` turns it on.

Lean on purpose: the kernel runs on both q35-pflash (q35, pflash, accel auto) and pc-bios
(pc, -bios, tcg); each variant runs once, alternating those two targets, so both machines and
both firmware modes see PASS, FAIL by fault, by reset, by hang and by silence. The cold
kernel boots are the fallback boots of the stale and corrupt tests (one boot, two proofs).
Boots: 2 snapshots made, 9 cold (2 of them the stale/corrupt fallbacks, 3 cut short: a lane
that is off, asked warm and by default, and U-Boot's target, cold by default) and 9 warm. The silent variant boots warm only: its cold twin is test_bootlab_boot.py's.
"""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from bootlab_support import BOOTLAB, REPO, Boot, kernel_esp, process_alive, run_boot, variant_esp
from rustux_bootlab.lab.warmlane import compare
from rustux_bootlab.workers.artifacts.esp import run_mtools

pytestmark = pytest.mark.qemu

SPEC = yaml.safe_load((REPO / "kernel" / "milestones.yaml").read_text())
# (target, variant, extra bootlab arguments): each variant once, on alternating machines.
VARIANT_CASES = [
    ("q35-pflash", "shared-user-tables", ()),
    ("pc-bios", "hang-after-heap", ("--short-spec",)),
    ("q35-pflash", "triple-fault", ()),
    ("pc-bios", "stack-overflow", ()),
]


@pytest.fixture(scope="module")
def lab(probe_cache) -> Path:
    """This module's XDG cache: the KVM probe's answer and the snapshots its boots share (its
    own: it makes, corrupts and drops them)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BOOTLAB_SNAPSHOTS", str(probe_cache / "rustux-bootlab" / "snapshots"))
        yield probe_cache


@pytest.fixture(scope="module")
def short_spec(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "short-milestones.yaml"
    path.write_text(yaml.safe_dump(dict(SPEC, default_timeout=6)))
    return path


def boot(lab: Path, out: Path, *args) -> Boot:
    return run_boot(out, *args)


def snapshot_dirs(lab: Path) -> list[Path]:
    root = lab / "rustux-bootlab" / "snapshots"
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")) if root.exists() else []


def names(b: Boot) -> list[str]:
    return [m["name"] for m in b.result["milestones"]]


def assert_same(cold: Boot, warm: Boot) -> None:
    assert cold.result["boot_path"] == "cold" and warm.result["boot_path"] == "warm", warm.result.get("warm")
    assert warm.verdict == cold.verdict, (cold.result["reason"], warm.result["reason"])
    assert names(warm) == names(cold)
    assert compare(cold.result, warm.result).agree
    assert not process_alive(warm.result["qemu"]["pid"])


@pytest.fixture(scope="module")
def kernel_warm(lab, tmp_path_factory) -> dict[str, Boot]:
    """The kernel booted warm on both targets: the first boot of each makes its snapshot.
    q35-pflash asks for nothing: warm is its default (lab/bootpath.py)."""
    return {t: boot(lab, tmp_path_factory.mktemp(f"warm-{t}"), "--target", t, "--image", kernel_esp(), *flag)
            for t, flag in (("q35-pflash", ()), ("pc-bios", ("--warm",)))}


def test_the_kernel_boots_warm_and_the_record_says_from_which_snapshot(kernel_warm, lab):
    for target, b in kernel_warm.items():
        assert b.rc == 0 and b.verdict == ("PASS", None), b.stderr
        assert b.result["boot_path"] == "warm" and b.result["warm"]["warnings"] == []
        snap = b.result["warm"]["snapshot"]
        assert b.result["warm"]["made_snapshot"] is True
        assert b.result["boot_path_reason"] == f"restored snapshot {snap['digest']} (made for this boot)"
        assert (Path(snap["path"]) / "snapshot.mig").stat().st_size == snap["size"] > 1 << 20
        command = b.result["qemu"]["command"]
        assert "-incoming" in command and "usb-storage" not in command and "qemu-xhci,id=xhci" not in command
        esp = next(a for a in command if a.startswith("name=opt/rustux/esp,file="))
        assert Path(esp.split("file=", 1)[1]).stat().st_size > 1 << 20, "the boot's ESP image, not the placeholder"
        timeline = (b.out / "timeline.log").read_text()
        assert re.search(r"runner +warm: snapshot \w+ restored", timeline)
        assert "the resident loader started the boot file" in timeline
        serial = (b.out / "serial.log").read_text(errors="replace")
        assert "rustux-loader: starting \\EFI\\BOOT\\BOOTX64.EFI" in serial, "the loader's word is on the record"
        assert 0 < b.result["warm"]["resumed_s"] <= b.result["warm"]["started_s"] <= b.result["warm"]["launched_s"]
        # Restored, not booted: the firmware's own boot manager never ran in this QEMU.
        assert "BdsDxe" not in serial
        # Started from the RAM disk, the kernel reads the files beside it through the firmware's FAT driver.
        assert (kernel_esp() / "EFI" / "rustux" / "initrd.cpio").is_file()
        assert "initrd: \\EFI\\rustux\\initrd.cpio" in (b.out / "debugcon.log").read_text(errors="replace")
    assert len(snapshot_dirs(lab)) == 2, "one snapshot per machine: q35+pflash and pc+bios differ"


@pytest.mark.parametrize("target,variant,extra", VARIANT_CASES, ids=[f"{v}-{t}" for t, v, _ in VARIANT_CASES])
def test_known_bad_variants_fail_warm_exactly_as_cold(kernel_warm, lab, short_spec, tmp_path, target, variant, extra):
    args = ["--target", target, "--image", variant_esp(variant),
            *(("--milestones", short_spec) if "--short-spec" in extra else extra)]
    cold = boot(lab, tmp_path / "cold", *args, "--no-warm")
    warm = boot(lab, tmp_path / "warm", *args, "--warm")
    assert cold.rc == warm.rc == 1 and cold.verdict == ("FAIL", "code"), cold.result["reason"]
    assert_same(cold, warm)
    assert warm.result["warm"]["made_snapshot"] is False


def test_a_silent_kernel_fails_warm_as_it_does_cold(kernel_warm, tmp_path):
    # Its cold boot is test_bootlab_boot.py's (same assertions): a silent boot costs its whole
    # timeout, and cold OVMF's first serial line comes late on a loaded host.
    warm = boot(None, tmp_path, "--target", "q35-pflash", "--image", variant_esp("silent"), "--timeout", "12", "--warm")
    assert warm.rc == 1 and warm.verdict == ("FAIL", "code") and warm.result["boot_path"] == "warm", warm.result
    assert "printed nothing" in warm.result["reason"] and warm.result["milestones"] == []
    assert warm.result["bytes_seen"]["serial"] > 0 and warm.result["bytes_seen"]["debugcon"] == 0
    assert warm.result["warm"]["started_s"] is not None and warm.result["warm"]["launched_s"] is None, \
        "the loader started it; never seen running (it writes nothing)"


def test_the_agreement_check_turns_the_lane_off_on_a_real_disagreement(kernel_warm, lab, tmp_path):
    # A spec pinned to the free memory the *warm* firmware leaves (the loader and its RAM disk
    # take pages): the warm boot PASSes, the cold boot FAILs. Exactly the case the lane exists for:
    # warm would hide a failure the cold path shows. Pages, not descriptors: how many
    # descriptors the map has varies from one restore to the next (123, 127), the pages do not.
    line = next(m["line"] for m in kernel_warm["q35-pflash"].result["milestones"] if m["name"] == "memory-map")
    warm_pages = re.search(r"(\d+) conventional pages", line).group(1)
    pinned = dict(SPEC)
    pinned["milestones"] = [dict(m, regex=m["regex"].replace(r"(?P<conventional_pages>\d+)", warm_pages))
                            if m["name"] == "memory-map" else m for m in SPEC["milestones"]]
    assert pinned["milestones"] != SPEC["milestones"], "the spec's memory-map regex changed: pin it again"
    spec = tmp_path / "pinned.yaml"
    spec.write_text(yaml.safe_dump(pinned))
    check = warm_cli(lab, "check", "--target", "q35-pflash", "--image", kernel_esp(), "--milestones", spec,
                     "--out", tmp_path / "check", "--json")
    assert check.returncode == 1, check.stderr
    summary = json.loads(check.stdout)
    assert summary["agree"] is False and summary["cold"]["verdict"] == "FAIL" and summary["warm"]["verdict"] == "PASS"
    assert summary["lane"]["enabled"] is False and summary["lane"]["evidence"] == summary["records"]

    # While the lane is off a warm boot runs cold (cut short here: only its path matters).
    refused = boot(lab, tmp_path / "refused", "--target", "q35-pflash", "--image", kernel_esp(), "--warm", "--timeout", "2")
    assert refused.result["boot_path"] == "cold" and refused.result["warm"]["snapshot"] is None
    assert "warm lane off for q35-pflash" in refused.result["warm"]["warnings"][0]
    by_default = boot(lab, tmp_path / "default", "--target", "q35-pflash", "--image", kernel_esp(), "--timeout", "2")
    assert by_default.result["boot_path"] == "cold"
    assert by_default.result["boot_path_reason"].startswith("warm lane off for q35-pflash since "), by_default.result
    status = warm_cli(lab, "status", "q35-pflash")
    assert re.search(r"q35-pflash +\w+ +OFF", status.stdout), status.stdout

    assert warm_cli(lab, "release", "q35-pflash").returncode == 2, "a release needs a reason"
    released = warm_cli(lab, "release", "q35-pflash", "--reason", "pinned spec was the test's")
    assert released.returncode == 0 and "warm lane on" in released.stdout


def test_a_console_on_a_target_starts_warm(kernel_warm, tmp_path):
    # --watch: nothing typed by a person; the kernel's exit or the timeout ends the boot
    # (a kernel that stays up at its shell is held until then: the verdict is long decided).
    proc = subprocess.run([str(BOOTLAB), "console", "--target", "pc-bios", "--image", kernel_esp(), "--watch",
                           "--out", tmp_path, "--timeout", "15"], cwd=REPO, capture_output=True, timeout=120)
    result = json.loads((tmp_path / "result.json").read_text())
    assert proc.returncode == 0 and result["verdict"] == "PASS", proc.stderr[-500:]
    assert result["boot_path"] == "warm" and result["warm"]["made_snapshot"] is False
    assert b"[rustux] " in proc.stdout, "COM1 reached the terminal"


def test_a_loader_that_cannot_fetch_the_image_falls_back_to_cold_with_its_words(kernel_warm, tmp_path):
    """A real ESP (the kernel and its initrd) in a FAT image larger than the guest's 256 MiB: the
    resident loader finds no room to fetch it. That is the warm lane's failure, not the image's:
    the boot runs cold, where the firmware reads the disk as it goes, and PASSes; the loader
    answered, so the snapshot is kept."""
    image = tmp_path / "big-esp.img"
    run_mtools(["mkfs.fat", "-C", "-n", "ESP", str(image), str(320 * 1024)])  # sparse: the FAT alone is written
    for folder in ("EFI", "EFI/BOOT", "EFI/rustux"):
        run_mtools(["mmd", "-i", str(image), f"::/{folder}"])
    for rel in ("EFI/BOOT/BOOTX64.EFI", "EFI/rustux/initrd.cpio"):
        run_mtools(["mcopy", "-i", str(image), str(kernel_esp() / rel), f"::/{rel}"])
    b = boot(None, tmp_path / "out", "--target", "q35-pflash", "--image", image, "--warm")
    assert b.rc == 0 and b.result["boot_path"] == "cold", b.result.get("warm")
    warning = b.result["warm"]["warnings"][0]
    assert warning.startswith("warm start failed: the resident loader could not start the image: out of memory"), warning
    assert any(w.startswith("warm boot ran cold: warm start failed: the resident loader") for w in b.result["warnings"])
    assert (tmp_path / "out" / "warm-attempt" / "serial.log").is_file(), "the failed attempt's record is kept"
    assert Path(kernel_warm["q35-pflash"].result["warm"]["snapshot"]["path"]).is_dir(), "the snapshot is not to blame"


def test_a_stale_snapshot_fails_to_restore_and_the_boot_runs_cold(kernel_warm, lab, tmp_path):
    # A snapshot of another machine (pc + -bios) filed under q35-pflash's key with a manifest
    # that claims it fits, as a key that missed a difference would: QEMU refuses the stream.
    q35 = Path(kernel_warm["q35-pflash"].result["warm"]["snapshot"]["path"])
    other = [d for d in snapshot_dirs(lab) if d != q35]
    assert len(other) == 1, "pc-bios's snapshot (the corrupt test, next, drops it)"
    manifest = json.loads((q35 / "manifest.json").read_text())
    foreign = other[0] / "snapshot.mig"
    (q35 / "snapshot.mig").write_bytes(foreign.read_bytes())
    foreign_manifest = json.loads((other[0] / "manifest.json").read_text())
    manifest.update(sha256=foreign_manifest["sha256"], size=foreign_manifest["size"])
    (q35 / "manifest.json").write_text(json.dumps(manifest))
    cold = boot(lab, tmp_path, "--target", "q35-pflash", "--image", kernel_esp(), "--warm")
    assert cold.rc == 0 and cold.result["boot_path"] == "cold", cold.result.get("warm")
    assert "warm start failed: restore failed" in cold.result["warm"]["warnings"][0]
    assert not q35.exists()
    assert_same(cold, kernel_warm["q35-pflash"])


def test_a_corrupt_snapshot_is_dropped_and_the_boot_runs_cold(kernel_warm, lab, tmp_path):
    snap = Path(kernel_warm["pc-bios"].result["warm"]["snapshot"]["path"])
    stream = snap / "snapshot.mig"
    with stream.open("r+b") as f:  # same size, other bytes: only the content hash can tell
        f.seek(stream.stat().st_size // 2)
        f.write(b"\xde\xad\xbe\xef" * 64)
    cold = boot(lab, tmp_path, "--target", "pc-bios", "--image", kernel_esp(), "--warm")
    assert cold.rc == 0 and cold.result["boot_path"] == "cold", cold.result.get("warm")
    warning = cold.result["warm"]["warnings"][0]
    assert "warm start failed: corrupt: snapshot content sha256" in warning and "dropped" in warning
    assert not snap.exists()
    assert (tmp_path / "warm-attempt" / "timeline.log").exists(), "the failed attempt's record is kept"
    assert_same(cold, kernel_warm["pc-bios"])


def warm_cli(lab: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([str(BOOTLAB), "warm", *map(str, args)], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


def test_a_target_that_cannot_restore_boots_cold_by_default_saying_why(tmp_path):
    # U-Boot runs no -kernel EFI program: no snapshot is tried (cut short: only its path matters).
    b = boot(None, tmp_path, "--target", "q35-uboot", "--image", kernel_esp(), "--timeout", "2")
    assert b.result["boot_path"] == "cold" and b.result["warm"] is None, b.result
    assert b.result["boot_path_reason"] == "q35-uboot boots cold by default: q35-uboot runs U-Boot (u-boot.rom): " \
                                           "it has no -kernel EFI loader for the resident loader"


def test_a_board_refuses_warm_with_the_reason():
    proc = subprocess.run([str(BOOTLAB), "boot", "--board", "vboard-1", "--image", kernel_esp(), "--warm"],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "--warm: board vboard-1 cannot boot warm: a real machine's firmware cannot be restored" in proc.stderr
