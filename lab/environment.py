"""Environments: the QEMU a target runs on and the root it runs from, with firmware next to it.

```yaml
environments:                 # the first is the default of targets that name none
  debian12:
    qemu: qemu-system-x86_64  # a name on PATH: the host's own
  debian13:
    root: ~/.cache/rustux-bootlab/env/trixie/root        # made by scripts/install-envs.sh
    qemu: ~/.cache/rustux-bootlab/env/trixie/qemu-system-x86_64
    firmware:                 # firmware sets of this root: paths relative to it
      ovmf-4m-trixie: {code: usr/share/OVMF/OVMF_CODE_4M.fd, vars: usr/share/OVMF/OVMF_VARS_4M.fd}
```
The QEMU of a root is a launcher written next to it: the root's own binary run by the root's
own loader with the root's libraries and data directory. Not `chroot`: the boot's console
sockets, its image and VARS copy live in the host's /tmp, which a chrooted QEMU cannot see,
and chroot needs root.
An inventory without `environments:` has one, `host`: QEMU from PATH.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HOST_QEMU = "qemu-system-x86_64"


@dataclass(frozen=True)
class Environment:
    name: str
    qemu: str  # what the runner executes: a name on PATH or a path
    root: Path | None = None  # None: the host's own root

    def to_dict(self) -> dict[str, str | None]:
        return {"name": self.name, "qemu": self.qemu, "root": None if self.root is None else str(self.root)}

    def missing(self) -> str | None:
        """Why this environment cannot run a boot here, or None."""
        if self.root is not None and not self.root.is_dir():
            return f"environment {self.name}: its root {self.root} does not exist: run scripts/install-envs.sh (make deps)"
        if "/" in self.qemu and not Path(self.qemu).is_file():
            return f"environment {self.name}: its QEMU {self.qemu} does not exist: run scripts/install-envs.sh (make deps)"
        return None


HOST = Environment("host", HOST_QEMU)


def distribution(os_release: str) -> str | None:
    """`debian13` from an os-release file's ID and VERSION_ID: the host's own environment."""
    fields = dict(line.split("=", 1) for line in os_release.splitlines() if "=" in line and not line.startswith("#"))
    name, version = (fields.get(k, "").strip().strip('"') for k in ("ID", "VERSION_ID"))
    return f"{name}{version}" if name else None


def ran_on(environment: dict | None, qemu_version: str | None) -> dict[str, str | None] | None:
    """What a QEMU boot ran on, from its record: the environment of a root is that root's; one
    without a root is the host's own QEMU, so it is whatever distribution the host is (a worker
    host of another distribution runs the same target on another QEMU and firmware). `qemu` is
    the version number QMP greeted with."""
    if environment is None:
        return None
    name = environment.get("name") if environment.get("root") else environment.get("host") or environment.get("name")
    version = (qemu_version or "").removeprefix("QEMU emulator version ").split(" (")[0] or None
    return {"name": name, "qemu": version}
