"""The other lanes, booted for real: Secure Boot with the lab's keys, Debian 13's QEMU and EDK2
from their own root, U-Boot's UEFI, and `bootlab environments` naming the environment that
differs. Needs `make deps` (scripts/install-envs.sh: the trixie root and the lab's keys)."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bootlab_support import BOOTLAB, REPO, kernel_esp, run_boot
from rustux_bootlab.lab.esp import BOOT_FILE
from rustux_bootlab.workers import secureboot_keys

pytestmark = pytest.mark.qemu
INVENTORY = yaml.safe_load((REPO / "lab-inventory.yaml").read_text())
TRIXIE_ROOT = Path(INVENTORY["environments"]["debian13"]["root"]).expanduser()


@pytest.fixture(scope="module", autouse=True)
def environments_installed():
    if not (TRIXIE_ROOT.parent / ".complete").exists() or not (secureboot_keys.keys_dir() / "db.key").exists():
        pytest.fail("the Debian 13 environment or the lab's Secure Boot keys are missing: run make deps")


@pytest.fixture(scope="module")
def signed_esp(tmp_path_factory) -> Path:
    """The kernel's ESP with BOOTX64.EFI signed by the lab (make kernel signs it: signing it again would
    add a second signature, which one `sbattach --remove` would not take off)."""
    esp = tmp_path_factory.mktemp("signed") / "esp"
    shutil.copytree(kernel_esp(), esp)
    if secureboot_keys.signer(esp / BOOT_FILE) != "lab":
        secureboot_keys.sign(kernel_esp() / BOOT_FILE, esp / BOOT_FILE)
    return esp


@pytest.fixture(scope="module")
def unsigned_esp(tmp_path_factory, signed_esp) -> Path:
    esp = tmp_path_factory.mktemp("unsigned") / "esp"
    shutil.copytree(signed_esp, esp)
    subprocess.run(["sbattach", "--remove", str(esp / BOOT_FILE)], check=True, capture_output=True)
    assert secureboot_keys.signer(esp / BOOT_FILE) == "unsigned"
    return esp


def test_a_signed_image_passes_under_secure_boot(tmp_path, signed_esp):
    boot = run_boot(tmp_path, "--target", "q35-secure-boot", "--image", signed_esp)
    assert boot.verdict == ("PASS", None), boot.stderr
    assert boot.result["secure_boot"] is True
    argv = boot.result["qemu"]["command"]
    assert argv[argv.index("-machine") + 1] == "q35,smm=on" and "driver=cfi.pflash01,property=secure,value=on" in argv


def test_an_unsigned_image_is_the_codes_fail_naming_secure_boot(tmp_path, unsigned_esp):
    boot = run_boot(tmp_path, "--target", "q35-secure-boot", "--image", unsigned_esp)
    assert boot.verdict == ("FAIL", "code"), boot.stderr
    reason = boot.result["reason"]
    assert reason.startswith("Secure Boot refused BOOTX64.EFI (the firmware said Boot0001") and "not signed" in reason
    assert "on the ESP?" not in reason


def test_the_labs_broken_signing_is_an_error_not_a_fail(tmp_path, signed_esp):
    # A template enrolling other keys than the ones the lab signs with: the lab's fault.
    wrong = tmp_path / "wrong-keys"
    wrong.mkdir()
    for name in secureboot_keys.KEYS:
        secureboot_keys.make_key(wrong, name)
    template = wrong / "vars.fd"
    secureboot_keys.enroll(secureboot_keys.VARS_SOURCE, template, {n: wrong / f"{n}.crt" for n in secureboot_keys.KEYS})
    boot = run_boot(tmp_path / "boot", "--target", "q35-secure-boot", "--image", signed_esp, "--firmware-vars", template)
    assert boot.verdict == ("ERROR", "lab"), boot.stderr
    assert "though the lab signed it" in boot.result["reason"] and "Access Denied" in boot.result["reason"]


def environments(tmp_path: Path, inventory: dict, *args: str | Path) -> tuple[int, dict, str]:
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(inventory))
    proc = subprocess.run([str(BOOTLAB), "environments", "--inventory", str(path), "--machine", "q35",
                           "--out", str(tmp_path / "out"), "--json", *map(str, args)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else {}, proc.stderr


def own_inventory() -> dict:
    inventory = yaml.safe_load((REPO / "lab-inventory.yaml").read_text())
    for target in inventory["targets"].values():
        target["milestones"] = str(REPO / "kernel/milestones.yaml")
    return inventory


def test_debian13_and_u_boot_boot_the_kernel(tmp_path, signed_esp):
    rc, result, stderr = environments(tmp_path, own_inventory(), "--targets", "q35-pflash-trixie,q35-uboot",
                                      "--image", signed_esp)
    assert rc == 0, stderr
    lanes = {lane["target"]: lane for lane in result["lanes"]}
    assert [lanes[t]["verdict"] for t in lanes] == ["PASS", "PASS"]
    assert lanes["q35-pflash-trixie"]["environment"] == "debian13"
    assert lanes["q35-pflash-trixie"]["qemu_version"].startswith("QEMU emulator version 10.")
    trixie = json.loads((tmp_path / "out" / "q35-pflash-trixie" / "result.json").read_text())
    assert trixie["environment"]["root"] == str(TRIXIE_ROOT)
    assert trixie["firmware"]["code"]["path"] == str(TRIXIE_ROOT / "usr/share/OVMF/OVMF_CODE_4M.fd")
    uboot = (tmp_path / "out" / "q35-uboot" / "debugcon.log").read_text()
    assert "firmware revision 0x20230100" in uboot  # U-Boot 2023.01's UEFI ran the kernel


def test_an_environment_whose_firmware_cannot_boot_is_its_error(tmp_path, signed_esp):
    # Debian 13's OVMF with a quarter of its code blanked: it passes the firmware checks and resets at once.
    code = bytearray((TRIXIE_ROOT / "usr/share/OVMF/OVMF_CODE_4M.fd").read_bytes())
    code[len(code) // 4: len(code) // 2] = b"\xff" * (len(code) // 2 - len(code) // 4)
    broken = tmp_path / "OVMF_CODE_4M.broken.fd"
    broken.write_bytes(bytes(code))
    inventory = own_inventory()
    inventory["environments"]["debian13"]["firmware"]["ovmf-4m-trixie"]["code"] = str(broken)
    rc, result, stderr = environments(tmp_path, inventory, "--targets", "q35-pflash,q35-pflash-trixie",
                                      "--image", signed_esp, "--golden", signed_esp)
    assert rc == 3, stderr
    lanes = {lane["target"]: lane for lane in result["lanes"]}
    assert lanes["q35-pflash"]["verdict"] == "PASS"
    bad = lanes["q35-pflash-trixie"]
    assert (bad["verdict"], bad["culprit"]) == ("ERROR", "firmware")
    assert bad["reason"].startswith("on q35-pflash-trixie (debian13, QEMU emulator version 10.")
    assert "passes on q35-pflash (debian12, QEMU emulator version 7.2" in bad["reason"]
