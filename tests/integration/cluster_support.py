"""A whole cluster on loopback for the `hosts` tests: PostgreSQL, crossbar, the engine and ui
masters (harness.cluster), and one real QEMU worker connected to the engine.

The crossbar venv is the machine's (installed once, ~2.5 min): the integration conftest points
XDG_CACHE_HOME at a temp dir per module, so its place is taken before that, at import.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from rustux_bootlab.lab.contract import RETRY
from rustux_bootlab.harness.cluster import __main__ as cli
from rustux_bootlab.harness.cluster import masters, router
from rustux_bootlab.harness.cluster.layout import Cluster
from rustux_bootlab.harness.local_lab import wait_for_workers
from rustux_bootlab.harness.rest import RestClient, RestError

REPO = Path(__file__).resolve().parents[2]
CROSSBAR_VENV = str(router.venv_dir())
TARGET = "q35-pflash"
WORKER = "local-qemu"


def cluster_root() -> Path:
    """A temp dir PostgreSQL's `postgres` user can reach (pytest's are 0700): searchable only."""
    root = Path(tempfile.mkdtemp(prefix="bootlab-cluster-"))
    root.chmod(0o711)
    return root


def one_target_inventory(path: Path) -> Path:
    """The lab's inventory cut to one QEMU target on one worker: each fault costs one boot. The
    target boots cold, seconds of firmware, so a fault a second into the boot lands mid-boot: a
    warm boot is over in under a second, and its build with it, before the fault."""
    inventory = yaml.safe_load((REPO / "lab-inventory.yaml").read_text())
    inventory["targets"] = {TARGET: {**inventory["targets"][TARGET], "milestones": str(REPO / "kernel/milestones.yaml"),
                                     "warm": False}}
    inventory["boards"] = {}
    inventory["workers"] = {WORKER: inventory["workers"][WORKER]}
    path.write_text(yaml.safe_dump(inventory))
    return path


@dataclass
class Worker:
    basedir: Path

    def start(self, env: dict[str, str]) -> None:
        _run("buildbot-worker", "start", str(self.basedir), env=env)

    def stop(self, env: dict[str, str]) -> None:
        if (self.basedir / "twistd.pid").exists():
            _run("buildbot-worker", "stop", str(self.basedir), env=env)


def _run(*args: str, env: dict[str, str] | None = None) -> None:
    exe = Path(sys.executable).parent / args[0]
    proc = subprocess.run([str(exe), *args[1:]], env=env, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed ({proc.returncode}): {proc.stdout}{proc.stderr}")


def make_worker(cluster: Cluster, name: str = WORKER) -> Worker:
    """A worker on the engine's pb address; its password read from the cluster's secret at start."""
    basedir = cluster.root / "workers" / name
    basedir.parent.mkdir(exist_ok=True)
    _run("buildbot-worker", "create-worker", "-q", str(basedir), str(cluster.engine_pb), name, "placeholder")
    tac = basedir / "buildbot.tac"
    secret = cluster.secrets_dir / f"worker-{name}"
    tac.write_text("\n".join(f"passwd = open({str(secret)!r}).read().strip()" if ln.startswith("passwd = ") else ln
                             for ln in tac.read_text().splitlines()) + "\n")
    return Worker(basedir)


def worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def up(root: Path) -> tuple[Cluster, Worker]:
    os.environ["BOOTLAB_CROSSBAR_VENV"] = CROSSBAR_VENV
    inventory = one_target_inventory(root / "inventory.yaml")
    cluster = cli.create(root / "cluster", inventory, {k: "127.0.0.1" for k in ("db", "router", "engine", "ui")},
                         {k: None for k in ("db", "router", "engine_web", "engine_pb", "ui_web", "try")})
    cli.start(cluster)
    worker = make_worker(cluster)
    worker.start(worker_env())
    wait_for_workers(masters.client(cluster, "engine"))
    return cluster, worker


def down(cluster: Cluster, worker: Worker) -> None:
    worker.stop(worker_env())
    cli.stop(cluster)


def processes_of(root: Path) -> list[str]:
    """Every process whose command line or working directory is under the cluster's directory
    (crossbar renames itself `crossbar-controller`, so its command line alone would not say)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if str(root) in cmd or cwd.startswith(str(root)):
            found.append(f"{proc.name}: {cmd} (in {cwd})")
    return found


def patient(call, timeout_s: float = 300):
    """`call()` again until it answers: a master being restarted refuses or resets for a while."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return call()
        except (OSError, RestError) as e:  # URLError is an OSError
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer for {timeout_s:.0f} s: {e}") from e
            time.sleep(0.5)


def running_boot_step(client: RestClient, builder: str, timeout_s: float = 600) -> dict:
    """The first `boot` step of `builder` that has started and not finished: the middle of a boot."""
    deadline = time.monotonic() + timeout_s
    builderid = client.get(f"builders?name={builder}")["builders"][0]["builderid"]
    while time.monotonic() < deadline:
        for build in client.get(f"builders/{builderid}/builds?complete=false")["builds"]:
            for step in client.steps(build["buildid"]):
                if step["name"] == "boot" and step["started_at"] and not step["complete"]:
                    return step
        time.sleep(0.3)
    raise TimeoutError(f"no boot step of {builder} running after {timeout_s:.0f} s")


@dataclass
class Outcome:
    """What became of one forced `kernel` build request: every build it took, every boot below them."""
    kernel_builds: list[dict]
    boots: list[dict]  # each with `parent` (the kernel build's id) and `verdict`

    def reported(self) -> list[str]:
        """The boot verdicts the lab reported: those of kernel builds that finished (not RETRY)."""
        return [line for b in self.kernel_builds if b["results"] != RETRY
                for line in b["properties"].get("boot_verdicts", [])]


def outcome(client: RestClient, brid: int) -> Outcome:
    kernel_builds, boots = [], []
    for build in sorted(client.builds_of_request(brid), key=lambda b: b["number"]):
        build["properties"] = client.properties(build["buildid"])
        kernel_builds.append(build)
        for bs in client.get(f"buildsets?parent_buildid={build['buildid']}")["buildsets"]:
            for br in client.get(f"buildrequests?buildsetid={bs['bsid']}")["buildrequests"]:
                for child in sorted(client.builds_of_request(br["buildrequestid"]), key=lambda b: b["number"]):
                    child["parent"] = build["buildid"]
                    child["verdict"] = client.properties(child["buildid"]).get("verdict")
                    boots.append(child)
    return Outcome(kernel_builds, boots)
