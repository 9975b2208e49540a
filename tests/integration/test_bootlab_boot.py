"""`bootlab boot` on real QEMU (TCG) with the real kernel: verdicts, records, triage.

Every boot costs 3-10 s on two shared cores, so each is made once (module fixtures)
and asserted on from several angles. Boots are warm (the targets' default) except where the
firmware's own part of a cold boot is asserted: those ask for `--no-warm`.
"""
from __future__ import annotations

import fnmatch
import json
import subprocess
from pathlib import Path

import pytest
import yaml

from bootlab_support import REPO, kernel_esp, process_alive, run_boot, variant_esp

pytestmark = pytest.mark.qemu

# The per-push targets on the host's QEMU and OVMF; the other environments' and Secure Boot lanes
# (`nightly: true`) have their own tests (test_environments_boot.py), and so do the arm64 targets
# (test_arm64_boot.py: no debugcon, another spec and ESP).
TARGETS = [name for name, t in yaml.safe_load((REPO / "lab-inventory.yaml").read_text())["targets"].items()
           if not t.get("nightly") and t.get("arch", "x86_64") == "x86_64"]
SPEC = yaml.safe_load((REPO / "kernel" / "milestones.yaml").read_text())
RECORD_FILES = ("result.json", "timeline.log", "debugcon.log", "serial.log", "firmware.log", "qemu.log")
RESULT_KEYS = {"verdict", "culprit", "reason", "last_milestone", "milestones", "milestones_total", "target",
               "image", "firmware", "qemu", "duration_s", "triage"}


@pytest.fixture(scope="module", params=TARGETS)
def good_boot(request, tmp_path_factory):
    # Cold: the firmware's own boot (BdsDxe, its log, the flash on the command line) is asserted here.
    return run_boot(tmp_path_factory.mktemp(request.param), "--target", request.param, "--image", kernel_esp(),
                    "--no-warm")


def test_the_kernel_passes_on_every_target(good_boot):
    assert good_boot.rc == 0, good_boot.stderr
    assert good_boot.verdict == ("PASS", None)
    names = [m["name"] for m in good_boot.result["milestones"]]
    # the shell's conversation steps count as milestones, after the boot's own
    assert names == [m["name"] for m in SPEC["milestones"]] + [s["name"] for s in SPEC["conversation"]["steps"]]
    assert good_boot.result["milestones_total"] == len(names)
    assert good_boot.result["last_milestone"] == names[-1]
    times = [m["t"] for m in good_boot.result["milestones"]]
    assert times == sorted(times) and times[0] > 0


def test_the_boot_step_knows_every_file_the_runner_wrote(good_boot):
    """lab/contract.py names the record's files for both sides: a file the runner writes that
    the step (steps/boot.py) does not collect fails here."""
    from rustux_bootlab.lab.contract import RESULT, SCREEN_PNG, SCREEN_SHOTS
    from rustux_bootlab.steps.boot import RECORD_LOGS

    written = sorted(p.name for p in good_boot.out.iterdir() if p.is_file())
    unknown = [name for name in written if name not in (RESULT, SCREEN_PNG, *RECORD_LOGS)
               and not fnmatch.fnmatch(name, SCREEN_SHOTS)]
    assert written and not unknown, f"the runner wrote {unknown}: name them in lab/contract.py"


def test_the_boot_record_is_complete(good_boot):
    result = good_boot.result
    assert RESULT_KEYS <= set(result)
    for name in RECORD_FILES:
        assert (good_boot.out / name).is_file(), name
    assert len(result["image"]["sha256"]) == 64
    assert all(len(ident["sha256"]) == 64 for ident in result["firmware"].values())
    assert result["qemu"]["version"].startswith("QEMU emulator version")
    assert result["triage"] is None
    assert (result["boot_path"], result["boot_path_reason"]) == ("cold", "--no-warm: a cold boot was asked for")
    timeline = (good_boot.out / "timeline.log").read_text()
    assert " runner   QEMU started" in timeline
    assert " debugcon [sh] ready: " in timeline
    assert " serial   BdsDxe: loading Boot0001" in timeline
    stamps = [int(line.split()[0]) for line in timeline.splitlines()]
    assert stamps == sorted(stamps)
    assert b"[sh] ready: " in (good_boot.out / "serial.log").read_bytes()


