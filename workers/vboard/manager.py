"""`bootlab vboard start|stop|status NAME`: a virtual board's processes, in its state dir.

start: the supervisor (serial relay + VM power) first, then `ipmi_sim` configured to drive
it on an inner loopback address, then the BMC guard on the board's BMC port (workers/vboard/bmcguard.py:
ipmi_sim alone opens cipher suite 0 sessions with any password); all detached (own session)
so the lab command returns, with their pids in `pids.json`.
A pid is only signalled while `/proc/<pid>/cmdline` still names this state dir, so a stale
file can never hit another process. stop: the guard, ipmi_sim, then the supervisor, which takes the
VM with it (QEMU dies with its parent). Every secret a virtual board needs is generated on
first start (`workers.secrets.ensure`).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from rustux_bootlab.lab.board import Board
from rustux_bootlab.lab.inventory import Inventory
from rustux_bootlab.workers import secrets
from rustux_bootlab.workers.state import REPO, tftp_root, vboard_dir
from rustux_bootlab.workers.vboard import ipmisim
from rustux_bootlab.workers.vboard.machine import Machine, lan_ifup_script

START_TIMEOUT_S = 5.0
PROCESSES = ("bmc_guard", "ipmi_sim", "supervisor")  # in the order they stop
INNER_ADDRESS = "127.0.0.2"  # ipmi_sim's, behind the guard: the same port, which SOL clients check
STOP_TIMEOUT_S = 3.0


class VboardError(Exception):
    """A virtual board cannot be started or stopped; the message names it and the fix."""


@dataclass(frozen=True)
class VboardStatus:
    name: str
    running: dict[str, int | None]  # process -> pid (None: not running)
    power: str | None  # on | off | None when the supervisor is down
    boot: str | None
    bmc: str
    state: Path

    def text(self) -> str:
        procs = ", ".join(f"{p} {'pid ' + str(pid) if pid else 'down'}" for p, pid in self.running.items())
        if not any(self.running.values()):
            return f"{self.name}: stopped (BMC would be {self.bmc})"
        return f"{self.name}: BMC {self.bmc}, power {self.power or '?'}, next boot {self.boot or '?'}; {procs}; files {self.state}"


def users(board: Board) -> list[tuple[str, str]]:
    """The BMC's users: the power user and, if the console has its own, the SOL user."""
    out = [(board.bmc.credentials.user, secrets.ensure(board.bmc.credentials.password_secret))]
    console = board.console.credentials
    if console is not None and console.user != board.bmc.credentials.user:
        out.append((console.user, secrets.ensure(console.password_secret)))
    return out


def machine_for(board: Board, inventory: Inventory, state: Path) -> Machine:
    assert board.virtual is not None
    fw = inventory.firmware.get(board.virtual.firmware)
    if fw is None or fw.code is None or fw.vars is None:
        raise VboardError(f"board {board.name}: virtual.firmware {board.virtual.firmware!r} needs a pflash set (code + vars)")
    usb = str(board.deploy.device) if board.deploy.method == "usb" and board.deploy.device else None
    lan = board.deploy.interface if board.deploy.method == "pxe" else None
    return Machine(
        name=board.name,
        memory_mb=board.virtual.memory_mb,
        code=str(fw.code),
        vars_template=str(fw.vars),
        mac=board.mac or "52:54:00:b0:07:00",
        tftp_root=str(tftp_root(board)),
        usb_image=usb,
        serial_socket=str(state / "serial.sock"),
        lan_bridge=lan,
        lan_ifup=str(state / "lan-ifup") if lan else None,
    )


def start(board: Board, inventory: Inventory) -> VboardStatus:
    if board.virtual is None:
        raise VboardError(f"board {board.name} is not virtual (no 'virtual:' settings in {inventory.path})")
    state = vboard_dir(board)
    if any(_running(state).values()):
        raise VboardError(f"virtual board {board.name} is already running: bootlab vboard stop {board.name}")
    if shutil.which("ipmi_sim") is None:
        raise VboardError("ipmi_sim not found: install the openipmi package (scripts/install-deps.sh)")
    state.mkdir(parents=True, exist_ok=True)
    _check_free(board)
    machine = machine_for(board, inventory, state)
    if machine.lan_bridge is not None:
        assert machine.lan_ifup is not None  # set with the bridge (workers/vboard/machine.py)
        _check_lan(board, machine.lan_bridge)
        Path(machine.lan_ifup).write_text(lan_ifup_script(machine.lan_bridge))
        Path(machine.lan_ifup).chmod(0o755)
    machine.save(state / "machine.json")
    conf, emu = ipmisim.write_config(board, users(board), state, INNER_ADDRESS)
    # Users changed over IPMI persist in ipmi_sim's state and would override LAN.conf.
    shutil.rmtree(state / "sim", ignore_errors=True)
    (state / "sim").mkdir()
    pids: dict[str, int] = {}
    try:
        pids["supervisor"] = spawn(
            [sys.executable, "-m", "rustux_bootlab.workers.vboard.supervisor", str(state), str(board.virtual.serial_port)],
            state / "supervisor.out",
        )
        _write_pids(state, pids)
        wait_until(lambda: _connectable(state / "control.sock"), f"the supervisor of {board.name}", state / "supervisor.out")
        pids["ipmi_sim"] = spawn(["ipmi_sim", "-c", str(conf), "-f", str(emu), "-s", str(state / "sim"), "-n"],
                                  state / "ipmi_sim.log")
        _write_pids(state, pids)
        wait_until(lambda: _udp_bound(INNER_ADDRESS, board.bmc.port),
              f"ipmi_sim of {board.name} on UDP {INNER_ADDRESS}:{board.bmc.port}", state / "ipmi_sim.log")
        pids["bmc_guard"] = spawn([sys.executable, "-m", "rustux_bootlab.workers.vboard.bmcguard", str(state), str(board.bmc.port),
                                   INNER_ADDRESS], state / "bmc-guard.out")
        _write_pids(state, pids)
        wait_until(lambda: _udp_bound("127.0.0.1", board.bmc.port), f"the BMC guard of {board.name} on UDP {board.bmc.address}",
              state / "bmc-guard.out")
    except VboardError:
        stop(board)
        raise
    return status(board)


