"""The lab across hosts: which host runs what, at which address, holding which secrets.

A host plan is pure data: the bridge's subnet, one address per host, the workers each host
runs and the names of the secrets it may hold. `harness/host_lab.py` makes it real with
network namespaces on one machine (each host its own namespace and directory); on a real
fleet the same plan reads as machines on a lab network (docs/fleet.md).

Roles and their secrets (the rule a test checks on every host's files and processes):
  qemu     one QEMU worker; holds its own worker password only (never a BMC's)
  boards   the board controller: the board workers, virtual boards (ipmi_sim + QEMU), their
           BMC and SOL passwords, each board worker's password, and the boards' lab network
           (`LAB_NETWORK`, a bridge of its own) with the lab's dnsmasq serving their PXE boots
  master   a Buildbot master (or `db`, `router`, `engine`, `ui` of a cluster): the masters'
           secrets live in their own directory (web users, worker passwords, database), never
           a BMC or SOL password
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from rustux_bootlab.lab.inventory import Inventory

QEMU_ROLE, BOARDS_ROLE, MASTER_ROLE = "qemu", "boards", "master"
BRIDGE_HOST = 1  # the bridge's own address in the root namespace (the operator's machine)
# Fixed host numbers: the masters' side first, the board controller, then QEMU hosts.
SERVICE_HOSTS = {"db": 2, "router": 3, "engine": 4, "ui": 5}
SINGLE_MASTER = ("master", 4)
BOARDS_HOST = ("boards", 10)
FIRST_QEMU_HOST = 11
MAX_QEMU_HOSTS = 200
SUPERNET = ipaddress.IPv4Network("10.209.0.0/16")


@dataclass(frozen=True)
class LabNetwork:
    """The board controller's own network to its boards, apart from the hosts' bridge: boards
    PXE-boot on it from the controller's dnsmasq (full DHCP: nothing else answers there)."""

    interface: str
    subnet: str
    address: str  # the controller's, on `interface`
    pool: tuple[str, str]  # what dnsmasq hands out


LAB_NETWORK = LabNetwork("lab0", "10.77.0.0/24", "10.77.0.1/24", ("10.77.0.100", "10.77.0.199"))


class HostPlanError(ValueError):
    """A plan that cannot be made; the message says what to change."""


@dataclass(frozen=True)
class Host:
    name: str
    role: str
    address: str
    workers: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()  # names of the secret files this host holds


@dataclass(frozen=True)
class HostPlan:
    tag: str  # short, per lab, so a test's lab runs beside the demo's
    subnet: ipaddress.IPv4Network
    hosts: tuple[Host, ...]

    @property
    def bridge(self) -> str:
        return f"rb{self.tag}br"

    @property
    def bridge_address(self) -> str:
        return str(self.subnet.network_address + BRIDGE_HOST)

    def namespace(self, host: str) -> str:
        return f"rbl{self.tag}-{host}"

    def veth(self, host: str) -> str:
        """The root side of the host's link (interface names have at most 15 characters)."""
        return f"rb{self.tag}{self.host(host).address.rsplit('.', 1)[1]}"

    def host(self, name: str) -> Host:
        for h in self.hosts:
            if h.name == name:
                return h
        raise HostPlanError(f"no host {name!r} in the plan; hosts: {', '.join(h.name for h in self.hosts)}")

    def of_role(self, role: str) -> list[Host]:
        return [h for h in self.hosts if h.role == role]

    def host_of_worker(self, worker: str) -> Host:
        for h in self.hosts:
            if worker in h.workers:
                return h
        raise HostPlanError(f"worker {worker!r} runs on no host of the plan")


def qemu_host_name(n: int) -> str:
    return f"qemu-{n}"


def board_secrets(inventory: Inventory) -> list[str]:
    """Every BMC, SOL and deploy-host secret the inventory's boards name."""
    names: list[str] = []
    for b in inventory.boards.values():
        if b.bmc.credentials.password_secret:  # a PDU (pdudaemon) has no login
            names.append(b.bmc.credentials.password_secret)
        if b.console.credentials is not None:
            names.append(b.console.credentials.password_secret)
        ssh = b.deploy.host
        if ssh is not None:
            names += [s for s in (ssh.password_secret, ssh.key_secret) if s]
    return sorted(set(names))


