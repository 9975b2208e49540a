"""The lab across hosts on this machine: network namespaces stand in for hosts (plan: lab/hosts.py).

    python -m rustux_bootlab.harness.host_lab up DIR [--qemu-hosts N]   # bridge, hosts, master, boards, workers
    python -m rustux_bootlab.harness.host_lab boot DIR                   # force `kernel`, print where each boot ran
    python -m rustux_bootlab.harness.host_lab status DIR                 # JSON: hosts, addresses, their processes
    python -m rustux_bootlab.harness.host_lab down DIR                   # stop all, delete the namespaces and bridge

Each host has its own namespace (own address on the bridge, own loopback and ports) and its
own directory, its disk: `DIR/hosts/<host>/`. A host holds only its own secrets:
  master   master/ (basedir), secrets/ (web users, every worker's password)
  qemu-N   worker/, secrets/worker-qemu-N, state/, cache/
  boards   workers/<controller>/, secrets/ (its workers' passwords, its boards' BMC and SOL
           passwords, created by `bootlab vboard start` on first start), state/, cache/;
           its lab network to the boards (bridge `lab0`, lab/hosts.py LAB_NETWORK) and the
           lab's dnsmasq on it (`bootlab pxe-server`, pxe-server.log), which PXE-boots them
A QEMU host may be of another distribution (`--host-environment qemu-2=debian13`): its worker
runs that environment's QEMU and firmware at the host's own paths (harness/hostdistro.py), so a
fan-out crosses environments as a fleet's hosts differ.
Workers reach the master at its bridge address; artifacts travel through Buildbot (upload to
the master, download on the boot's host). `DIR/inventory.yaml` is the lab's configuration,
the same file on every host (secret names, never values). Needs root.
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from rustux_bootlab.lab.board import pxe_boards
from rustux_bootlab.lab.hosts import (BOARDS_ROLE, LAB_NETWORK, MASTER_ROLE, QEMU_ROLE, HostPlan, HostPlanError, free_subnet,
                       hosts_inventory, plan_hosts)
from rustux_bootlab.lab.inventory import load_inventory
from rustux_bootlab.harness import hostdistro, hostfirewall, hostnet, pidfile
from rustux_bootlab.steps.auth import USERS_FILE, load_users
from rustux_bootlab.harness.cluster import router
from rustux_bootlab.harness.cluster.layout import PARTS
from rustux_bootlab.harness.local_lab import DEMO_USERS, REPO_ROOT, _buildbot, _read_password_from_secrets, _write_secret
from rustux_bootlab.harness.local_lab import boot_table, wait_for_workers
from rustux_bootlab.harness.rest import RestClient

PORTS = {"web": 8010, "pb": 9989, "try": 8031}  # each host has its own port space: fixed ports do
VENV_BIN = Path(sys.executable).parent


CLUSTER_PORTS = {"db": 5432, "router": 8080, "engine-web": 8010, "engine-pb": 9989, "ui-web": 8010, "try": 8031}


@dataclass(frozen=True)
class HostLab:
    root: Path
    plan: HostPlan
    cluster: bool = False  # PostgreSQL, crossbar, engine + ui masters (harness.cluster) instead of one master
    distributions: dict[str, str] = field(default_factory=dict)  # QEMU host -> the environment it is (hostdistro)

    @property
    def inventory_path(self) -> Path:
        return self.root / "inventory.yaml"

    def host_dir(self, host: str) -> Path:
        return self.root / "hosts" / host

    @property
    def master_host(self) -> str:
        """The master workers connect to (the engine of a cluster)."""
        return "engine" if self.cluster else self.plan.of_role(MASTER_ROLE)[0].name

    @property
    def cluster_dir(self) -> Path:
        return self.root / "cluster"

    @property
    def master_secrets(self) -> Path:
        return self.cluster_dir / "secrets" if self.cluster else self.host_dir(self.master_host) / "secrets"

    def web_urls(self) -> list[str]:
        """Every master's web UI (a cluster's ui master first: it takes force and try)."""
        names = ["ui", "engine"] if self.cluster else [self.master_host]
        return [f"http://{self.plan.host(n).address}:{PORTS['web']}/" for n in names]

    @property
    def web_url(self) -> str:
        return self.web_urls()[0]

    def client(self, user: str | None = "developer", url: str | None = None) -> RestClient:
        password = next(u.password for u in load_users(self.master_secrets) if u.name == user) if user else None
        return RestClient(url or self.web_url, user, password)

    def worker_dir(self, worker: str) -> Path:
        host = self.plan.host_of_worker(worker)
        if host.role == QEMU_ROLE:
            return self.host_dir(host.name) / "worker"
        return self.host_dir(host.name) / "workers" / worker

    def host_env(self, host: str) -> dict[str, str]:
        """The environment of a host's processes: its own state, secrets and cache only."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("BOOTLAB_")}
        disk = self.host_dir(host)
        env.update(PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}", BOOTLAB_STATE=str(disk / "state"),
                   BOOTLAB_SECRETS=str(disk / "secrets"), XDG_CACHE_HOME=str(disk / "cache"))
        return env

    def cluster_env(self) -> dict[str, str]:
        """harness.cluster's parts find crossbar's venv where this machine installed it."""
        return dict(self.host_env(self.master_host), BOOTLAB_CROSSBAR_VENV=str(router.venv_dir()))

    def master_env(self) -> dict[str, str]:
        env = self.host_env(self.master_host)
        env.update(BOOTLAB_INVENTORY=str(self.inventory_path), BOOTLAB_BIND=self.plan.host(self.master_host).address,
                   BOOTLAB_WEB_PORT=str(PORTS["web"]), BOOTLAB_PB_PORT=str(PORTS["pb"]),
                   BOOTLAB_TRY_PORT=str(PORTS["try"]), BOOTLAB_POLL_S="0",
                   BOOTLAB_BOOTLAB=str(VENV_BIN / "bootlab"))
        return env

    def run_on(self, host: str, argv: list[str], env: dict[str, str] | None = None,
               timeout: float = 180) -> subprocess.CompletedProcess:
        return subprocess.run([*hostnet.exec_prefix(self.plan, host), *argv], env=env or self.host_env(host),
                              capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT)


