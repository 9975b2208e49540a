"""The `bootlab` CLI without booting: help, targets, usage errors, firmware reports, MISS."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from bootlab_support import BOOTLAB, REPO, run_boot
from rustux_bootlab.workers.bootlab import main as bootlab_main
from rustux_bootlab.workers.bootlab import boot as boot_command


def bootlab(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BOOTLAB), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("command", [[], ["boot"], ["targets"], ["inspect-firmware"]])
def test_every_command_has_help_with_examples(command):
    proc = bootlab(*command, "--help")
    assert proc.returncode == 0
    assert "examples:" in proc.stdout and "bootlab " in proc.stdout.split("examples:")[1]


def test_targets_lists_the_inventory():
    proc = bootlab("targets")
    assert proc.returncode == 0
    header, *rows = proc.stdout.splitlines()
    assert header.split()[:3] == ["TARGET", "MACHINE", "FIRMWARE"]
    assert [r.split()[0] for r in rows] == list(yaml.safe_load((REPO / "lab-inventory.yaml").read_text())["targets"])


def test_an_unknown_target_is_one_line_with_a_suggestion():
    proc = bootlab("boot", "--target", "q53-pflash", "--image", "build")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "did you mean 'q35-pflash'" in proc.stderr


def test_a_bad_inventory_names_file_line_and_key(tmp_path):
    inventory = (REPO / "lab-inventory.yaml").read_text().replace("machine: q35", "machine: q53", 1)
    path = tmp_path / "lab-inventory.yaml"
    path.write_text(inventory)
    proc = bootlab("boot", "--inventory", path, "--target", "q35-pflash", "--image", "build")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    line = next(i for i, text in enumerate(inventory.splitlines(), 1) if "machine: q53" in text)
    assert f"lab-inventory.yaml:{line}: targets.q35-pflash.machine" in proc.stderr


@pytest.mark.parametrize("args, message", [
    (["--image", "no/such/esp"], "--image no/such/esp does not exist"),
    (["--image", "build", "--timeout", "0"], "--timeout 0: must be a positive number"),
    (["--image", "build", "--milestones", "no/such.yaml"], "milestone spec no/such.yaml does not exist"),
])
def test_usage_errors_exit_2(args, message):
    proc = bootlab("boot", "--target", "q35-pflash", *args)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_inspect_firmware_reports_identity_and_problems(tmp_path):
    good = bootlab("inspect-firmware", "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd")
    assert good.returncode == 0 and good.stdout.rstrip().endswith("firmware OK")
    assert good.stdout.count("sha256 ") == 2
    zero = tmp_path / "OVMF.fd"
    zero.write_bytes(bytes(2 << 20))
    bad = bootlab("inspect-firmware", "/usr/share/ovmf/OVMF.fd", zero)
    assert bad.returncode == 3
    assert "OVMF.fd is zero-filled" in bad.stdout and "firmware OK" in bad.stdout


def test_inspect_firmware_checks_an_aavmf_pair_as_virts(tmp_path):
    good = bootlab("inspect-firmware", "/usr/share/AAVMF/AAVMF_CODE.fd", "/usr/share/AAVMF/AAVMF_VARS.fd")
    assert good.returncode == 0 and good.stdout.rstrip().endswith("firmware OK") and "warning" not in good.stdout
    short = tmp_path / "AAVMF_CODE.fd"
    short.write_bytes(Path("/usr/share/AAVMF/AAVMF_CODE.fd").read_bytes()[: 2 << 20])
    bad = bootlab("inspect-firmware", short, "/usr/share/AAVMF/AAVMF_VARS.fd")
    assert bad.returncode == 3 and "virt's flash banks are 64 MiB" in bad.stdout


def test_a_disabled_target_is_a_miss(tmp_path):
    inventory = yaml.safe_load((REPO / "lab-inventory.yaml").read_text())
    inventory["targets"]["pc-bios"]["enabled"] = False
    inventory["targets"]["pc-bios"]["milestones"] = str(REPO / "kernel" / "milestones.yaml")
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(inventory))
    boot = run_boot(tmp_path / "record", "--inventory", path, "--target", "pc-bios", "--image", REPO / "kernel")
    assert boot.rc == 4
    assert boot.verdict == ("MISS", "lab")
    assert json.loads((tmp_path / "record" / "result.json").read_text())["reason"].endswith("disabled in the inventory")


def test_a_runner_crash_is_error_lab_never_fail(tmp_path, monkeypatch, capsys):
    """Python's own exit status for an uncaught exception is 1, which would read as FAIL."""
    def crash(*args, **kwargs):
        raise RuntimeError("simulated runner bug")

    monkeypatch.setattr(boot_command, "boot_with_triage", crash)
    rc = bootlab_main(["boot", "--inventory", str(REPO / "lab-inventory.yaml"), "--target", "pc-bios",
                   "--milestones", str(REPO / "kernel" / "milestones.yaml"), "--image", str(REPO / "kernel"),
                   "--out", str(tmp_path), "--json"])
    out, err = capsys.readouterr()
    assert rc == 3
    result = json.loads(out)
    assert (result["verdict"], result["culprit"]) == ("ERROR", "lab")
    assert "simulated runner bug" in result["reason"] and "RuntimeError" in err
    assert json.loads((tmp_path / "result.json").read_text()) == result
