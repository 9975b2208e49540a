"""`lab-inventory.yaml`: workers, firmware sets, QEMU targets and boards (schema: lab/board.py).

```yaml
lab: {name: rustux-boot-lab, kernel: {repo: https://example.org/rustux.git, branch: main}}
workers:
  local-qemu: {kind: qemu, max_builds: 2}
firmware:
  ovmf-4m: {code: /usr/share/OVMF/OVMF_CODE_4M.fd, vars: /usr/share/OVMF/OVMF_VARS_4M.fd}
  ovmf-bios: {bios: /usr/share/ovmf/OVMF.fd}
environments: {}                      # optional: QEMUs and their roots (lab/environment.py)
targets:
  q35-pflash:
    machine: q35                      # q35 | pc (x86_64) | virt (aarch64)
    arch: x86_64                      # optional: x86_64 (default) | aarch64 (lab/arch.py)
    firmware: {set: ovmf-4m, mode: pflash}   # pflash: code + a fresh copy of vars per boot; bios: -bios
    memory_mb: 256
    accel: auto                       # auto | kvm | tcg
    boot_timeout_s: 90
    worker: local-qemu                # or a list: its boots run on any of them, the first is its home
    enabled: true                     # optional, default true
    warm: true                        # optional: boot warm (restore the firmware); default lab/bootpath.py's
    secure_boot: false                # optional: Secure Boot enforcing (q35, pflash, SMM on)
    nightly: false                    # optional: booted by the nightly compatibility build, not per push
    milestones: kernel/milestones.yaml   # optional, relative to this file (default: the arch's, lab/arch.py)
    environment: debian13             # optional: default the first of environments:
boards: {}                            # see lab/board.py
```
Errors read `lab-inventory.yaml:14: targets.q35-pflash.machine: 'q53' is not one of q35, pc`.
Relative paths are relative to the inventory file's directory.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from rustux_bootlab.lab.arch import ARCHES
from rustux_bootlab.lab.board import Board, parse_board
from rustux_bootlab.lab.bootpath import PathFacts, cold_reason
from rustux_bootlab.lab.environment import HOST, Environment
from rustux_bootlab.lab.schema import Node, SchemaError, compose_file

MACHINES = ("q35", "pc", "virt")
ACCELS = ("auto", "kvm", "tcg")
FIRMWARE_MODES = ("pflash", "bios")
WORKER_KINDS = ("qemu", "board-controller")
DEFAULT_MILESTONES = "kernel/milestones.yaml"
_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
T = TypeVar("T")


class InventoryError(SchemaError):
    """The inventory is invalid; `str()` is `file:line: key: message`."""


@dataclass(frozen=True)
class LabInfo:
    name: str
    kernel_repo: str | None = None
    kernel_branch: str | None = None


@dataclass(frozen=True)
class Worker:
    name: str
    kind: str  # one of WORKER_KINDS
    max_builds: int = 1


@dataclass(frozen=True)
class FirmwareSet:
    name: str
    code: Path | None = None
    vars: Path | None = None
    bios: Path | None = None
    environment: str | None = None  # declared under this environment's root


@dataclass(frozen=True)
class FirmwareSpec:
    """The firmware one target boots: `pflash` uses code + vars, `bios` uses bios."""

    mode: str  # one of FIRMWARE_MODES
    code: Path | None = None
    vars: Path | None = None  # the template: the runner copies it fresh for every boot
    bios: Path | None = None
    set_name: str | None = None

    def files(self) -> dict[str, Path]:
        """The files this mode reads, by role."""
        if self.mode == "pflash":
            return {k: v for k, v in (("code", self.code), ("vars", self.vars)) if v is not None}
        return {"bios": self.bios} if self.bios is not None else {}


@dataclass(frozen=True)
class QemuTarget:
    name: str
    machine: str
    firmware: FirmwareSpec
    memory_mb: int
    accel: str
    boot_timeout_s: float
    worker: str  # its home: golden and bisect builds run here (the kernel builder's cargo dir)
    enabled: bool = True
    milestones: Path = Path(DEFAULT_MILESTONES)
    warm: bool = False  # `bootlab boot` restores the firmware from a snapshot unless --no-warm
    cold_reason: str = ""  # why it boots cold by default (lab/bootpath.py), "" when warm
    # Where its boots may run: `worker: [a, b]` in the inventory (the first is the home); a boot
    # goes to whichever is free, and a boot whose worker was lost is retried on another.
    boot_workers: tuple[str, ...] = ()
    environment: Environment = HOST  # the QEMU it runs on
    secure_boot: bool = False  # Secure Boot enforcing: q35, pflash, a VARS template with keys enrolled
    nightly: bool = False  # a compatibility lane: the nightly build boots it, a push does not
    arch: str = "x86_64"  # a key of lab.arch.ARCHES: its boot file, machine types and QEMU


@dataclass(frozen=True)
class Inventory:
    path: Path
    lab: LabInfo
    workers: dict[str, Worker]
    firmware: dict[str, FirmwareSet]
    targets: dict[str, QemuTarget]
    boards: dict[str, Board]
    environments: dict[str, Environment]

    def target(self, name: str) -> QemuTarget:
        """The target called `name`; an unknown name raises `InventoryError` with a suggestion."""
        return self._named("target", self.targets, name)

    def board(self, name: str) -> Board:
        """The board called `name`; an unknown name raises `InventoryError` with a suggestion."""
        return self._named("board", self.boards, name)

    def _named(self, kind: str, table: dict[str, T], name: str) -> T:
        if name in table:
            return table[name]
        close = difflib.get_close_matches(name, list(table), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        known = ", ".join(table) or "none"
        raise InventoryError(str(self.path), None, f"{kind}s", f"unknown {kind} {name!r}{hint}; {kind}s: {known}")


def load_inventory(path: str | Path, check_files: bool = True) -> Inventory:
    """Load and validate; `check_files=False` skips the firmware-exists check (for overrides)."""
    path = Path(path)
    # Absolute, so paths stay right for processes that change directory (the vboard supervisor)
    base = path.resolve().parent
    top = compose_file(path, InventoryError).fields(
        required=["lab", "workers", "targets"], optional=["firmware", "boards", "environments"]
    )
    lab = _lab(top["lab"])
    workers = {name: _worker(name, node) for name, node in top["workers"].items()}
    fw_nodes = dict(top["firmware"].items()) if "firmware" in top else {}
    firmware = {name: _firmware_set(name, node, base) for name, node in fw_nodes.items()}
    environments = _environments(top["environments"], base, firmware, fw_nodes) if "environments" in top else {HOST.name: HOST}
    targets = {name: _target(name, node, base, workers, firmware, environments) for name, node in _named(top["targets"])}
    board_nodes = _named(top["boards"]) if "boards" in top else []
    boards = {
        name: parse_board(name, node, list(workers), list(firmware), base, base / DEFAULT_MILESTONES) for name, node in board_nodes
    }
    if check_files:
        _check_firmware_files(firmware, fw_nodes, targets)
    return Inventory(path, lab, workers, firmware, targets, boards, environments)


def _named(node: Node) -> list[tuple[str, Node]]:
    """Entries of a section keyed by name (an empty section may be left blank)."""
    if node.is_null():
        return []
    entries = node.items()
    for name, child in entries:
        if not _NAME.fullmatch(name):
            raise child.error("not a valid name: use lower-case letters, digits and '-'")
    return entries


def _lab(node: Node) -> LabInfo:
    f = node.fields(required=["name"], optional=["kernel"])
    repo = branch = None
    if "kernel" in f:
        k = f["kernel"].fields(optional=["repo", "branch"])
        repo = k["repo"].text() if "repo" in k else None
        branch = k["branch"].text() if "branch" in k else None
    return LabInfo(f["name"].text(), repo, branch)


def _worker(name: str, node: Node) -> Worker:
    f = node.fields(required=["kind"], optional=["max_builds"])
    max_builds = f["max_builds"].integer(minimum=1) if "max_builds" in f else 1
    return Worker(name, f["kind"].choice(WORKER_KINDS), max_builds)


def _firmware_set(name: str, node: Node, base: Path, environment: str | None = None) -> FirmwareSet:
    f = node.fields(optional=["code", "vars", "bios"])
    if not f:
        raise node.error("a firmware set needs code + vars (pflash) and/or bios")
    if ("code" in f) != ("vars" in f):
        raise node.error("code and vars go together: pflash needs both")
    code, vars_, bios = (_path(f[k], base) if k in f else None for k in ("code", "vars", "bios"))
    return FirmwareSet(name, code, vars_, bios, environment)


def _environments(node: Node, base: Path, firmware: dict[str, FirmwareSet], fw_nodes: dict[str, Node]) -> dict[str, Environment]:
    """Each environment; the firmware sets declared under one join `firmware` (paths in its root)."""
    envs: dict[str, Environment] = {}
    for name, child in _named(node):
        f = child.fields(required=["qemu"], optional=["root", "firmware"])
        root = _path(f["root"], base) if "root" in f else None
        qemu = f["qemu"].text()
        envs[name] = Environment(name, str(_path(f["qemu"], base)) if "/" in qemu else qemu, root)
        for fw_name, fw_node in _named(f["firmware"]) if "firmware" in f else []:
            if fw_name in firmware:
                raise fw_node.error(f"firmware set {fw_name!r} is declared twice")
            firmware[fw_name] = _firmware_set(fw_name, fw_node, root or base, name)
            fw_nodes[fw_name] = fw_node
    if not envs:
        raise node.error("no environment: declare one, or leave environments: out for the host's QEMU")
    return envs


def _target(name: str, node: Node, base: Path, workers: dict[str, Worker], firmware: dict[str, FirmwareSet],
            environments: dict[str, Environment]) -> QemuTarget:
    f = node.fields(
        required=["machine", "firmware", "memory_mb", "accel", "boot_timeout_s", "worker"],
        optional=["enabled", "milestones", "warm", "environment", "secure_boot", "nightly", "arch"],
    )
    arch = ARCHES[f["arch"].choice(list(ARCHES))] if "arch" in f else ARCHES["x86_64"]
    if f["machine"].choice(MACHINES) not in arch.machines:
        raise f["machine"].error(f"{arch.name} boots on machine {', '.join(arch.machines)}, not {f['machine'].text()}"
                                 f"{'' if 'arch' in f else ' (set arch: aarch64 for virt)'}")
    environment = environments[f["environment"].choice(list(environments))] if "environment" in f else next(iter(environments.values()))
    if Path(environment.qemu).name.startswith("qemu-system-") and Path(environment.qemu).name != arch.qemu:
        raise (f["environment"] if "environment" in f else f["machine"]).error(
            f"environment {environment.name} runs {Path(environment.qemu).name}, but an {arch.name} target needs {arch.qemu}: "
            "name an environment with that QEMU")
    fw = f["firmware"].fields(required=["set", "mode"])
    fw_set = firmware[fw["set"].choice(list(firmware))]
    mode = fw["mode"].choice(FIRMWARE_MODES)
    if mode == "pflash" and fw_set.code is None:
        raise fw["mode"].error(f"firmware set {fw_set.name!r} has no code/vars for pflash; use mode: bios or add them")
    if mode == "bios" and fw_set.bios is None:
        raise fw["mode"].error(f"firmware set {fw_set.name!r} has no bios image; use mode: pflash or add bios:")
    spec = FirmwareSpec(mode, fw_set.code, fw_set.vars, fw_set.bios, fw_set.name)
    secure_boot = f["secure_boot"].boolean() if "secure_boot" in f else False
    if secure_boot and (mode != "pflash" or f["machine"].text() != "q35"):
        raise f["secure_boot"].error("Secure Boot needs machine: q35 (SMM) and firmware mode: pflash (a VARS with keys)")
    boot_workers = _target_workers(f["worker"], workers)
    milestones = _path(f["milestones"], base) if "milestones" in f else base / "kernel" / arch.spec
    cold = cold_reason(PathFacts(name, secure_boot, spec.bios if mode == "bios" else None, environment.root,
                                 environment.name, f["warm"].boolean() if "warm" in f else None))
    return QemuTarget(
        name=name,
        machine=f["machine"].choice(MACHINES),
        firmware=spec,
        memory_mb=f["memory_mb"].integer(minimum=32),
        accel=f["accel"].choice(ACCELS),
        boot_timeout_s=f["boot_timeout_s"].number(minimum=1),
        worker=boot_workers[0],
        boot_workers=boot_workers,
        enabled=f["enabled"].boolean() if "enabled" in f else True,
        milestones=milestones,
        warm=not cold,
        cold_reason=cold,
        environment=environment,
        secure_boot=secure_boot,
        nightly=f["nightly"].boolean() if "nightly" in f else False,
        arch=arch.name,
    )


def _target_workers(node: Node, workers: dict[str, Worker]) -> tuple[str, ...]:
    """`worker: NAME` or `worker: [NAME, ...]`: qemu workers, each named once."""
    names = [n.choice(list(workers)) for n in node.seq()] if node.is_seq() else [node.choice(list(workers))]
    if not names:
        raise node.error("an empty list: name at least one qemu worker")
    if len(set(names)) != len(names):
        raise node.error(f"a worker named twice in {names}")
    wrong = [n for n in names if workers[n].kind != "qemu"]
    if wrong and len(names) > 1:
        raise node.error(f"{', '.join(wrong)}: not a qemu worker; a target's boots run on qemu workers")
    return tuple(names)


def _path(node: Node, base: Path) -> Path:
    p = Path(node.text()).expanduser()
    return p if p.is_absolute() else base / p


def _made_by_lab(fw_set: FirmwareSet) -> bool:
    """Firmware scripts/install-envs.sh makes (the Secure Boot VARS template): checked per boot."""
    cache = Path("~/.cache/rustux-bootlab").expanduser()
    return any(p is not None and p.is_relative_to(cache) for p in (fw_set.code, fw_set.vars, fw_set.bios))


def _check_firmware_files(firmware: dict[str, FirmwareSet], nodes: dict[str, Node], targets: dict[str, QemuTarget]) -> None:
    for name, fw_set in firmware.items():
        users = [t.name for t in targets.values() if t.firmware.set_name == name]
        # An environment's root is made by scripts/install-envs.sh: its absence is the boot's
        # ERROR/host (Environment.missing), not a reason to refuse the whole inventory.
        if not users or fw_set.environment is not None or _made_by_lab(fw_set):
            continue
        roles = dict(nodes[name].items())
        for role in ("code", "vars", "bios"):
            p = getattr(fw_set, role)
            if p is not None and not p.is_file():
                raise roles[role].error(
                    f"{p} does not exist (needed by target{'s' if len(users) > 1 else ''} {', '.join(users)}): "
                    "install the ovmf package or fix the path"
                )
