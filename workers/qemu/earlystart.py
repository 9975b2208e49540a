"""A boot's QEMU started before the lab is imported, from the plan its last identical boot left.

Importing the lab (inventory and its YAML, spec, matcher, judge, record, ...) takes ~0.1 s
before the pipeline knows what to start: 2% of a TCG boot, most of what `bootlab boot` costs
beyond QEMU's own time (bench/boot_latency.py). So a cold boot that started QEMU saves its plan
(the command with its work directory left open, the VARS template, the sockets to listen on) and
the stat of every file the command came from: the inventory, the spec, the firmware, the FAT
image and the image tree. The next `bootlab boot` with the same arguments, working directory and
environment finds the plan before it imports anything heavy; if none of those files changed it
starts QEMU at once (`start`), then imports the lab and runs the whole pipeline as always.

The pipeline alone decides what boots: it computes its own command and adopts the early QEMU
(`take`) only when the two are the same, work directory aside; anything else (another command,
a MISS, a usage error, a refused firmware, a warm boot) kills it and removes its directory
before the pipeline goes on (`discard`, also at exit), so what runs is always what the
pipeline would have started. Channel output that arrives before the lab is imported waits in
the sockets and is stamped when read: the firmware's first lines by up to ~0.1 s late, never a
kernel milestone (the kernel starts seconds later). The record says `qemu.early_start`.

Imports here are the standard library's lightest only (and lab/jsonfile.py, which is no more): this runs before everything else.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import sys
from pathlib import Path

from rustux_bootlab.lab.jsonfile import write_json
from rustux_bootlab.workers.qemu.process import QemuProcess, QemuStartError

WORK = "{work}"  # the work directory in a saved command
FORMAT = 1


class EarlyBoot:
    """A QEMU started from a plan, its work directory and its channels' listening sockets."""

    def __init__(self, plan: dict, work: Path, qemu: QemuProcess, listeners: dict[str, socket.socket]) -> None:
        self.plan = plan
        self.work = work
        self.qemu = qemu
        self.listeners = listeners
        self.argv = qemu.argv

    def kill(self) -> None:
        for server in self.listeners.values():
            server.close()
        self.qemu.stop(grace=0.0)
        shutil.rmtree(self.work, ignore_errors=True)


_early: EarlyBoot | None = None
_key: str | None = None  # this process's `bootlab boot` arguments, for `remember`


def start(bootlab_args: list[str]) -> None:
    """Start QEMU from the saved plan of these `bootlab boot` arguments, if there is one and
    nothing it came from changed; quietly nothing otherwise (the pipeline starts its own)."""
    global _early, _key
    _key = _plan_key(bootlab_args)
    try:
        plan = json.loads(_plan_path(_key).read_text())
    except (OSError, ValueError):
        return
    if not isinstance(plan, dict) or plan.get("key") != _key or plan.get("format") != FORMAT \
            or not _unchanged(plan.get("inputs", [])):
        return
    work = Path(os.environ.get("TMPDIR") or "/tmp") / f"bootlab-boot-{os.getpid()}-early"  # swept like workdir()'s
    try:
        work.mkdir(mode=0o700)
    except OSError:
        return
    try:
        _early = EarlyBoot(plan, work, QemuProcess([arg.replace(WORK, str(work)) for arg in plan["argv"]]), {})
        if plan.get("vars"):
            shutil.copyfile(plan["vars"], work / plan["vars_copy"])
        for channel, name in plan["sockets"].items():
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            _early.listeners[channel] = server
            server.bind(str(work / name))  # a path too long for sun_path is an OSError too
            server.listen(1)
            server.setblocking(False)
        _early.qemu.start()
    except (OSError, KeyError, TypeError, AttributeError, QemuStartError):
        discard()
        shutil.rmtree(work, ignore_errors=True)


def take(argv: list[str], work: Path, vars_template: Path | None) -> EarlyBoot | None:
    """The early QEMU if it runs exactly `argv` (the pipeline's command in its own work
    directory `work`) with a VARS copy of `vars_template`; otherwise it is killed. Either
    way it cannot be taken twice."""
    global _early
    early, _early = _early, None
    if early is None:
        return None
    same = [arg.replace(str(work), WORK) for arg in argv] == early.plan["argv"] \
        and early.plan.get("vars") == (str(vars_template) if vars_template else None)
    if not same or not early.qemu.running():
        early.kill()
        return None
    return early


def discard() -> None:
    """Kill an early QEMU nobody took (a MISS, a usage error, a warm boot, a crash)."""
    global _early
    early, _early = _early, None
    if early is not None:
        early.kill()


def remember(argv: list[str], work: Path, vars_template: Path | None, vars_copy: str,
             sockets: dict[str, Path], inputs: list[Path]) -> None:
    """Save the plan of the boot this process just started, for the next identical one."""
    if _key is None:
        return
    files = [_stat(p) for p in inputs]
    if any(f is None for f in files):
        return
    plan = {"format": FORMAT, "key": _key, "argv": [arg.replace(str(work), WORK) for arg in argv],
            "vars": str(vars_template) if vars_template else None, "vars_copy": vars_copy,
            "sockets": {channel: path.name for channel, path in sockets.items()}, "inputs": files}
    path = _plan_path(_key)
    try:
        write_json(path, plan)
    except OSError:
        pass  # a cache: the next boot starts the usual way


def _plan_key(bootlab_args: list[str]) -> str:
    """The arguments without the record's directory (every boot has its own), the working
    directory and the environment the pipeline reads before it starts QEMU."""
    args, skip = [], False
    for arg in bootlab_args:
        if skip:
            skip = False
        elif arg == "--out":
            skip = True
        elif not arg.startswith("--out="):
            args.append(arg)
    env = {k: os.environ.get(k) for k in ("BOOTLAB_STATE", "BOOTLAB_INVENTORY", "XDG_CACHE_HOME", "HOME", "TMPDIR", "PATH")}
    return json.dumps([args, os.getcwd(), env, sys.executable])


def _plan_path(key: str) -> Path:
    import zlib  # a C module: no cost worth a hash library's import here

    # workers/state.py cache_root(), which this cannot import: typing and its classes cost ~8 ms here
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rustux-bootlab" / "plans"
    return cache / f"{zlib.crc32(key.encode()):08x}-{len(key)}.json"


def _stat(path: Path) -> list | None:
    """A file's identity, or a directory tree's (every file under it)."""
    try:
        if path.is_dir():
            return [str(path), sorted([str(p), *_ident(p)] for p in path.rglob("*") if p.is_file())]
        return [str(path), _ident(path)]
    except OSError:
        return None


def _ident(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def _unchanged(inputs: list) -> bool:
    return bool(inputs) and all(_stat(Path(saved[0])) == saved for saved in inputs)