def test_the_command_line_follows_the_target(good_boot):
    target = yaml.safe_load((REPO / "lab-inventory.yaml").read_text())["targets"][good_boot.result["target"]]
    argv = good_boot.result["qemu"]["command"]
    assert argv[argv.index("-machine") + 1] == target["machine"]
    assert argv[argv.index("-m") + 1] == str(target["memory_mb"])
    assert "-no-reboot" in argv
    joined = " ".join(argv)
    if target["firmware"]["mode"] == "pflash":
        assert "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd" in joined
        assert "OVMF_VARS_4M.fd" not in joined, "VARS must be a fresh copy, never the template"
    else:
        assert argv[argv.index("-bios") + 1] == "/usr/share/ovmf/OVMF.fd"


def test_auto_accel_probes_kvm_once_and_falls_back_to_tcg(good_boot, probe_cache):
    qemu = good_boot.result["qemu"]
    assert qemu["accel"] == "tcg"
    if qemu["accel_reason"].startswith("auto") and "/dev/kvm is missing" not in qemu["accel_reason"]:
        assert "KVM internal error" in qemu["accel_reason"]
        probes = json.loads((probe_cache / "rustux-bootlab" / "kvm-probe.json").read_text())
        assert any(not p["works"] and p["probed"] in qemu["accel_reason"] for p in probes.values())
    else:
        assert qemu["accel_reason"] == "requested tcg"


def test_the_boot_stops_as_soon_as_the_verdict_is_known(good_boot):
    last = good_boot.result["milestones"][-1]["t"]
    assert good_boot.result["duration_s"] < last + 5
    assert good_boot.wall_s < last + 6
    assert not process_alive(good_boot.result["qemu"]["pid"])


def test_progress_lines_are_machine_readable(good_boot):
    lines = good_boot.stderr.splitlines()
    steps = SPEC["conversation"]["steps"]
    n = len(SPEC["milestones"]) + len(steps)
    ticks = [line for line in lines if line.startswith("bootlab: milestone ")]
    assert len(ticks) == n
    assert ticks[-1].startswith(f"bootlab: milestone {n}/{n} {steps[-1]['name']} ") and ticks[-1].endswith("s")
    assert lines[-1].startswith("bootlab: verdict PASS - all ")


# -- known-bad kernels ------------------------------------------------------------------

@pytest.fixture(scope="module")
def short_spec(tmp_path_factory) -> Path:
    """The kernel's spec with 6 s milestone timeouts, so a hang is noticed quickly."""
    spec = dict(SPEC, default_timeout=6)
    path = tmp_path_factory.mktemp("spec") / "milestones.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


@pytest.fixture(scope="module")
def page_fault_with_baseline(tmp_path_factory):
    return run_boot(tmp_path_factory.mktemp("shared-user-tables"), "--target", "q35-pflash",
                    "--image", variant_esp("shared-user-tables"), "--baseline", kernel_esp())


def test_shared_user_tables_is_a_page_fault_in_the_code(page_fault_with_baseline):
    boot = page_fault_with_baseline
    assert boot.rc == 1, boot.stderr
    assert boot.verdict == ("FAIL", "code")
    assert "page fault" in boot.result["reason"].lower()
    names = [m["name"] for m in SPEC["milestones"]]
    assert names.index(boot.result["last_milestone"]) >= names.index("elf-loaded"), "faults once user pages are mapped"
    assert boot.result["reason"].endswith(f"after {boot.result['last_milestone']}")


def test_triage_with_a_good_baseline_keeps_fail_code(page_fault_with_baseline):
    triage = page_fault_with_baseline.result["triage"]
    assert triage["baseline"]["verdict"] == "PASS"
    assert "new image is at fault" in triage["rule"]
    baseline = page_fault_with_baseline.out / "baseline"
    assert (baseline / "result.json").is_file() and (baseline / "timeline.log").is_file()