def _pick_tag() -> str:
    taken = {ns[3:7] for ns in hostnet.namespaces() if ns.startswith("rbl")}
    while (tag := secrets.token_hex(2)) in taken:
        pass
    return tag


def create(root: Path, qemu_hosts: int = 2, base_inventory: Path | None = None, cluster: bool = False,
           distributions: dict[str, str] | None = None) -> HostLab:
    """The plan, the inventory and every host's directory and secrets (nothing runs yet);
    `distributions`: QEMU hosts of another distribution, each the name of an environment."""
    root = root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    # PostgreSQL runs as `postgres` and dnsmasq as `nobody`: each must reach its files (search only)
    root.chmod(0o711)
    base = yaml.safe_load((base_inventory or REPO_ROOT / "lab-inventory.yaml").read_text())
    for t in (base.get("targets") or {}).values():
        t.setdefault("milestones", str(REPO_ROOT / "kernel/milestones.yaml"))
    for b in (base.get("boards") or {}).values():
        b.setdefault("milestones", str(REPO_ROOT / "kernel/milestones.yaml"))
    inv_dict = hosts_inventory(base, qemu_hosts, str(root / "hosts" / "boards" / "state"))
    (root / "inventory.yaml").write_text("# generated by harness/host_lab.py\n" + yaml.safe_dump(inv_dict, sort_keys=False))
    inventory = load_inventory(root / "inventory.yaml")
    subnet = free_subnet(hostnet.routed_subnets())
    plan = plan_hosts(_pick_tag(), subnet, inventory, cluster=cluster)
    distributions = dict(distributions or {})
    qemu_hosts = [h.name for h in plan.of_role(QEMU_ROLE)]
    for host, env in distributions.items():  # refused now, not when the worker starts
        if host not in qemu_hosts or env not in inventory.environments:
            raise HostPlanError(f"--host-environment {host}={env}: a QEMU host ({', '.join(qemu_hosts)})"
                                f" and an environment of the inventory ({', '.join(inventory.environments)})")
        hostdistro.binds(inventory.environments[env])
    if distributions:  # a host of another distribution takes only the boots its QEMU can run
        inv_dict["targets"] = hostdistro.placed(inv_dict["targets"], inventory, distributions)
        (root / "inventory.yaml").write_text("# generated by harness/host_lab.py\n" + yaml.safe_dump(inv_dict, sort_keys=False))
    (root / "plan.json").write_text(json.dumps({"tag": plan.tag, "subnet": str(plan.subnet), "cluster": cluster,
                                                "distributions": distributions}) + "\n")
    lab = HostLab(root, plan, cluster, distributions)
    for host in plan.hosts:
        disk = lab.host_dir(host.name)
        (disk / "secrets").mkdir(mode=0o700, parents=True, exist_ok=True)
        (disk / "state").mkdir(exist_ok=True)
    if cluster:
        _create_cluster(lab)
    else:
        _create_master(lab, inventory)
    for w in inventory.workers.values():
        _create_worker(lab, w.name)
    return lab


