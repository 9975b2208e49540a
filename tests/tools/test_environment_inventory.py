"""Environments in lab-inventory.yaml (lab/environment.py): which QEMU a target runs on."""
from pathlib import Path

import pytest
import yaml

from rustux_bootlab.lab.environment import HOST, distribution, ran_on
from rustux_bootlab.lab.inventory import InventoryError, load_inventory

REPO = Path(__file__).resolve().parents[2]
REAL = REPO / "lab-inventory.yaml"


def write(tmp_path, data) -> Path:
    p = tmp_path / "lab-inventory.yaml"
    p.write_text(yaml.safe_dump(data))
    return p


def test_targets_name_their_environment_and_the_first_is_the_default():
    inv = load_inventory(REAL)
    assert list(inv.environments) == ["debian12", "debian12-arm64", "debian13"]
    assert inv.target("q35-pflash").environment.name == "debian12"
    assert inv.target("q35-pflash").environment.qemu == "qemu-system-x86_64"
    trixie = inv.target("q35-pflash-trixie")
    root = Path("~/.cache/rustux-bootlab/env/trixie/root").expanduser()
    assert trixie.environment.root == root
    assert trixie.firmware.code == root / "usr/share/OVMF/OVMF_CODE_4M.fd"  # relative to the environment's root
    assert inv.firmware["ovmf-4m-trixie"].environment == "debian13"
    assert inv.target("q35-secure-boot").secure_boot and not inv.target("q35-pflash").secure_boot


def test_an_inventory_without_environments_runs_the_hosts_qemu(tmp_path):
    data = yaml.safe_load(REAL.read_text())
    del data["environments"]
    data["targets"] = {"q35-pflash": data["targets"]["q35-pflash"]}
    inv = load_inventory(write(tmp_path, data))
    assert inv.target("q35-pflash").environment == HOST and list(inv.environments) == ["host"]


def test_an_unknown_environment_is_named(tmp_path):
    data = yaml.safe_load(REAL.read_text())
    data["targets"]["q35-pflash"]["environment"] = "debian14"
    with pytest.raises(InventoryError, match=r"targets.q35-pflash.environment: 'debian14' is not one of debian12, debian12-arm64, debian13"):
        load_inventory(write(tmp_path, data))


def test_a_firmware_set_declared_twice_is_refused(tmp_path):
    data = yaml.safe_load(REAL.read_text())
    data["environments"]["debian13"]["firmware"]["ovmf-4m"] = {"bios": "usr/share/qemu/OVMF.fd"}
    with pytest.raises(InventoryError, match=r"firmware set 'ovmf-4m' is declared twice"):
        load_inventory(write(tmp_path, data))


def test_secure_boot_needs_q35_and_pflash(tmp_path):
    data = yaml.safe_load(REAL.read_text())
    data["targets"]["pc-bios"]["secure_boot"] = True
    with pytest.raises(InventoryError, match=r"Secure Boot needs machine: q35 \(SMM\) and firmware mode: pflash"):
        load_inventory(write(tmp_path, data))


def test_a_missing_root_is_the_boots_error_not_the_inventorys(tmp_path):
    data = yaml.safe_load(REAL.read_text())
    data["environments"]["debian13"]["root"] = str(tmp_path / "nowhere")
    inv = load_inventory(write(tmp_path, data))  # every other target still boots
    assert inv.target("q35-pflash-trixie").environment.missing() == (
        f"environment debian13: its root {tmp_path / 'nowhere'} does not exist: run scripts/install-envs.sh (make deps)")


def test_a_boot_ran_on_its_roots_environment_or_else_on_the_hosts_distribution():
    trixie = "PRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\nID=debian\nVERSION_ID=\"13\"\n"
    assert distribution(trixie) == "debian13"
    assert distribution("# nothing known\n") is None
    greeting = "QEMU emulator version 10.0.13 (Debian 1:10.0.13+ds-0+deb13u1)"
    own = {"name": "debian12", "qemu": "qemu-system-x86_64", "root": None, "host": "debian13"}
    assert ran_on(own, greeting) == {"name": "debian13", "qemu": "10.0.13"}  # a Debian 13 host's own QEMU
    rooted = {"name": "debian13", "qemu": "/r/qemu", "root": "/r", "host": "debian12"}
    assert ran_on(rooted, "QEMU emulator version 10.0.13") == {"name": "debian13", "qemu": "10.0.13"}
    assert ran_on({**own, "host": None}, None) == {"name": "debian12", "qemu": None}
    assert ran_on(None, greeting) is None  # a board's boot