def test_hang_after_heap_is_a_hang_after_the_heap_milestone(tmp_path, short_spec):
    boot = run_boot(tmp_path, "--target", "pc-bios", "--image", variant_esp("hang-after-heap"),
                    "--milestones", short_spec)
    assert boot.rc == 1, boot.stderr
    assert boot.verdict == ("FAIL", "code")
    assert boot.result["last_milestone"] == "heap"
    assert "hung after heap" in boot.result["reason"]
    assert boot.result["duration_s"] < boot.result["milestones"][-1]["t"] + 6 + 3
    assert not process_alive(boot.result["qemu"]["pid"])


def test_triple_fault_is_a_reset_in_the_code(tmp_path):
    boot = run_boot(tmp_path, "--target", "q35-pflash", "--image", variant_esp("triple-fault"))
    assert boot.rc == 1, boot.stderr
    assert boot.verdict == ("FAIL", "code")
    assert "reset" in boot.result["reason"]
    assert boot.result["qemu"]["exit_status"] in (0, None)


def test_a_silent_kernel_fails_but_the_canary_saw_the_firmware(tmp_path):
    boot = run_boot(tmp_path, "--target", "q35-pflash", "--image", variant_esp("silent"), "--timeout", "12", "--no-warm")
    assert boot.rc == 1, boot.stderr
    assert boot.verdict == ("FAIL", "code")
    assert "printed nothing" in boot.result["reason"]
    assert boot.result["bytes_seen"]["serial"] > 0 and boot.result["bytes_seen"]["debugcon"] == 0
    assert 12 <= boot.result["duration_s"] < 16, "the global timeout ends the boot"
    assert not process_alive(boot.result["qemu"]["pid"])
    assert (tmp_path / "screen.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


# -- infrastructure at fault -------------------------------------------------------------

@pytest.fixture(scope="module")
def bad_firmware(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("firmware")
    good = Path("/usr/share/OVMF/OVMF_CODE_4M.fd").read_bytes()
    (d / "zero.fd").write_bytes(bytes(len(good)))
    (d / "truncated.fd").write_bytes(good[: len(good) // 3])
    return {"zero-filled": d / "zero.fd", "truncated": d / "truncated.fd", "missing": d / "missing.fd"}


@pytest.mark.parametrize("problem", ["zero-filled", "truncated", "missing"])
def test_bad_firmware_is_error_firmware_before_qemu_starts(problem, bad_firmware, tmp_path):
    for stale in ("qemu.log", "timeline.log", "screen.png"):  # an earlier boot into the same --out
        (tmp_path / stale).write_text("old boot")
    boot = run_boot(tmp_path, "--target", "q35-pflash", "--image", kernel_esp(),
                    "--firmware-code", bad_firmware[problem])
    assert boot.rc == 3, boot.stderr
    assert boot.verdict == ("ERROR", "firmware")
    assert {"zero-filled": "zero-filled", "truncated": "truncated", "missing": "does not exist"}[problem] in boot.result["reason"]
    assert boot.result["qemu"]["command"] is None and "pid" not in boot.result["qemu"]
    assert not any((tmp_path / name).exists() for name in ("qemu.log", "timeline.log", "screen.png"))
    assert boot.result["duration_s"] < 2
    assert boot.result["boot_path_reason"].startswith("the firmware check refuses this firmware: "), "no snapshot tried"


def test_kvm_on_a_host_where_it_fails_is_error_host(tmp_path):
    boot = run_boot(tmp_path, "--target", "q35-pflash", "--image", kernel_esp(), "--accel", "kvm")
    assert boot.rc == 3, boot.stderr
    assert boot.verdict == ("ERROR", "host")
    assert "KVM internal error" in boot.result["reason"]
    assert boot.result["qemu"]["accel"] == "kvm"
    # Warm by default: the snapshot's QEMU says it too, and the boot goes cold at once, not after the loader's timeout.
    assert boot.result["boot_path_reason"].startswith("no snapshot: QEMU said kvm-internal-error"), boot.result["warm"]


def test_an_esp_without_bootx64_is_the_builds_fail_never_booted(tmp_path):
    # the image is the build's output: broken as handed over (no manifest says otherwise), the code's
    esp = tmp_path / "esp"
    (esp / "EFI" / "rustux").mkdir(parents=True)
    (esp / "EFI" / "rustux" / "kernel.efi").write_bytes((kernel_esp() / "EFI/BOOT/BOOTX64.EFI").read_bytes())
    boot = run_boot(tmp_path / "record", "--target", "q35-pflash", "--image", esp)
    assert boot.rc == 1, boot.stderr
    assert boot.verdict == ("FAIL", "code")
    assert "EFI/BOOT/BOOTX64.EFI" in boot.result["reason"]
    assert boot.result["qemu"]["command"] is None


def test_a_fat_image_without_bootx64_is_the_builds_fail_never_booted(tmp_path):
    image = tmp_path / "esp.img"
    subprocess.run(["/usr/sbin/mkfs.fat", "-C", str(image), "8192"], check=True, capture_output=True)
    boot = run_boot(tmp_path / "record", "--target", "pc-bios", "--image", image)
    assert boot.rc == 1, boot.stderr
    assert boot.verdict == ("FAIL", "code")
    assert "BOOTX64.EFI" in boot.result["reason"]


def test_triage_on_a_broken_target_blames_the_target(tmp_path):
    """46 MiB lets OVMF load the kernel but leaves it too little memory to start init: the known-good
    kernel fails there, so the new image's failure must not be blamed on its code."""
    inventory = yaml.safe_load((REPO / "lab-inventory.yaml").read_text())
    inventory["targets"] = {"tiny-ram": dict(inventory["targets"]["q35-pflash"], memory_mb=46, accel="tcg",
                                             milestones=str(REPO / "kernel" / "milestones.yaml"))}
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(inventory))
    boot = run_boot(tmp_path / "record", "--inventory", path, "--target", "tiny-ram",
                    "--image", variant_esp("shared-user-tables"), "--baseline", kernel_esp(), "--no-warm")
    assert boot.rc == 3, boot.stderr
    assert boot.verdict == ("ERROR", "host")
    assert boot.result["reason"].startswith("target tiny-ram broken: baseline also failed: FAIL (code)")
    triage = boot.result["triage"]
    assert triage["baseline"]["verdict"] == "FAIL"
    assert triage["image_outcome"]["verdict"] == "FAIL"
    assert (tmp_path / "record" / "baseline" / "result.json").is_file()


def test_command_line_overrides_replace_the_targets_settings(tmp_path):
    # The ESP, not its BOOTX64.EFI alone: the kernel needs the initrd beside it.
    boot = run_boot(tmp_path, "--target", "q35-pflash", "--image", kernel_esp(),
                    "--machine", "pc", "--accel", "tcg", "--firmware-bios", "/usr/share/ovmf/OVMF.fd")
    assert boot.rc == 0, boot.stderr
    argv = boot.result["qemu"]["command"]
    assert argv[argv.index("-machine") + 1] == "pc"
    assert argv[argv.index("-bios") + 1] == "/usr/share/ovmf/OVMF.fd" and "if=pflash" not in " ".join(argv)
    assert boot.result["qemu"]["accel_reason"] == "requested tcg"
    assert list(boot.result["firmware"]) == ["bios"]


def test_qemu_refusing_the_firmware_is_an_error_not_a_fail(tmp_path):
    """A CODE flash image passes inspection but cannot be a -bios: QEMU exits at once."""
    boot = run_boot(tmp_path, "--target", "pc-bios", "--image", kernel_esp(),
                    "--firmware-bios", "/usr/share/OVMF/OVMF_CODE_4M.fd")
    assert boot.rc == 3, boot.stderr
    assert boot.verdict[0] == "ERROR"
    assert "QEMU failed to start" in boot.result["reason"] and "could not load PC BIOS" in boot.result["reason"]
    assert boot.result["duration_s"] < 5


def test_a_baseline_that_cannot_be_booted_leaves_the_fail_standing(tmp_path):
    broken_baseline = tmp_path / "not-an-esp"
    (broken_baseline / "EFI").mkdir(parents=True)
    boot = run_boot(tmp_path / "record", "--target", "pc-bios", "--image", variant_esp("shared-user-tables"),
                    "--baseline", broken_baseline)
    assert boot.rc == 1, boot.stderr
    assert boot.verdict == ("FAIL", "code")
    triage = boot.result["triage"]
    assert (triage["baseline"]["verdict"], triage["baseline"]["culprit"]) == ("ERROR", "lab")
    assert triage["rule"].startswith("baseline not conclusive")
