"""lab/bootpath.py: one test per row of the default-path table, and the real inventory's choice."""
from pathlib import Path

from rustux_bootlab.lab.bootpath import PathFacts, cold_reason
from rustux_bootlab.lab.inventory import load_inventory

REPO = Path(__file__).resolve().parents[2]
PLAIN = PathFacts("q35-pflash", secure_boot=False, bios=None, environment_root=None)


def facts(**changes) -> PathFacts:
    return PathFacts(**{**PLAIN.__dict__, **changes})


def test_row1_the_inventory_says_warm_or_cold_whatever_the_rest():
    assert cold_reason(facts(warm=False)) == "lab-inventory.yaml sets warm: false for q35-pflash"
    assert cold_reason(facts(warm=True, secure_boot=True)) == ""


def test_row2_secure_boot_boots_cold():
    assert "enforces Secure Boot: the firmware would refuse the unsigned resident loader" in \
        cold_reason(facts(secure_boot=True))


def test_row3_u_boot_boots_cold():
    reason = cold_reason(facts(bios=Path("/usr/lib/u-boot/qemu-x86_64/u-boot.rom")))
    assert "runs U-Boot (u-boot.rom): it has no -kernel EFI loader" in reason


def test_row4_another_environments_qemu_boots_cold():
    reason = cold_reason(facts(environment_root=Path("/env/trixie/root"), environment="debian13"))
    assert reason == "q35-pflash runs environment debian13's QEMU: the warm lane is checked on the host's QEMU only"


def test_row5_otherwise_warm_and_ovmf_as_bios_is_no_u_boot():
    assert cold_reason(PLAIN) == ""
    assert cold_reason(facts(bios=Path("/usr/share/ovmf/OVMF.fd"))) == ""


def test_the_real_inventory_boots_the_per_push_targets_warm_and_says_why_the_others_are_cold():
    targets = load_inventory(REPO / "lab-inventory.yaml").targets
    assert {n for n, t in targets.items() if t.warm} == {"q35-pflash", "pc-pflash", "q35-bios", "pc-bios", "virt-aavmf"}
    for name, t in targets.items():
        assert bool(t.cold_reason) != t.warm, name
    assert "U-Boot" in targets["q35-uboot"].cold_reason and "Secure Boot" in targets["q35-secure-boot"].cold_reason