def _create_master(lab: HostLab, inventory) -> None:
    _write_secret(lab.master_secrets / USERS_FILE, "# name role password (generated by harness/host_lab.py)\n" + "".join(
        f"{name} {role} {secrets.token_urlsafe(12)}\n" for name, role in DEMO_USERS))
    for w in inventory.workers.values():
        _write_secret(lab.master_secrets / f"worker-{w.name}", secrets.token_urlsafe(16))
    _buildbot("buildbot", "create-master", "-q", "-c", str(REPO_ROOT / "master.cfg"),
              str(lab.host_dir(lab.master_host) / "master"))


def _create_cluster(lab: HostLab) -> None:
    """mq's cluster (harness.cluster) at the plan's addresses; its secrets stay in its directory."""
    addrs = [arg for part in ("db", "router", "engine", "ui") for arg in (f"--{part}-addr", lab.plan.host(part).address)]
    ports = [arg for name, port in CLUSTER_PORTS.items() for arg in (f"--{name}-port", str(port))]
    hostnet.up(lab.plan)  # `create` starts PostgreSQL once (role, database): on the db host, at its address
    proc = lab.run_on("db", [sys.executable, "-m", "rustux_bootlab.harness.cluster", "create", str(lab.cluster_dir), "--inventory",
                             str(lab.inventory_path), *addrs, *ports], env=lab.cluster_env(), timeout=300)
    _checked(proc, "python -m rustux_bootlab.harness.cluster create")


def _create_worker(lab: HostLab, worker: str) -> None:
    """The worker's basedir on its host's disk, with a copy of its own password only."""
    host = lab.plan.host_of_worker(worker).name
    secret = lab.host_dir(host) / "secrets" / f"worker-{worker}"
    _write_secret(secret, (lab.master_secrets / f"worker-{worker}").read_text())
    wdir = lab.worker_dir(worker)
    wdir.parent.mkdir(parents=True, exist_ok=True)
    master = f"{lab.plan.host(lab.master_host).address}:{PORTS['pb']}"
    _buildbot("buildbot-worker", "create-worker", "-q", str(wdir), master, worker, "placeholder")
    _read_password_from_secrets(wdir / "buildbot.tac", secret)


def load(root: Path) -> HostLab:
    root = root.resolve()
    try:
        saved = json.loads((root / "plan.json").read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"{root}: no host lab here: run `python -m rustux_bootlab.harness.host_lab up {root}` first") from None
    inventory = load_inventory(root / "inventory.yaml")
    cluster = saved.get("cluster", False)
    return HostLab(root, plan_hosts(saved["tag"], ipaddress.ip_network(saved["subnet"]), inventory, cluster), cluster,
                   saved.get("distributions", {}))


def start(lab: HostLab) -> None:
    if lab.cluster:  # from this machine's network: a host's namespace has no route to the package registry
        router.install()
    hostnet.up(lab.plan)
    hostfirewall.apply(lab.plan, hostfirewall.lab_rules(lab.plan, CLUSTER_PORTS["router"], CLUSTER_PORTS["db"], lab.cluster))
    if lab.cluster:
        for part in PARTS:  # db, router, engine, ui: each on its own host, each answering before the next
            _checked(lab.run_on(part, [sys.executable, "-m", "rustux_bootlab.harness.cluster", "start", str(lab.cluster_dir), part],
                                env=lab.cluster_env(), timeout=600), f"{part} on its host")
    else:
        master = lab.master_host
        _checked(lab.run_on(master, [str(VENV_BIN / "buildbot"), "start", str(lab.host_dir(master) / "master")],
                            env=lab.master_env()), f"master on {master}")
    inventory = load_inventory(lab.inventory_path)
    if pxe_boards(inventory.boards.values(), LAB_NETWORK.interface):
        _start_pxe_server(lab)
    for board in (b for b in inventory.boards.values() if b.virtual is not None and b.enabled):
        host = lab.plan.host_of_worker(board.worker).name
        _checked(lab.run_on(host, [str(VENV_BIN / "bootlab"), "vboard", "start", board.name, "--inventory",
                                   str(lab.inventory_path)]), f"virtual board {board.name} on {host}")
    for w in inventory.workers.values():
        start_worker(lab, w.name)


