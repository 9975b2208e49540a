"""What the chaos soak reads back from the lab across hosts: the lab's health (is every part
back?), the builds (through the REST API, as a user sees them), the processes and the boards.

A master may be down at any moment of a soak: every read tries the ui master, then the engine,
until one answers or `patience_s` runs out (harness/chaos's faults are healed within minutes).
"""
from __future__ import annotations

import fcntl
import os
import subprocess
import time
from pathlib import Path

from rustux_bootlab.harness import hostnet
from rustux_bootlab.harness.chaos.checker import BootRun, KernelRun
from rustux_bootlab.harness.chaos.nemesis import Nemesis, victims
from rustux_bootlab.harness.cluster import masters
from rustux_bootlab.harness.cluster.layout import load_cluster
from rustux_bootlab.harness.host_lab import VENV_BIN, HostLab
from rustux_bootlab.harness.rest import RestClient

LEFT_BEHIND = ("qemu-system", "ipmi_sim", "dnsmasq", "bootlab")


class Observer:
    def __init__(self, lab: HostLab, patience_s: float = 300) -> None:
        self.lab = lab
        self.cluster = load_cluster(lab.cluster_dir)
        self.patience_s = patience_s
        self._clients: dict[str, RestClient] = {}

    def client(self, user: str | None = None, url: str | None = None) -> RestClient:
        key = f"{user}@{url}"
        if key not in self._clients:
            self._clients[key] = self.lab.client(user, url)
        return self._clients[key]

    def get(self, path: str) -> dict:
        deadline = time.monotonic() + self.patience_s
        while True:
            for url in self.lab.web_urls():
                try:
                    return self.client(None, url).get(path)
                except Exception:  # that master is down or restarting: the other one, then again
                    self._clients.pop(f"None@{url}", None)
            if time.monotonic() > deadline:
                raise TimeoutError(f"no master answered GET {path} for {self.patience_s:.0f} s")
            time.sleep(2)

    def force(self, **params) -> tuple[int, int]:
        """A kernel build forced on the ui master (which has the force scheduler); its buildset
        and build request."""
        deadline = time.monotonic() + self.patience_s
        while True:
            try:
                bsid, brids = self.client("developer").force("force-kernel", **params)
                return bsid, next(iter(brids.values()))
            except Exception:
                self._clients.pop("developer@None", None)
                if time.monotonic() > deadline:
                    raise
                time.sleep(2)

    def unhealthy(self) -> list[str]:
        """What is not back yet: a master not answering, crossbar or PostgreSQL not accepting,
        a worker not connected, the PXE server or a virtual board's BMC not running."""
        wrong = [f"master {m}" for m in ("engine", "ui") if not masters.answers(self.cluster, m)]
        for name, end in (("crossbar", self.cluster.router), ("postgresql", self.cluster.db)):
            if not self._engine_reaches(end.addr, end.port):  # the firewall lets the masters only
                wrong.append(name)
        if "master engine" not in wrong:
            try:
                workers = masters.client(self.cluster, "engine").get("workers")["workers"]
                wrong += [f"worker {w['name']}" for w in workers if not w["connected_to"]]
            except Exception:
                wrong.append("master engine")
        nemesis = Nemesis(self.lab)
        for victim in victims(self.lab).processes:
            if not nemesis.pids(victim):
                wrong.append(victim)
        return wrong

    def _engine_reaches(self, addr: str, port: int) -> bool:
        probe = f"exec 3<>/dev/tcp/{addr}/{port}"
        try:
            return subprocess.run([*hostnet.exec_prefix(self.lab.plan, "engine"), "timeout", "2", "bash", "-c", probe],
                                  capture_output=True).returncode == 0
        except OSError:
            return False

    def connected(self, workers: tuple[str, ...]) -> bool:
        """Whether the engine still counts any of these workers connected."""
        try:
            rows = masters.client(self.cluster, "engine").get("workers")["workers"]
        except Exception:
            return True  # the engine cannot say: not noticed yet
        return any(w["connected_to"] for w in rows if w["name"] in workers)

    def kernel_run(self, bsid: int, known_bad: bool, expected: tuple[str, ...]) -> tuple[KernelRun, list[BootRun]]:
        request = self.get(f"buildrequests?buildsetid={bsid}")["buildrequests"][0]
        builds = sorted(self.get(f"buildrequests/{request['buildrequestid']}/builds")["builds"], key=lambda b: b["number"])
        names = {b["builderid"]: b["name"].split("/", 1)[-1] for b in self.get("builders")["builders"]}
        boots, final = [], None
        for kernel in builds:
            children = self.get(f"buildsets?parent_buildid={kernel['buildid']}")["buildsets"]
            for bs in children:
                for br in self.get(f"buildrequests?buildsetid={bs['bsid']}")["buildrequests"]:
                    for b in self.get(f"buildrequests/{br['buildrequestid']}/builds")["builds"]:
                        props = self.get(f"builds/{b['buildid']}/properties")["properties"][0]
                        boots.append(BootRun(kernel["buildid"], known_bad, names[br["builderid"]],
                                             b["results"] if b["complete"] else None,
                                             (props.get("verdict") or [None])[0], (props.get("culprit") or [None])[0],
                                             float(b["started_at"]), float(b["complete_at"]) if b["complete_at"] else None))
            if kernel["complete"] and kernel["results"] not in (5, 6):
                final = KernelRun(kernel["buildid"], known_bad, expected if children else (), kernel["results"])
        if final is None and request["complete"] and not builds:
            final = KernelRun(None, known_bad, (), request["results"])
        return final or KernelRun(None, known_bad, (), None), boots

    def pending(self) -> list[str]:
        left = [f"build request {r['buildrequestid']}" for r in self.get("buildrequests?complete=false")["buildrequests"]]
        return left + [f"build {b['buildid']} ({b['state_string']})" for b in self.get("builds?complete=false")["builds"]]

    def boot_processes(self) -> list[str]:
        """A boot's processes still running once no build is: QEMU and bootlab on any host
        (a powered-off virtual board has no QEMU; its ipmi_sim and the PXE dnsmasq stay)."""
        out = []
        for h in self.lab.plan.hosts:
            for pid in hostnet.pids(self.lab.plan.namespace(h.name)):
                argv = _argv(pid)
                if argv and (Path(argv[0]).name.startswith("qemu-system") or argv[:2] == [str(VENV_BIN / "bootlab"), "boot"]):
                    out.append(f"{h.name} {pid}: {' '.join(argv)[:160]}")
        return out

    def boards_left(self) -> list[str]:
        """Boards powered on or still locked by a session, as their BMCs and flocks say."""
        proc = self.lab.run_on("boards", [str(VENV_BIN / "bootlab"), "boards", "--inventory", str(self.lab.inventory_path)])
        left = []
        for board in (p.parent.name for p in (self.lab.host_dir("boards") / "state").glob("*/lock")):
            row = next((line.split() for line in proc.stdout.splitlines() if line.startswith(board + " ")), [])
            if "off" not in row:
                left.append(f"{board} power {'on' if 'on' in row else 'unknown'}: {' '.join(row)}")
            if _locked(self.lab.host_dir("boards") / "state" / board / "lock"):
                left.append(f"{board} locked")
        return left


def orphans_after_stop(root: Path, killed: list[tuple[str, int]]) -> list[str]:
    """After the lab stopped: what its stop had to kill, and any process naming its directory."""
    out = [f"killed at stop in {ns}: {pid}" for ns, pid in killed]
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        cmd = _cmdline(int(pid))
        if str(root) in cmd and any(name in cmd for name in LEFT_BEHIND):
            out.append(f"{pid}: {cmd[:160]}")
    return out


def _locked(lock: Path) -> bool:
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def _argv(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
    except OSError:
        return []


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""