def worker_secret(worker: str) -> str:
    return f"worker-{worker}"


def plan_hosts(tag: str, subnet: ipaddress.IPv4Network, inventory: Inventory, cluster: bool) -> HostPlan:
    """The plan for an inventory made by `hosts_inventory`: its qemu workers one per host,
    its board-controller workers together on the board controller."""
    if not re.fullmatch(r"[a-z0-9]{1,4}", tag):
        raise HostPlanError(f"tag {tag!r}: up to 4 lower-case letters or digits (interface names are short)")
    if subnet.prefixlen > 24:
        raise HostPlanError(f"subnet {subnet}: needs at least a /24 (hosts .1 to .{FIRST_QEMU_HOST + MAX_QEMU_HOSTS})")
    base = subnet.network_address

    def at(n: int) -> str:
        return str(base + n)

    hosts = [Host(name, MASTER_ROLE, at(n)) for name, n in (SERVICE_HOSTS.items() if cluster else [SINGLE_MASTER])]
    controllers = tuple(w.name for w in inventory.workers.values() if w.kind == "board-controller")
    if controllers:
        hosts.append(Host(BOARDS_HOST[0], BOARDS_ROLE, at(BOARDS_HOST[1]), controllers,
                          tuple(sorted([worker_secret(w) for w in controllers] + board_secrets(inventory)))))
    qemu = [w.name for w in inventory.workers.values() if w.kind == "qemu"]
    if len(qemu) > MAX_QEMU_HOSTS:
        raise HostPlanError(f"{len(qemu)} QEMU workers: at most {MAX_QEMU_HOSTS} hosts fit the plan")
    hosts += [Host(w, QEMU_ROLE, at(FIRST_QEMU_HOST + i), (w,), (worker_secret(w),)) for i, w in enumerate(qemu)]
    return HostPlan(tag, subnet, tuple(hosts))


def free_subnet(routed: Iterable[ipaddress.IPv4Network], taken: Iterable[ipaddress.IPv4Network] = ()) -> ipaddress.IPv4Network:
    """The first /24 of 10.209.0.0/16 that overlaps nothing routed here nor another lab's."""
    busy = [*routed, *taken]
    for candidate in SUPERNET.subnets(new_prefix=24):
        if not any(candidate.overlaps(net) for net in busy):
            return candidate
    raise HostPlanError(f"every /24 of {SUPERNET} is routed here: stop other host labs (make demo-stop)")


def hosts_inventory(inventory: dict, qemu_hosts: int, board_dir: str) -> dict:
    """The inventory of a lab across hosts, from a one-host inventory (its parsed YAML):
    the qemu workers become `qemu-1`..`qemu-N`, one per host, and every target may boot on
    any of them (the boot fans out; a lost host's boot is retried on another). USB sticks of
    virtual boards move to the board controller's directory `board_dir`; virtual boards that
    PXE-boot do it on the controller's `LAB_NETWORK`, from its dnsmasq, as a rack's boards
    would (on one host they use QEMU's own TFTP)."""
    if qemu_hosts < 1:
        raise HostPlanError(f"qemu hosts: {qemu_hosts}: at least one is needed to build and boot the kernel")
    out = dict(inventory)
    old = inventory.get("workers") or {}
    qemu_workers = {qemu_host_name(n): {"kind": "qemu", "max_builds": 1} for n in range(1, qemu_hosts + 1)}
    out["workers"] = {**qemu_workers, **{k: v for k, v in old.items() if v.get("kind") != "qemu"}}
    out["targets"] = {name: {**t, "worker": list(qemu_workers)} for name, t in (inventory.get("targets") or {}).items()}
    boards = {}
    for name, b in (inventory.get("boards") or {}).items():
        b = dict(b)
        deploy = dict(b.get("deploy") or {})
        if deploy.get("method") == "usb" and b.get("virtual") is not None:
            deploy["device"] = f"{board_dir}/{name}/usb.img"
        if deploy.get("method") == "pxe" and b.get("virtual") is not None:
            deploy.update(dhcp="full", interface=LAB_NETWORK.interface)
        b["deploy"] = deploy
        boards[name] = b
    if boards:
        out["boards"] = boards
    return out
