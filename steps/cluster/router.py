"""The cluster's WAMP router: crossbar, in a venv of its own (it pins its own Twisted).

The venv is installed once per machine (about 2-2.5 min, 375 MB) under the lab's cache,
`${XDG_CACHE_HOME:-~/.cache}/rustux-bootlab/crossbar-<version>` (or $BOOTLAB_CROSSBAR_VENV),
and reused by every cluster after. The router's config is written from cluster.json at
each start; crossbar keeps its pid in DIR/router/.crossbar/node.pid.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from steps.cluster.layout import Cluster, crossbar_config

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


def install() -> Path:
    """The crossbar venv, installed if it is not there yet (pip from PyPI)."""
    venv = venv_dir()
    if (venv / INSTALLED).exists():
        return crossbar_exe()
    print(f"steps.cluster: installing crossbar {CROSSBAR_VERSION} into {venv} (once; about 2.5 min)", file=sys.stderr)
    python = os.environ.get("PYTHON", "python3")
    for argv in ([python, "-m", "venv", "--clear", str(venv)],
                 [str(venv / "bin" / "pip"), "install", "-q", "--upgrade", "pip"],
                 [str(venv / "bin" / "pip"), "install", "-q", f"crossbar=={CROSSBAR_VERSION}"]):
        proc = subprocess.run(argv, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RouterError(f"installing crossbar: {' '.join(argv[:3])} failed ({proc.returncode}): "
                              f"{proc.stderr.strip()[-800:]}")
    (venv / INSTALLED).touch()
    return crossbar_exe()


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