def _pxe_server_pid(lab: HostLab) -> Path:
    return lab.host_dir(BOARDS_ROLE) / "pxe-server.pid"


def _start_pxe_server(lab: HostLab) -> None:
    """The board controller's lab network (a bridge in its namespace, which dies with it) and
    `bootlab pxe-server` on it, running until `stop`; up when its dnsmasq has written its pid."""
    net = LAB_NETWORK
    for cmd in (["ip", "link", "add", net.interface, "type", "bridge"], ["ip", "addr", "add", net.address, "dev", net.interface],
                ["ip", "link", "set", net.interface, "up"]):
        proc = lab.run_on(BOARDS_ROLE, cmd)
        # a restart finds the network there (the bridge: "File exists"; its address: "already assigned")
        if proc.returncode != 0 and not ("File exists" in proc.stderr or "already assigned" in proc.stderr):
            raise RuntimeError(f"the boards' lab network {net.interface}: {' '.join(cmd)}: {proc.stderr.strip()}")
    disk = lab.host_dir(BOARDS_ROLE)
    dnsmasq_pid = disk / "state" / f"pxe-{net.interface}" / "dnsmasq.pid"
    dnsmasq_pid.unlink(missing_ok=True)
    log = disk / "pxe-server.log"
    with log.open("ab") as out:
        proc = subprocess.Popen([*hostnet.exec_prefix(lab.plan, BOARDS_ROLE), str(VENV_BIN / "bootlab"), "pxe-server",
                                 "--interface", net.interface, "--subnet", net.subnet, "--pool", "-".join(net.pool),
                                 "--inventory", str(lab.inventory_path)],
                                env=lab.host_env(BOARDS_ROLE), stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                cwd=REPO_ROOT, start_new_session=True)
    _pxe_server_pid(lab).write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + 30
    while not dnsmasq_pid.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            _stop_pxe_server(lab)
            raise RuntimeError(f"bootlab pxe-server on the boards host did not start:\n{log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.1)


def _stop_pxe_server(lab: HostLab) -> None:
    """SIGTERM: pxe-server stops its dnsmasq itself; whatever is left dies with the namespace."""
    try:
        pid = int(_pxe_server_pid(lab).read_text())
    except (FileNotFoundError, ValueError):
        return
    try:
        if "pxe-server" not in _cmdline(pid):  # the pid was reused: nothing of ours to stop
            raise ProcessLookupError
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while not hostnet.ended(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
    except ProcessLookupError:
        pass
    _pxe_server_pid(lab).unlink(missing_ok=True)


def restart_pxe_server(lab: HostLab) -> None:
    """After its dnsmasq died (the PXE server exits with it), as its service manager would."""
    _stop_pxe_server(lab)
    _start_pxe_server(lab)


def start_worker(lab: HostLab, worker: str) -> None:
    """Also after the worker was killed: its pid file, left behind, would stop twistd."""
    host = lab.plan.host_of_worker(worker).name
    pidfile.clear_stale(lab.worker_dir(worker) / "twistd.pid")
    distro = lab.distributions.get(host)
    other = hostdistro.prefix(load_inventory(lab.inventory_path).environments[distro]) if distro else []
    _checked(lab.run_on(host, [*other, str(VENV_BIN / "buildbot-worker"), "start", str(lab.worker_dir(worker))]),
             f"worker {worker} on {host}" + (f" ({distro})" if distro else ""))


def _checked(proc: subprocess.CompletedProcess, what: str) -> None:
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed to start ({proc.returncode}):\n{proc.stdout}{proc.stderr}")


def stop(lab: HostLab) -> list[tuple[str, int]]:
    """Every part stopped the way it stops itself, then the namespaces go (what was still
    running in one is killed and returned). Safe to run twice."""
    existing = set(hostnet.namespaces())
    if lab.plan.namespace(lab.master_host) in existing:
        inventory = load_inventory(lab.inventory_path)
        for w in inventory.workers.values():
            host = lab.plan.host_of_worker(w.name).name
            pid_file = lab.worker_dir(w.name) / "twistd.pid"
            if not pidfile.clear_stale(pid_file) and pid_file.exists() and lab.plan.namespace(host) in existing:
                lab.run_on(host, [str(VENV_BIN / "buildbot-worker"), "stop", str(lab.worker_dir(w.name))])
        for board in (b for b in inventory.boards.values() if b.virtual is not None):
            host = lab.plan.host_of_worker(board.worker).name
            if lab.plan.namespace(host) in existing:
                lab.run_on(host, [str(VENV_BIN / "bootlab"), "vboard", "stop", board.name, "--inventory",
                                  str(lab.inventory_path)])
        _stop_pxe_server(lab)
        if lab.cluster:
            for part in reversed(PARTS):
                if lab.plan.namespace(part) in existing:
                    lab.run_on(part, [sys.executable, "-m", "rustux_bootlab.harness.cluster", "stop", str(lab.cluster_dir), part],
                               env=lab.cluster_env())
        elif (lab.host_dir(lab.master_host) / "master" / "twistd.pid").exists():
            lab.run_on(lab.master_host, [str(VENV_BIN / "buildbot"), "stop", str(lab.host_dir(lab.master_host) / "master")],
                       env=lab.master_env())
    return hostnet.down(lab.plan)


def status(lab: HostLab) -> dict:
    existing = set(hostnet.namespaces())
    out = {"bridge": lab.plan.bridge, "web": lab.web_urls(), "hosts": {}}
    for h in lab.plan.hosts:
        ns = lab.plan.namespace(h.name)
        procs = hostnet.pids(ns) if ns in existing else []
        out["hosts"][h.name] = {"role": h.role, "address": h.address, "namespace": ns, "up": ns in existing,
                                "workers": list(h.workers), "processes": [_cmdline(p) for p in procs]}
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m rustux_bootlab.harness.host_lab", description=__doc__.split("\n\n")[0])
    p.add_argument("action", choices=("up", "boot", "status", "down"))
    p.add_argument("root", type=Path)
    p.add_argument("--qemu-hosts", type=int, default=2, help="QEMU worker hosts (default 2)")
    p.add_argument("--host-environment", action="append", default=[], metavar="HOST=ENV",
                   help="a QEMU host of another distribution: its worker runs ENV's QEMU and firmware (e.g. qemu-2=debian13)")
    p.add_argument("--cluster", action="store_true",
                   help="PostgreSQL, crossbar and two masters (engine, ui) on their own hosts instead of one master")
    args = p.parse_args(argv)
    if args.action == "up":
        distributions = dict(h.split("=", 1) for h in args.host_environment if "=" in h)
        if len(distributions) != len(args.host_environment):
            p.error("--host-environment: HOST=ENVIRONMENT, e.g. qemu-2=debian13")
        lab = load(args.root) if (args.root / "plan.json").exists() else create(args.root, args.qemu_hosts, cluster=args.cluster,
                                                                                distributions=distributions)
        start(lab)
        wait_for_workers(lab.client(None), timeout_s=120)
        print(f"hosts up on bridge {lab.plan.bridge} ({lab.plan.subnet}); web UI: {' and '.join(lab.web_urls())}")
        for h in lab.plan.hosts:
            print(f"  {h.name:<8} {h.address:<14} {h.role:<7} {', '.join(h.workers)}"
                  + (f" ({lab.distributions[h.name]})" if h.name in lab.distributions else ""))
        return 0
    lab = load(args.root)
    if args.action == "down":
        killed = stop(lab)
        print(f"host lab stopped; {len(killed)} stray processes killed" if killed else "host lab stopped")
    elif args.action == "status":
        print(json.dumps(status(lab), indent=2))
    else:
        run = lab.client("developer").force_and_wait("force-kernel", timeout_s=1800)
        print(boot_table(run.boots))
        print("\nwhere: " + ", ".join(f"{b['target']} on {lab.plan.host_of_worker(b['worker']).name}"
                                    for b in run.boots if b["worker"]))
        print(f"\nkernel build: {run.kernel_result}; web UI: {lab.web_url}")
        return 0 if run.kernel_result == "success" else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
