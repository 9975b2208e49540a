"""The host lab's packet filters (iptables in each host's namespace), for what has no login of
its own or must not be reached at all:

    host     port or network                    who gets in                    why
    router   crossbar's WebSocket (TCP)         the masters (and itself)       Buildbot's WAMP connector
                                                                               takes no credentials
    db       PostgreSQL (TCP)                   the masters (and itself)       with pg_hba: the same set
    boards   its lab network (`lab0`), in       DHCP, TFTP and the answers     a board runs the kernel under
             and forwarded                      to what the host sent;         test: it reaches nothing but
                                                nothing forwarded              its boot server

Refusals are TCP resets (ports) or drops (the boards' network), so a test or an operator sees
"refused" at once. The namespaces are the lab's own: each chain is set from scratch.
"""
from __future__ import annotations

import subprocess

from rustux_bootlab.lab.hosts import BOARDS_ROLE, LAB_NETWORK, HostPlan
from rustux_bootlab.harness import hostnet

BOOT_SERVER_PORTS = ("67", "69", "4011")  # DHCP, TFTP, proxy DHCP


class FirewallError(RuntimeError):
    pass


def only_from(plan: HostPlan, host: str, port: int, clients: list[str]) -> list[list[str]]:
    """iptables rules: TCP `port` on `host` answers only `clients` (addresses) and the host itself."""
    sources = [*clients, plan.host(host).address, "127.0.0.1"]
    return [["-A", "INPUT", "-p", "tcp", "--dport", str(port), "-s", f"{s}/32", "-j", "ACCEPT"] for s in sources] + [
        ["-A", "INPUT", "-p", "tcp", "--dport", str(port), "-j", "REJECT", "--reject-with", "tcp-reset"]]


def boards_network() -> list[list[str]]:
    """What the board controller lets in from its boards' network: its boot server, nothing else."""
    lab0 = LAB_NETWORK.interface
    return [["-P", "FORWARD", "DROP"],
            ["-A", "INPUT", "-i", lab0, "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"],
            *(["-A", "INPUT", "-i", lab0, "-p", "udp", "--dport", p, "-j", "ACCEPT"] for p in BOOT_SERVER_PORTS),
            ["-A", "INPUT", "-i", lab0, "-j", "DROP"]]


def apply(plan: HostPlan, rules: dict[str, list[list[str]]]) -> None:
    """Set each host's INPUT chain to `rules[host]` (FORWARD's policy too where given)."""
    for host, host_rules in rules.items():
        for rule in [["-F", "INPUT"], *host_rules]:
            proc = subprocess.run([*hostnet.exec_prefix(plan, host), "iptables", "-w", *rule],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                raise FirewallError(f"{host}: iptables {' '.join(rule)}: {proc.stderr.strip()} "
                                    "(the iptables package: scripts/install-deps.sh)")


def lab_rules(plan: HostPlan, router_port: int, db_port: int, cluster: bool) -> dict[str, list[list[str]]]:
    rules = {BOARDS_ROLE: boards_network()} if plan.of_role(BOARDS_ROLE) else {}
    if cluster:
        masters = [plan.host("engine").address, plan.host("ui").address]
        rules["router"] = only_from(plan, "router", router_port, masters)
        rules["db"] = only_from(plan, "db", db_port, masters)
    return rules
