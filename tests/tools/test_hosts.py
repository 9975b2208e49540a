"""lab/hosts.py: the address plan, which secrets each host gets, the inventory across hosts."""
import ipaddress
from pathlib import Path

import pytest
import yaml

from rustux_bootlab.lab.hosts import LAB_NETWORK, HostPlanError, free_subnet, hosts_inventory, plan_hosts
from rustux_bootlab.lab.inventory import InventoryError, load_inventory

REPO = Path(__file__).resolve().parents[2]
SUBNET = ipaddress.ip_network("10.209.3.0/24")


def across_hosts(tmp_path: Path, qemu_hosts: int = 2):
    base = yaml.safe_load((REPO / "lab-inventory.yaml").read_text())
    for t in base["targets"].values():
        t["milestones"] = str(REPO / "kernel/milestones.yaml")
    for b in base["boards"].values():
        b["milestones"] = str(REPO / "kernel/milestones.yaml")
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(hosts_inventory(base, qemu_hosts, str(tmp_path / "boards"))))
    return load_inventory(path)


def test_every_target_may_boot_on_every_qemu_host_and_its_home_is_the_first(tmp_path):
    inv = across_hosts(tmp_path, 3)
    assert [w for w, spec in inv.workers.items() if spec.kind == "qemu"] == ["qemu-1", "qemu-2", "qemu-3"]
    for t in inv.targets.values():
        assert t.boot_workers == ("qemu-1", "qemu-2", "qemu-3") and t.worker == "qemu-1"
    assert inv.board("vboard-2").deploy.device == tmp_path / "boards" / "vboard-2" / "usb.img"
    assert inv.board("pduboard-1").deploy.device == tmp_path / "boards" / "pduboard-1" / "usb.img"
    assert {b.worker for b in inv.boards.values()} == {"vboard-1-ctl", "vboard-2-ctl", "rfboard-1-ctl", "pduboard-1-ctl"}


def test_a_virtual_pxe_board_boots_on_the_controllers_lab_network_from_its_dnsmasq(tmp_path):
    pxe = across_hosts(tmp_path, 1).board("vboard-1").deploy
    assert (pxe.method, pxe.dhcp, pxe.interface) == ("pxe", "full", LAB_NETWORK.interface)


def test_addresses_one_per_host_on_the_subnet(tmp_path):
    plan = plan_hosts("ab12", SUBNET, across_hosts(tmp_path), cluster=False)
    assert [(h.name, h.address) for h in plan.hosts] == [
        ("master", "10.209.3.4"), ("boards", "10.209.3.10"), ("qemu-1", "10.209.3.11"), ("qemu-2", "10.209.3.12")]
    assert plan.bridge_address == "10.209.3.1" and plan.namespace("qemu-2") == "rblab12-qemu-2"
    assert all(len(name) <= 15 for name in [plan.bridge, *(plan.veth(h.name) for h in plan.hosts)])
    assert len({plan.veth(h.name) for h in plan.hosts}) == len(plan.hosts)
    cluster = plan_hosts("ab12", SUBNET, across_hosts(tmp_path), cluster=True)
    assert [h.address for h in cluster.of_role("master")] == ["10.209.3.2", "10.209.3.3", "10.209.3.4", "10.209.3.5"]


def test_a_qemu_host_holds_its_worker_password_only_and_the_controller_its_boards(tmp_path):
    plan = plan_hosts("ab12", SUBNET, across_hosts(tmp_path), cluster=False)
    assert plan.host("qemu-1").secrets == ("worker-qemu-1",)
    assert plan.host("boards").secrets == ("rfboard-1-bmc", "vboard-1-bmc", "vboard-1-sol", "vboard-2-bmc", "vboard-2-sol",
                                           "worker-pduboard-1-ctl", "worker-rfboard-1-ctl", "worker-vboard-1-ctl",
                                           "worker-vboard-2-ctl")
    assert plan.host("master").secrets == ()  # the master's own secrets live apart: never a BMC's
    assert plan.host_of_worker("vboard-2-ctl").name == "boards"


def test_free_subnet_skips_what_is_routed_and_what_other_labs_took():
    routed = [ipaddress.ip_network("192.0.2.0/24"), ipaddress.ip_network("10.209.0.0/23")]
    assert free_subnet(routed) == ipaddress.ip_network("10.209.2.0/24")
    with pytest.raises(HostPlanError, match="make demo-stop"):
        free_subnet([ipaddress.ip_network("10.0.0.0/8")])


def test_bad_plans_say_what_to_change(tmp_path):
    inv = across_hosts(tmp_path)
    with pytest.raises(HostPlanError, match="up to 4"):
        plan_hosts("toolong", SUBNET, inv, cluster=False)
    with pytest.raises(HostPlanError, match="at least a /24"):
        plan_hosts("ab12", ipaddress.ip_network("10.209.3.0/25"), inv, cluster=False)
    with pytest.raises(HostPlanError, match="at least one"):
        hosts_inventory({"workers": {}}, 0, "x")
    with pytest.raises(HostPlanError, match="no host 'qemu-9'"):
        plan_hosts("ab12", SUBNET, inv, cluster=False).host("qemu-9")


def test_a_target_on_a_board_controller_among_several_workers_is_refused(tmp_path):
    text = (REPO / "lab-inventory.yaml").read_text().replace(
        "    worker: local-qemu\n  pc-pflash:", "    worker: [local-qemu, vboard-1-ctl]\n  pc-pflash:", 1)
    (tmp_path / "inv.yaml").write_text(text)
    with pytest.raises(InventoryError, match="vboard-1-ctl: not a qemu worker"):
        load_inventory(tmp_path / "inv.yaml")
    (tmp_path / "inv.yaml").write_text(text.replace("[local-qemu, vboard-1-ctl]", "[local-qemu, local-qemu]"))
    with pytest.raises(InventoryError, match="named twice"):
        load_inventory(tmp_path / "inv.yaml")
