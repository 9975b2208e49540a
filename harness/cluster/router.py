"""The cluster's WAMP router: crossbar, in a venv of its own (it pins its own Twisted).

The venv is installed once per machine (about 2-2.5 min, 375 MB) under the lab's cache,
`${XDG_CACHE_HOME:-~/.cache}/rustux-bootlab/crossbar-<version>` (or $BOOTLAB_CROSSBAR_VENV),
and reused by every cluster after. It is installed from the machine's own network, before the
router runs in a host lab's namespace (which has no route to the package registry): callers
that run the router elsewhere call `install()` first. One installer at a time (a lock beside
the venv); the stamp is written last, after crossbar answered, so a venv an interrupted or
failed install left behind is made again from scratch. The router's config is written from cluster.json at
each start; crossbar keeps its pid in DIR/router/.crossbar/node.pid.
"""
from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from rustux_bootlab.harness.cluster.layout import Cluster, crossbar_config

CROSSBAR_VERSION = "26.10.1"
INSTALLED = ".installed"  # written last: a venv without it is a broken install, made again


class RouterError(RuntimeError):
    pass


def venv_dir() -> Path:
    if os.environ.get("BOOTLAB_CROSSBAR_VENV"):
        return Path(os.environ["BOOTLAB_CROSSBAR_VENV"])
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "rustux-bootlab" / f"crossbar-{CROSSBAR_VERSION}"


def crossbar_exe() -> Path:
    return venv_dir() / "bin" / "crossbar"


def installed() -> bool:
    return (venv_dir() / INSTALLED).exists() and os.access(crossbar_exe(), os.X_OK)


def install() -> Path:
    """The crossbar venv, installed if it is not there yet (pip from PyPI)."""
    venv = venv_dir()
    if installed():
        return crossbar_exe()
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f".{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second installer waits, then finds it done
        if not installed():
            _install(venv)
    return crossbar_exe()


def _install(venv: Path) -> None:
    print(f"rustux_bootlab.harness.cluster: installing crossbar {CROSSBAR_VERSION} into {venv} (once; about 2.5 min)", file=sys.stderr)
    (venv / INSTALLED).unlink(missing_ok=True)
    python = os.environ.get("PYTHON", "python3")
    for argv in ([python, "-m", "venv", "--clear", str(venv)],
                 [str(venv / "bin" / "pip"), "install", "-q", "--upgrade", "pip"],
                 [str(venv / "bin" / "pip"), "install", "-q", f"crossbar=={CROSSBAR_VERSION}"],
                 [str(venv / "bin" / "crossbar"), "version"]):
        proc = subprocess.run(argv, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RouterError(f"installing crossbar into {venv}: {' '.join(argv[:3])} failed ({proc.returncode}): "
                              f"{proc.stderr.strip()[-800:]}")
    (venv / INSTALLED).touch()


def cbdir(cluster: Cluster) -> Path:
    return cluster.router_dir / ".crossbar"


def log_file(cluster: Cluster) -> Path:
    return cluster.router_dir / "node.log"


def pid(cluster: Cluster) -> int | None:
    try:
        value = json.loads((cbdir(cluster) / "node.pid").read_text())["pid"]
    except (FileNotFoundError, ValueError, KeyError):
        return None
    try:
        os.kill(value, 0)
    except ProcessLookupError:
        return None
    return value


def running(cluster: Cluster) -> bool:
    return pid(cluster) is not None


def answers(cluster: Cluster) -> bool:
    try:
        with socket.create_connection((cluster.router.addr, cluster.router.port), timeout=1):
            return True
    except OSError:
        return False


def start(cluster: Cluster, timeout_s: float = 60) -> None:
    if running(cluster) and answers(cluster):
        return
    exe = install()
    cbdir(cluster).mkdir(parents=True, exist_ok=True)
    (cbdir(cluster) / "config.json").write_text(json.dumps(crossbar_config(cluster.router), indent=2) + "\n")
    with log_file(cluster).open("ab") as log:
        proc = subprocess.Popen([str(exe), "start", "--cbdir", str(cbdir(cluster)), "--loglevel", "info"],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                cwd=cluster.router_dir, start_new_session=True)
    deadline = time.monotonic() + timeout_s
    while not answers(cluster):
        if proc.poll() is not None:
            raise RouterError(f"crossbar exited ({proc.returncode}) before listening on {cluster.router}: "
                              f"see {log_file(cluster)}")
        if time.monotonic() > deadline:
            proc.kill()
            raise RouterError(f"crossbar not listening on {cluster.router} after {timeout_s:.0f} s: see {log_file(cluster)}")
        time.sleep(0.3)


def stop(cluster: Cluster, timeout_s: float = 5) -> None:
    """SIGTERM, SIGKILL after `timeout_s`; crossbar's worker processes go with its node.
    crossbar 26.10's controller stops its router at once but then hangs in "Node shutdown
    requested" and never exits: hence the short wait (it keeps no state to lose)."""
    node = pid(cluster)
    if node is None:
        return
    try:
        os.killpg(node, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.killpg(node, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.killpg(node, signal.SIGKILL)
