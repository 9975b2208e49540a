"""A QEMU worker host of another distribution: its worker sees that distribution's QEMU and
firmware where the host's own would be.

On a real fleet a Debian 13 worker host has QEMU 10.0 at /usr/bin/qemu-system-x86_64 and EDK2
2025 in /usr/share/OVMF, so the same inventory's targets boot there on other bytes. Here a host
is a network namespace of this Debian 12 machine: its worker starts in a mount namespace of its
own (`ip netns exec` gives each command one, slave to the machine's, so nothing leaks back) in
which an environment's root (lab/environment.py, made by scripts/install-envs.sh) is
bind-mounted over those paths: the root's QEMU launcher, its firmware directories and its
os-release (the record's `environment.host`). A target on the host's own QEMU whose binary
the root lacks (arm64's qemu-system-aarch64: Debian 13's root has only x86's) is not placed
on that host, as a fleet's Debian 13 host without qemu-system-arm would take no arm64 boots.
"""
from __future__ import annotations

import shlex
from pathlib import Path

from rustux_bootlab.lab.environment import Environment
from rustux_bootlab.lab.inventory import Inventory

HOST_QEMU = Path("/usr/bin/qemu-system-x86_64")
FROM_ROOT = ("usr/share/OVMF", "usr/share/ovmf", "usr/lib/os-release")  # the host's path of each, under /


class HostDistroError(ValueError):
    """An environment that cannot stand in for a host's distribution; the message says why."""


def binds(env: Environment) -> list[tuple[Path, Path]]:
    """(the root's file, the host's path it covers) for each bind mount."""
    if env.root is None:
        raise HostDistroError(f"environment {env.name} has no root of its own: it is the host's own QEMU already")
    if (missing := env.missing()) is not None:
        raise HostDistroError(missing)
    pairs = [(Path(env.qemu), HOST_QEMU)] + [(env.root / p, Path("/") / p) for p in FROM_ROOT]
    for source, _ in pairs:
        if not source.exists():
            raise HostDistroError(f"environment {env.name}: {source} does not exist: run scripts/install-envs.sh (make deps)")
    return pairs


def prefix(env: Environment) -> list[str]:
    """A command prefix (inside the host's `ip netns exec`): mount the root's files over the
    host's, then exec the command, which and whose children see them for their lifetime."""
    mounts = " && ".join(f"mount --bind {shlex.quote(str(s))} {shlex.quote(str(d))}" for s, d in binds(env))
    return ["sh", "-c", f'{mounts} && exec "$@"', "sh"]


def placed(targets: dict[str, dict], inventory: Inventory, distributions: dict[str, str]) -> dict[str, dict]:
    """The hosts inventory's targets (name -> YAML node with its `worker` list), each without the
    hosts of another distribution that lack its QEMU (a QEMU host's worker has the host's name)."""
    roots = {host: inventory.environments[distro].root for host, distro in distributions.items()}
    out = {}
    for name, node in targets.items():
        env = inventory.target(name).environment
        qemu = Path(env.qemu).name
        lacking = {host for host, root in roots.items()
                   if env.root is None and root is not None and not (root / "usr/bin" / qemu).exists()}
        workers = [w for w in node["worker"] if w not in lacking]
        if not workers:
            raise HostDistroError(f"target {name}: no QEMU host can run {qemu}: {', '.join(sorted(lacking))} lack it; "
                                  "add a host of this machine's distribution")
        out[name] = {**node, "worker": workers}
    return out
