"""lab-inventory.yaml: the real one loads; broken ones say file:line: key: what is expected."""
import re
from pathlib import Path

import pytest

from rustux_bootlab.lab.arch import ARCHES
from rustux_bootlab.lab.inventory import InventoryError, load_inventory

REPO = Path(__file__).resolve().parents[2]
REAL = REPO / "lab-inventory.yaml"


def test_real_inventory_declares_the_four_qemu_targets():
    inv = load_inventory(REAL)
    assert {"q35-pflash", "pc-pflash", "q35-bios", "pc-bios"} <= set(inv.targets)
    q35 = inv.target("q35-pflash")
    assert q35.machine == "q35" and q35.firmware.mode == "pflash"
    assert q35.firmware.code.name == "OVMF_CODE_4M.fd" and q35.firmware.vars.name == "OVMF_VARS_4M.fd"
    assert inv.target("pc-bios").firmware.files() == {"bios": Path("/usr/share/ovmf/OVMF.fd")}
    for t in inv.targets.values():
        assert t.accel in ("auto", "tcg") and 256 <= t.memory_mb <= 512 and t.enabled
        assert t.milestones == REPO / "kernel" / ARCHES[t.arch].spec
        assert t.worker in inv.workers
    assert set(inv.boards) == {"vboard-1", "vboard-2", "rfboard-1", "pduboard-1"}
    assert [b.bmc.protocol for b in inv.boards.values()] == ["ipmi", "ipmi", "redfish", "pdu"]
    assert [b.deploy.method for b in inv.boards.values()] == ["pxe", "usb", "virtual-media", "usb"]


def test_unknown_target_suggests_the_closest():
    inv = load_inventory(REAL)
    with pytest.raises(InventoryError, match=r"unknown target 'q35-pflsh' \(did you mean 'q35-pflash'\?\)"):
        inv.target("q35-pflsh")


def broken(tmp_path, old, new):
    text = REAL.read_text()
    assert old in text, old
    p = tmp_path / "lab-inventory.yaml"
    p.write_text(text.replace(old, new, 1))
    return p


def line_of(text):
    return REAL.read_text().splitlines().index(text) + 1


@pytest.mark.parametrize(
    "old, new, key, message",
    [
        ("    machine: q35", "    machine: q53", "targets.q35-pflash.machine", "'q53' is not one of q35, pc, virt (did you mean 'q35'?)"),
        ("    memory_mb: 256", "    memory_mb: lots", "targets.q35-pflash.memory_mb", "expected an integer, got 'lots'"),
        ("    accel: auto", "    accel: hvf", "targets.q35-pflash.accel", "'hvf' is not one of auto, kvm, tcg"),
        ("    boot_timeout_s: 90", "    boot_timout_s: 90", "targets.q35-pflash.boot_timout_s", "unknown key (did you mean 'boot_timeout_s'?); valid keys: machine, firmware, memory_mb, accel, boot_timeout_s, worker, enabled, milestones, warm, environment, secure_boot, nightly, arch"),
        ("    worker: local-qemu", "    worker: local-qmeu", "targets.q35-pflash.worker", "'local-qmeu' is not one of local-qemu, vboard-1-ctl, vboard-2-ctl, rfboard-1-ctl, pduboard-1-ctl (did you mean 'local-qemu'?)"),
        ("    kind: qemu", "    kind: vm", "workers.local-qemu.kind", "'vm' is not one of qemu, board-controller"),
        ("    max_builds: 2", "    max_builds: 0", "workers.local-qemu.max_builds", "must be at least 1, got 0"),
    ],
)
def test_broken_inventories(tmp_path, old, new, key, message):
    p = broken(tmp_path, old, new)
    with pytest.raises(InventoryError) as e:
        load_inventory(p)
    assert str(e.value) == f"{p}:{line_of(old)}: {key}: {message}"


def test_missing_firmware_file_names_the_targets(tmp_path):
    p = broken(tmp_path, "    bios: /usr/share/ovmf/OVMF.fd", "    bios: /usr/share/ovmf/OVMF-missing.fd")
    with pytest.raises(InventoryError) as e:
        load_inventory(p)
    assert str(e.value) == (
        f"{p}:{line_of('    bios: /usr/share/ovmf/OVMF.fd')}: firmware.ovmf-bios.bios: /usr/share/ovmf/OVMF-missing.fd "
        "does not exist (needed by targets q35-bios, pc-bios): install the ovmf package or fix the path"
    )
    assert load_inventory(p, check_files=False).targets["pc-bios"].firmware.bios.name == "OVMF-missing.fd"


def test_unknown_firmware_set(tmp_path):
    p = broken(tmp_path, "firmware: {set: ovmf-bios, mode: bios}", "firmware: {set: ovmf-bois, mode: bios}")
    with pytest.raises(InventoryError, match=r"targets\.q35-bios\.firmware\.set: 'ovmf-bois' is not one of ovmf-4m, ovmf-bios, u-boot, aavmf, ovmf-4m-secboot-lab, ovmf-4m-trixie, ovmf-4m-strictnx-lab \(did you mean 'ovmf-bios'\?\)"):
        load_inventory(p)


def test_mode_must_fit_the_set(tmp_path):
    p = broken(tmp_path, "firmware: {set: ovmf-bios, mode: bios}", "firmware: {set: ovmf-bios, mode: pflash}")
    with pytest.raises(InventoryError, match=r"firmware set 'ovmf-bios' has no code/vars for pflash"):
        load_inventory(p)


def test_missing_required_target_key(tmp_path):
    p = broken(tmp_path, "    memory_mb: 512\n    accel: tcg\n", "    accel: tcg\n")
    with pytest.raises(InventoryError, match=r":\d+: targets\.q35-bios: missing required key 'memory_mb'"):
        load_inventory(p)


def test_duplicate_target_name(tmp_path):
    p = broken(tmp_path, "  pc-bios:", "  q35-bios:")
    with pytest.raises(InventoryError, match=r"targets\.q35-bios: duplicate key \(first at line \d+\)"):
        load_inventory(p)


def test_bad_target_name(tmp_path):
    p = broken(tmp_path, "  pc-bios:", "  PC_bios:")
    with pytest.raises(InventoryError, match=r"targets\.PC_bios: not a valid name"):
        load_inventory(p)


def test_code_without_vars(tmp_path):
    p = broken(tmp_path, "    vars: /usr/share/OVMF/OVMF_VARS_4M.fd\n", "")
    with pytest.raises(InventoryError, match=r"firmware\.ovmf-4m: code and vars go together"):
        load_inventory(p)


def test_top_level_typo(tmp_path):
    p = broken(tmp_path, "targets:", "tragets:")
    with pytest.raises(InventoryError, match=re.escape("tragets: unknown key (did you mean 'targets'?)")):
        load_inventory(p)


def test_relative_paths_are_relative_to_the_inventory(tmp_path):
    p = broken(tmp_path, "    worker: local-qemu\n  pc-pflash:", "    worker: local-qemu\n    milestones: specs/k.yaml\n  pc-pflash:")
    assert load_inventory(p).target("q35-pflash").milestones == tmp_path / "specs" / "k.yaml"


def test_relative_paths_resolve_against_the_inventory_not_the_cwd(monkeypatch):
    # The vboard supervisor changes directory; a path left relative would point elsewhere.
    monkeypatch.chdir(REPO)
    inv = load_inventory(Path("lab-inventory.yaml"))
    assert inv.board("vboard-2").deploy.device == REPO / "build/lab/vboard-2/usb.img"
    assert inv.target("q35-pflash").milestones == REPO / "kernel" / "milestones.yaml"
