"""Network namespaces as hosts: a bridge in the root namespace and one namespace per host of a
`lab.hosts.HostPlan`, each with `lo` and one veth on the bridge at the host's address.

Needs root (`ip netns`, `ip link`). `down` is safe to run twice and leaves nothing behind:
every process still in a host's namespace is killed (SIGTERM, then SIGKILL) before the
namespace goes, so a test or a demo cannot leak a QEMU, an ipmi_sim or a worker.
"""
from __future__ import annotations

import ipaddress
import os
import signal
import subprocess
import time

from rustux_bootlab.lab.hosts import HostPlan

NETNS_DIR = "/run/netns"
# Every host's TCP gives up on a silent peer in about a minute rather than Linux's 15: a host
# partitioned by dropped packets (no RST, no FIN) is noticed by the master and the worker (both
# set SO_KEEPALIVE on the PB connection), its build retried, and the worker reconnects once the
# path is back. Idle: 20 s, then 4 probes 5 s apart (40 s). Data unacknowledged: 7 retransmissions
# from 200 ms (51 s). A link down 20 s is still ridden over (docs/fleet.md). Per namespace:
# on a real fleet, the same lines in every lab host's sysctl.d.
TCP_SETTINGS = {"net.ipv4.tcp_keepalive_time": "20", "net.ipv4.tcp_keepalive_intvl": "5",
                "net.ipv4.tcp_keepalive_probes": "4", "net.ipv4.tcp_retries2": "7"}


class HostNetError(RuntimeError):
    """An `ip` command failed; the message has its stderr."""


def ip(*args: str, check: bool = True) -> str:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise HostNetError(f"ip {' '.join(args)}: {proc.stderr.strip()} (run as root: network namespaces need it)")
    return proc.stdout


def routed_subnets() -> list[ipaddress.IPv4Network]:
    """Every IPv4 network this machine has an address or a route in (other labs' bridges too)."""
    nets = []
    for line in ip("-4", "-o", "addr", "show").splitlines():
        nets.append(ipaddress.ip_interface(line.split()[3]).network)
    for line in ip("-4", "route", "show").splitlines():
        dest = line.split()[0]
        if dest != "default":
            nets.append(ipaddress.ip_network(dest, strict=False))
    return nets


def namespaces() -> list[str]:
    return [line.split()[0] for line in ip("netns", "list").splitlines() if line.strip()]


def up(plan: HostPlan) -> None:
    """Create the bridge and every host's namespace and link; a part that exists is kept."""
    prefix = plan.subnet.prefixlen
    if not _link_exists(plan.bridge):
        ip("link", "add", plan.bridge, "type", "bridge")
        ip("addr", "add", f"{plan.bridge_address}/{prefix}", "dev", plan.bridge)
    ip("link", "set", plan.bridge, "up")
    existing = set(namespaces())
    for host in plan.hosts:
        ns = plan.namespace(host.name)
        if ns in existing:
            continue
        ip("netns", "add", ns)
        ip("-n", ns, "link", "set", "lo", "up")
        veth = plan.veth(host.name)
        ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
        ip("link", "set", veth, "master", plan.bridge, "up")
        ip("-n", ns, "addr", "add", f"{host.address}/{prefix}", "dev", "eth0")
        ip("-n", ns, "link", "set", "eth0", "up")
        tcp_settings(ns)


def tcp_settings(namespace: str) -> None:
    proc = subprocess.run(["ip", "netns", "exec", namespace, "sysctl", "-q", "-w",
                           *(f"{k}={v}" for k, v in TCP_SETTINGS.items())], capture_output=True, text=True)
    if proc.returncode != 0:
        raise HostNetError(f"{namespace}: sysctl {TCP_SETTINGS}: {proc.stderr.strip()}")


def set_link(plan: HostPlan, host: str, state: str) -> None:
    """`down` cuts the host off the lab network (its cable pulled), `up` plugs it back."""
    ip("-n", plan.namespace(host), "link", "set", "eth0", state)


def pids(namespace: str) -> list[int]:
    """The processes whose network namespace is `namespace` (the host's processes)."""
    out = ip("netns", "pids", namespace, check=False)
    return [int(p) for p in out.split() if p.isdigit()]


def exec_prefix(plan: HostPlan, host: str) -> list[str]:
    """Run a command on the host: `[*exec_prefix(plan, h), argv...]`."""
    return ["ip", "netns", "exec", plan.namespace(host)]


def kill_all(namespace: str, grace_s: float = 5.0) -> list[int]:
    """SIGTERM every process of the namespace, SIGKILL what is left after `grace_s`; the pids
    that needed the SIGKILL (what a clean stop should not have left)."""
    _signal(pids(namespace), signal.SIGTERM)
    stubborn = _wait_gone(namespace, grace_s)
    if stubborn:
        _signal(stubborn, signal.SIGKILL)
        left = _wait_gone(namespace, 5.0)
        if left:
            raise HostNetError(f"{namespace}: processes {left} survive SIGKILL")
    return stubborn


def _signal(targets: list[int], sig: int) -> None:
    for pid in targets:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _wait_gone(namespace: str, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while True:
        left = [p for p in pids(namespace) if not ended(p)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def down(plan: HostPlan) -> list[tuple[str, int]]:
    """Kill what runs on every host, delete the namespaces and the bridge; the (namespace,
    pid) pairs that had to be killed."""
    killed = []
    existing = set(namespaces())
    for host in plan.hosts:
        ns = plan.namespace(host.name)
        if ns in existing:
            killed += [(ns, pid) for pid in kill_all(ns, grace_s=2.0)]
            ip("netns", "del", ns)
    if _link_exists(plan.bridge):
        ip("link", "del", plan.bridge)
    return killed


def _link_exists(name: str) -> bool:
    return os.path.exists(f"/sys/class/net/{name}")


def ended(pid: int) -> bool:
    """The process is gone or a zombie (ended, not yet reaped by its parent)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
