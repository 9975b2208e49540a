"""The nemesis: injects one fault of the schedule (harness/chaos/schedule.py) into a running lab
across hosts, holds it, and heals it.

Healing a killed process is what its service manager would do on a real fleet (systemd's
`Restart=`): a master has its own supervisor (harness/cluster/masters.py), so the nemesis leaves
it alone; a worker, crossbar, the PXE server (dnsmasq's parent, which exits with it) and a
virtual board (its BMC, ipmi_sim) are started again after the hold. Link faults are iptables
rules and a `tc` queue in the host's own namespace (and on its veth, for the other direction),
tagged so healing removes exactly them. The scratch disk is a small tmpfs under the QEMU host's
worker (`scratch_disk`), filled by one file.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from rustux_bootlab.harness import host_lab, hostnet
from rustux_bootlab.harness.chaos.schedule import Fault, Victims
from rustux_bootlab.harness.cluster import masters, router
from rustux_bootlab.harness.cluster.layout import load_cluster
from rustux_bootlab.harness.host_lab import VENV_BIN, HostLab

TAG = ["-m", "comment", "--comment", "bootlab-chaos"]
LOSS = "0.2"  # a flaky link drops one packet in five, each way
SLOW_RATE = "512kbit"
SCRATCH_MB = 1024


class NemesisError(RuntimeError):
    """A fault could not be injected or healed; the message names it."""


def victims(lab: HostLab) -> Victims:
    plan = lab.plan
    qemu = [h.name for h in plan.hosts if h.role == "qemu"]
    board_workers = list(plan.host("boards").workers)
    procs = [f"worker:{w}" for h in qemu for w in plan.host(h).workers]
    procs += [f"worker:{w}" for w in board_workers] + ["master:engine", "master:ui", "crossbar"]
    if (lab.host_dir("boards") / "pxe-server.pid").exists():
        procs.append("dnsmasq")
    procs += [f"bmc:{p.parent.parent.name}" for p in sorted((lab.host_dir("boards") / "state").glob("*/vboard/pids.json"))]
    return Victims(tuple(procs), tuple([*qemu, "boards"]), tuple(h for h in qemu if _scratch(lab, h).is_mount()))


def scratch_disk(lab: HostLab, host: str) -> None:
    """The QEMU host's worker directory moved onto a tmpfs of its own (its scratch disk), so
    filling it fills nothing else of this machine."""
    worker = lab.host_dir(host) / "worker"
    keep = worker.with_name("worker.disk")
    worker.rename(keep)
    worker.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SCRATCH_MB}m,mode=0755", f"chaos-{lab.plan.tag}", str(worker)],
                   check=True, capture_output=True, text=True)
    shutil.copytree(keep, worker, dirs_exist_ok=True, symlinks=True)
    shutil.rmtree(keep)


def release_scratch(lab: HostLab) -> None:
    for h in lab.plan.hosts:
        if _scratch(lab, h.name).is_mount():
            subprocess.run(["umount", "-l", str(_scratch(lab, h.name))], check=False, capture_output=True)


def _scratch(lab: HostLab, host: str) -> Path:
    return lab.host_dir(host) / "worker"


class Nemesis:
    def __init__(self, lab: HostLab) -> None:
        self.lab = lab
        self.cluster = load_cluster(lab.cluster_dir)

    def inject(self, fault: Fault) -> None:
        kind, victim = fault.kind, fault.victim
        if kind in ("kill", "stop"):
            pids = self.pids(victim)
            if not pids:
                raise NemesisError(f"{victim}: not running, nothing to {kind}")
            for pid in pids:
                _signal(pid, signal.SIGKILL if kind == "kill" else signal.SIGSTOP)
        elif kind == "db-stop":
            self._cluster_part("stop", "db")
        elif kind in ("partition", "flaky"):
            match = [] if kind == "partition" else ["-m", "statistic", "--mode", "random", "--probability", LOSS]
            for chain, way in (("INPUT", "-i"), ("OUTPUT", "-o")):
                self._on(victim, ["iptables", "-I", chain, "1", way, "eth0", *match, *TAG, "-j", "DROP"])
        elif kind == "slow":
            self._on(victim, ["tc", "qdisc", "add", "dev", "eth0", "root", "tbf", "rate", SLOW_RATE, "burst", "8kb",
                              "latency", "500ms"])
            _run(["tc", "qdisc", "add", "dev", self.lab.plan.veth(victim), "root", "tbf", "rate", SLOW_RATE,
                  "burst", "8kb", "latency", "500ms"])
        elif kind == "disk-full":
            _fill_up(self._fill(victim))
        else:
            raise NemesisError(f"fault kind {kind!r}: not on the menu (harness/chaos/schedule.py)")

    def heal(self, fault: Fault) -> None:
        kind, victim = fault.kind, fault.victim
        if kind == "stop":
            for pid in self.pids(victim):
                _signal(pid, signal.SIGCONT)
        elif kind == "kill":
            self._restart(victim)
        elif kind == "db-stop":
            self._cluster_part("start", "db")
        elif kind in ("partition", "flaky"):
            match = [] if kind == "partition" else ["-m", "statistic", "--mode", "random", "--probability", LOSS]
            for chain, way in (("INPUT", "-i"), ("OUTPUT", "-o")):
                self._on(victim, ["iptables", "-D", chain, way, "eth0", *match, *TAG, "-j", "DROP"])
        elif kind == "slow":
            self._on(victim, ["tc", "qdisc", "del", "dev", "eth0", "root"])
            _run(["tc", "qdisc", "del", "dev", self.lab.plan.veth(victim), "root"])
        elif kind == "disk-full":
            self._fill(victim).unlink(missing_ok=True)

    def pids(self, victim: str) -> list[int]:
        """The victim's processes now (a pid file's, or the namespace's by command line)."""
        what, _, name = victim.partition(":")
        if what == "worker":
            return _alive([_read_pid(self.lab.worker_dir(name) / "twistd.pid")])
        if what == "master":
            return _alive([masters.master_pid(self.cluster, name)])
        if what == "crossbar":
            return [p for p in hostnet.pids(self.lab.plan.namespace("router")) if "crossbar" in _cmdline(p)]
        if what == "dnsmasq":
            return _alive([_read_pid(self.lab.host_dir("boards") / "state" / "pxe-lab0" / "dnsmasq.pid")])
        if what == "bmc":
            return _alive([self._vboard_pids(name).get("ipmi_sim")])
        raise NemesisError(f"victim {victim!r}: unknown")

    def _restart(self, victim: str) -> None:
        what, _, name = victim.partition(":")
        if what == "worker":
            host_lab.start_worker(self.lab, name)
        elif what == "crossbar":
            router.stop(self.cluster)  # what the SIGKILL left of its node
            self._cluster_part("start", "router")
        elif what == "dnsmasq":
            host_lab.restart_pxe_server(self.lab)
        elif what == "bmc":
            for action in ("stop", "start"):  # the virtual board's unit: its BMC and the board behind it
                proc = self.lab.run_on("boards", [str(VENV_BIN / "bootlab"), "vboard", action, name, "--inventory",
                                                  str(self.lab.inventory_path)])
                if proc.returncode != 0 and action == "start":
                    raise NemesisError(f"bootlab vboard start {name}: {proc.stdout}{proc.stderr}")

    def _vboard_pids(self, board: str) -> dict[str, int]:
        try:
            return json.loads((self.lab.host_dir("boards") / "state" / board / "vboard" / "pids.json").read_text())
        except (OSError, ValueError):
            return {}

    def _fill(self, host: str) -> Path:
        return _scratch(self.lab, host) / "chaos-fill"

    def _cluster_part(self, action: str, part: str) -> None:
        proc = self.lab.run_on(part, [sys.executable, "-m", "rustux_bootlab.harness.cluster", action, str(self.lab.cluster_dir), part],
                               env=self.lab.cluster_env(), timeout=300)
        if proc.returncode != 0:
            raise NemesisError(f"rustux_bootlab.harness.cluster {action} {part}: {proc.stdout}{proc.stderr}")

    def _on(self, host: str, argv: list[str]) -> None:
        _run([*hostnet.exec_prefix(self.lab.plan, host), *argv])

    def heal_all_links(self) -> None:
        """Whatever link fault is left (a run stopped mid-fault): the lab's own rules stay."""
        for h in self.lab.plan.hosts:
            for chain in ("INPUT", "OUTPUT"):
                rules = subprocess.run([*hostnet.exec_prefix(self.lab.plan, h.name), "iptables", "-S", chain],
                                       capture_output=True, text=True).stdout.splitlines()
                for rule in (r for r in rules if "bootlab-chaos" in r):
                    subprocess.run([*hostnet.exec_prefix(self.lab.plan, h.name), "iptables",
                                    *rule.replace("-A", "-D", 1).split()], capture_output=True)


def _fill_up(path: Path) -> None:
    """Every free byte of the file system taken: most at once, the last blocks one by one
    (tmpfs counts a little for itself, so the free size alone does not fit)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.posix_fallocate(fd, 0, max(1, shutil.disk_usage(path.parent).free - (1 << 20)))
        os.lseek(fd, 0, os.SEEK_END)
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:  # ENOSPC: full
        pass
    finally:
        os.close(fd)


def _run(argv: list[str]) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        raise NemesisError(f"{' '.join(argv)}: {proc.stderr.strip()}")


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pids: list[int | None]) -> list[int]:
    return [p for p in pids if p is not None and not hostnet.ended(p)]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
