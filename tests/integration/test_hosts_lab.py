"""The lab across hosts: PostgreSQL, crossbar, the engine and ui masters, two QEMU worker hosts and
the board controller, each in its own network namespace with its own address and directory; a
build forced on the ui master fans its boots out over the hosts, both masters show it, and each
host holds only the secrets it needs (its files, its processes' argv and environment). Real
masters, workers, QEMU, ipmi_sim, dnsmasq (the board controller PXE-boots vboard-1 on its own lab
network), PostgreSQL, crossbar; needs root (`ip netns`).
"""
from __future__ import annotations

import pytest

from lab.hosts import LAB_NETWORK
from lab.inventory import load_inventory
from steps.auth import load_users
from workers.deploy.pxe import mac_dir
from tests.integration.hosts_support import files_holding, host_lab, host_processes, process_text

pytestmark = [pytest.mark.hosts, pytest.mark.slow, pytest.mark.qemu]


@pytest.fixture(scope="module")
def lab():
    with host_lab(qemu_hosts=2, cluster=True) as lab:
        yield lab


@pytest.fixture(scope="module")
def forced(lab):
    return lab.client("developer").force_and_wait("force-kernel", timeout_s=900)


def test_every_target_and_board_passes_and_the_boots_fan_out_over_the_hosts(lab, forced):
    assert forced.kernel_result == "success", forced.kernel_state
    inventory_boots = {b["target"]: b for b in forced.boots}
    assert set(inventory_boots) == {"q35-pflash", "pc-pflash", "q35-bios", "pc-bios", "vboard-1", "vboard-2", "rfboard-1",
                                    "pduboard-1"}
    for boot in forced.boots:
        assert (boot["result"], boot["verdict"]) == ("success", "PASS"), boot
    hosts = {lab.plan.host_of_worker(b["worker"]).name for b in forced.boots}
    assert hosts == {"qemu-1", "qemu-2", "boards"}, [(b["target"], b["worker"]) for b in forced.boots]
    # the workers reached the engine by its bridge address, each from its own; both masters show the builds
    workers = {w["name"]: w for w in lab.client(None).get("workers")["workers"]}
    assert all(w["connected_to"] for w in workers.values())
    ids = [sorted(b["buildid"] for b in lab.client(None, url).get("builds")["builds"]) for url in lab.web_urls()]
    assert ids[0] == ids[1] and len(ids[0]) == 1 + len(forced.boots), ids
    # the PXE board booted from the board controller's dnsmasq, on its lab network, not from QEMU's TFTP
    pxe = load_inventory(lab.inventory_path).board("vboard-1")
    log = (lab.host_dir("boards") / "state" / f"pxe-{LAB_NETWORK.interface}" / "dnsmasq.log").read_text(errors="replace")
    assert f"DHCPACK({LAB_NETWORK.interface})" in log and pxe.mac in log, log[-1500:]
    assert f"{mac_dir(pxe.mac)}/bootx64.efi" in log, log[-1500:]
    print(f"\nforced build across hosts: {forced.timing}; "
          + ", ".join(f"{b['target']} on {b['worker']}" for b in forced.boots))


def test_each_host_holds_only_its_own_secrets(lab, forced):
    boards_secrets = lab.host_dir("boards") / "secrets"
    bmc = {p.name: p.read_bytes().strip() for p in boards_secrets.iterdir() if not p.name.startswith("worker-")}
    assert sorted(bmc) == ["rfboard-1-bmc", "vboard-1-bmc", "vboard-1-sol", "vboard-2-bmc", "vboard-2-sol"]
    workers = {p.name: p.read_bytes().strip() for p in lab.master_secrets.iterdir() if p.name.startswith("worker-")}
    web = {f"web user {u.name}": u.password.encode() for u in load_users(lab.master_secrets)}
    for host in lab.plan.hosts:
        assert sorted(p.name for p in (lab.host_dir(host.name) / "secrets").iterdir()) == sorted(host.secrets)
        masters_side = host.role == "master"
        disks = [lab.host_dir(host.name)] + ([lab.cluster_dir] if masters_side else [])
        foreign = {name: value for name, value in {**bmc, **workers}.items()
                   if name not in host.secrets and not (masters_side and name.startswith("worker-"))}
        if not masters_side:
            foreign.update(web)
        pids = host_processes(lab, host.name)
        assert pids or host.role == "master", f"nothing runs on {host.name}"
        for name, value in foreign.items():
            for disk in disks:
                assert not files_holding(disk, value), f"{host.name}'s disk {disk} holds {name}"
            assert not [p for p in pids if value in process_text(p)], f"a process on {host.name} holds {name}"
    assert not files_holding(lab.inventory_path, bmc["vboard-1-bmc"])