def stop(board: Board) -> VboardStatus:
    """Stop the guard, ipmi_sim and the supervisor (and with it the VM); safe to call when stopped."""
    state = vboard_dir(board)
    for name in PROCESSES:
        pid = _running(state).get(name)
        if pid is None:
            continue
        stop_pid(pid, state)
    (state / "pids.json").unlink(missing_ok=True)
    return status(board)


def stop_pid(pid: int, state: Path) -> None:
    """SIGTERM, then SIGKILL after STOP_TIMEOUT_S; only while the pid is still ours (`alive`)."""
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while alive(pid, state) and time.monotonic() < deadline:
        time.sleep(0.05)
    if alive(pid, state):
        os.kill(pid, signal.SIGKILL)
        while alive(pid, state):
            time.sleep(0.05)


def status(board: Board) -> VboardStatus:
    state = vboard_dir(board)
    running = _running(state)
    power = boot = None
    if running.get("supervisor"):
        power = {"power:1": "on", "power:0": "off"}.get(_ask(state, "get power") or "")
        boot = (_ask(state, "get boot") or "").removeprefix("boot:") or None
    return VboardStatus(board.name, running, power, boot, board.bmc.address, state)


def spawn(argv: list[str], log: Path) -> int:
    with open(log, "ab") as out:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=REPO)
    return proc.pid


def _write_pids(state: Path, pids: dict[str, int]) -> None:
    (state / "pids.json").write_text(json.dumps(pids) + "\n")


def _running(state: Path) -> dict[str, int | None]:
    try:
        pids = json.loads((state / "pids.json").read_text())
    except (OSError, ValueError):
        pids = {}
    return {name: (pid if isinstance(pid, int) and alive(pid, state) else None)
            for name, pid in ((n, pids.get(n)) for n in reversed(PROCESSES))}


def alive(pid: int, state: Path) -> bool:
    """`pid` runs (not a zombie) and is ours: its command line names the state dir."""
    _reap(pid)
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z" and str(state).encode() in cmdline


def _reap(pid: int) -> None:
    """When this process started `pid` (tests call start() in-process), collect its exit status."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def wait_until(ready, what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not ready():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace").strip().splitlines()[-3:] if log.exists() else []
            raise VboardError(f"{what} did not come up within {START_TIMEOUT_S:g}s" + (": " + " | ".join(tail) if tail else "")
                              + f" (see {log})")
        time.sleep(0.05)


def _connectable(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect(str(path))
        except OSError:
            return False
    return True


def _ask(state: Path, request: str) -> str | None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(1.0)
        try:
            s.connect(str(state / "control.sock"))
            s.sendall(request.encode() + b"\n")
            return s.makefile("r").readline().strip()
        except OSError:
            return None


def _udp_bound(address: str, port: int) -> bool:
    """Something listens on `address`:`port`/udp (ipmi_sim answers only to RMCP+ packets)."""
    want = f"{socket.inet_aton(address)[::-1].hex().upper()}:{port:04X}"
    try:
        lines = Path("/proc/net/udp").read_text().splitlines()[1:]
    except OSError:
        return False
    return any(line.split()[1] == want for line in lines)


def _check_lan(board: Board, bridge: str) -> None:
    if not Path(f"/sys/class/net/{bridge}/bridge").is_dir():
        raise VboardError(f"board {board.name}: deploy.interface {bridge} is not a bridge on this host: create the lab "
                          f"network (ip link add {bridge} type bridge) or drop deploy.interface to PXE-boot from "
                          "QEMU's own TFTP")


def _check_free(board: Board) -> None:
    assert board.virtual is not None
    for kind, port, where in ((socket.SOCK_DGRAM, board.bmc.port, "bmc.port"),
                              (socket.SOCK_STREAM, board.virtual.serial_port, "virtual.serial_port")):
        with socket.socket(socket.AF_INET, kind) as s:
            if kind == socket.SOCK_STREAM:
                # as the relay binds (asyncio sets it): a previous relay's TIME_WAIT is no conflict
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError as e:
                raise VboardError(f"board {board.name}: {where} 127.0.0.1:{port} is taken ({e.strerror}): "
                                  "stop whatever holds it or pick another port in the inventory") from None
