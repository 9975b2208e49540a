"""A QEMU host of another distribution (harness/hostdistro.py): what its worker's mount namespace
covers, and an environment that cannot stand in for a host refused with what to do. The mounts
themselves are exercised by tests/integration/test_hosts_lab.py (a Debian 13 QEMU host)."""
from __future__ import annotations

from pathlib import Path

import pytest

from rustux_bootlab.lab.environment import Environment
from rustux_bootlab.harness.hostdistro import HostDistroError, binds, prefix


def root_of(tmp_path: Path) -> Environment:
    root = tmp_path / "root"
    for p in ("usr/share/OVMF", "usr/share/ovmf", "usr/lib"):
        (root / p).mkdir(parents=True)
    (root / "usr/lib/os-release").write_text("ID=debian\nVERSION_ID=\"13\"\n")
    (tmp_path / "qemu-system-x86_64").write_text("#!/bin/sh\n")
    return Environment("debian13", str(tmp_path / "qemu-system-x86_64"), root)


def test_the_roots_qemu_firmware_and_os_release_cover_the_hosts(tmp_path):
    env = root_of(tmp_path)
    assert binds(env) == [(tmp_path / "qemu-system-x86_64", Path("/usr/bin/qemu-system-x86_64")),
                          (env.root / "usr/share/OVMF", Path("/usr/share/OVMF")),
                          (env.root / "usr/share/ovmf", Path("/usr/share/ovmf")),
                          (env.root / "usr/lib/os-release", Path("/usr/lib/os-release"))]
    sh = prefix(env)
    assert sh[:2] == ["sh", "-c"] and sh[2].endswith('&& exec "$@"') and sh[2].count("mount --bind") == 4


def test_an_environment_without_a_root_or_with_a_missing_one_is_refused_with_the_fix(tmp_path):
    with pytest.raises(HostDistroError, match="no root of its own"):
        binds(Environment("debian12", "qemu-system-x86_64"))
    with pytest.raises(HostDistroError, match="install-envs.sh"):
        binds(Environment("debian13", "qemu-system-x86_64", tmp_path / "nowhere"))
    env = root_of(tmp_path)
    (env.root / "usr/lib/os-release").unlink()
    with pytest.raises(HostDistroError, match="os-release does not exist: run scripts/install-envs.sh"):
        binds(env)


def test_the_host_lab_refuses_a_host_or_environment_it_does_not_have_before_making_anything(tmp_path):
    from rustux_bootlab.lab.hosts import HostPlanError
    from rustux_bootlab.harness.host_lab import create
    for wrong in ({"qemu-3": "debian13"}, {"boards": "debian13"}, {"qemu-2": "debian14"}):
        with pytest.raises(HostPlanError, match="a QEMU host .qemu-1, qemu-2. and an environment of the inventory"):
            create(tmp_path / "lab", 2, distributions=wrong)
        assert not (tmp_path / "lab" / "plan.json").exists()


def test_a_host_of_another_distribution_takes_no_boot_whose_qemu_its_root_lacks(tmp_path):
    import yaml

    from rustux_bootlab.lab.inventory import load_inventory
    from rustux_bootlab.harness.hostdistro import placed
    env = root_of(tmp_path)
    (env.root / "usr/bin").mkdir()
    (env.root / "usr/bin/qemu-system-x86_64").write_text("")  # as Debian 13's root: x86 only
    data = yaml.safe_load((Path(__file__).resolve().parents[2] / "lab-inventory.yaml").read_text())
    data["environments"]["debian13"].update(root=str(env.root), qemu=env.qemu)
    (tmp_path / "inventory.yaml").write_text(yaml.safe_dump(data))
    inventory = load_inventory(tmp_path / "inventory.yaml")
    both = {name: {"worker": ["qemu-1", "qemu-2"], "machine": "any"} for name in ("q35-pflash", "virt-aavmf", "q35-pflash-trixie")}
    assert placed(both, inventory, {"qemu-2": "debian13"}) == {
        "q35-pflash": {"worker": ["qemu-1", "qemu-2"], "machine": "any"},  # the host's own QEMU: its root has x86's
        "virt-aavmf": {"worker": ["qemu-1"], "machine": "any"},  # no qemu-system-aarch64 in the root
        "q35-pflash-trixie": {"worker": ["qemu-1", "qemu-2"], "machine": "any"}}  # runs from its own root anywhere
    with pytest.raises(HostDistroError, match="target virt-aavmf: no QEMU host can run qemu-system-aarch64: qemu-1, qemu-2 lack it"):
        placed(both, inventory, {"qemu-1": "debian13", "qemu-2": "debian13"})
