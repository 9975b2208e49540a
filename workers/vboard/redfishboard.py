"""`bootlab vboard start|stop` for a Redfish virtual board: libvirt domain, UART relay, sushy-emulator, ser2net.

start: libvirtd (started if not running, and then stopped again by `stop` once no domain
runs), the board's domain defined shut off, the UART relay, sushy-emulator on the BMC's
loopback HTTPS port (certificate from the lab CA at `bmc.ca`), ser2net on the console's
port; their pids in `pids.json` like the IPMI board's. stop: all of it, the domain
destroyed and undefined, the pool's downloaded media removed.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import socket
import sys
from pathlib import Path

from rustux_bootlab.lab.board import Board
from rustux_bootlab.lab.inventory import Inventory
from rustux_bootlab.workers import secrets
from rustux_bootlab.workers.state import vboard_dir
from rustux_bootlab.workers.vboard import labca, libvirt, redfishbmc
from rustux_bootlab.workers.vboard.manager import VboardError, VboardStatus, alive, spawn, stop_pid, wait_until

PROCESSES = ("uart", "sushy-emulator", "ser2net")



def domain_name(board: Board) -> str:
    """The board's libvirt domain: libvirtd's domains are one namespace per machine, so two labs
    here (a demo and a test run) each name theirs after their own state directory."""
    state = str(vboard_dir(board).resolve())
    return f"{board.name}-{hashlib.sha256(state.encode()).hexdigest()[:8]}"

def start(board: Board, inventory: Inventory, *, ignore_boot_device: bool = False) -> VboardStatus:
    assert board.virtual is not None
    state = vboard_dir(board)
    if any(running(state).values()):
        raise VboardError(f"virtual board {board.name} is already running: bootlab vboard stop {board.name}")
    if shutil.which("ser2net") is None:
        raise VboardError("ser2net not found: install the ser2net package (scripts/install-deps.sh)")
    if board.bmc.ca is None:
        raise VboardError(f"board {board.name}: a Redfish virtual board needs bmc.ca (the lab CA file it is made with)")
    fw = inventory.firmware.get(board.virtual.firmware)
    if fw is None or fw.code is None or fw.vars is None:
        raise VboardError(f"board {board.name}: virtual.firmware {board.virtual.firmware!r} needs a pflash set (code + vars)")
    state.mkdir(parents=True, exist_ok=True)
    check_free(board)
    try:
        exe = redfishbmc.install()
        started_libvirt = libvirt.ensure_daemons()
    except (redfishbmc.BmcInstallError, libvirt.LibvirtError) as e:
        raise VboardError(f"board {board.name}: {e}") from None
    started: dict[str, object] = {"libvirt_started": started_libvirt}
    try:
        labca.issue(board.bmc.ca, board.bmc.host, state / "bmc.crt", state / "bmc.key")
        started["uart"] = spawn([sys.executable, "-m", "rustux_bootlab.workers.vboard.uart", str(state)], state / "uart.log")
        write_pids(state, started)
        wait_until(lambda: (state / "serial.sock").exists() and (state / "tty").exists(), f"the UART of {board.name}",
                   state / "uart.log")
        with open(state / "disk.img", "wb") as disk:
            disk.truncate(1 << 20)
        libvirt.define(libvirt.Domain(domain_name(board), board.virtual.memory_mb, str(fw.code), str(fw.vars),
                                      board.mac or "52:54:00:b0:07:10", str(state / "serial.sock"), str(state / "disk.img"),
                                      os_boot_order=ignore_boot_device),
                       state / "domain.xml")
        conf = redfishbmc.write_config(board, state, secrets.ensure(board.bmc.credentials.password_secret), str(fw.code),
                                       libvirt.uuid(domain_name(board)), ignore_boot_device=ignore_boot_device)
        started["sushy-emulator"] = spawn([str(exe), "--config", str(conf)], state / "sushy-emulator.log")
        write_pids(state, started)
        wait_until(lambda: listening(board.bmc.host, board.bmc.port), f"sushy-emulator of {board.name} on "
                   f"{board.bmc.address}", state / "sushy-emulator.log")
        started["ser2net"] = spawn(["ser2net", "-n", "-c", str(redfishbmc.ser2net_config(board, state)),
                                 "-P", str(state / "ser2net.pid")], state / "ser2net.log")
        write_pids(state, started)
        wait_until(lambda: listening(board.console.host or "127.0.0.1", board.console.port or 0),
                   f"ser2net of {board.name} on {board.console.address}", state / "ser2net.log")
    except (VboardError, libvirt.LibvirtError) as e:
        stop(board)
        raise VboardError(str(e)) from None
    return status(board)


def stop(board: Board) -> VboardStatus:
    """Everything `start` made, in reverse; safe to call when stopped."""
    state = vboard_dir(board)
    procs = running(state)
    for name in ("ser2net", "sushy-emulator", "uart"):
        pid = procs.get(name)
        if pid is not None:
            stop_pid(pid, state)
    known = pids(state)
    if shutil.which("virsh") is not None and libvirt.virsh("version", check=False).returncode == 0:
        domain = domain_name(board)
        uuid = libvirt.uuid(domain) if libvirt.state(domain) else None
        libvirt.undefine(domain)
        if uuid:  # sushy-emulator's downloads: <image name>-<domain uuid>.img in the pool
            for leftover in libvirt.POOL_DIR.glob(f"*-{uuid}.img"):
                leftover.unlink(missing_ok=True)
        # only the start that started the daemons stops them, and only once no board's domain is defined
        if known.get("libvirt_started") and not libvirt.virsh("list", "--all", "--name", check=False).stdout.strip():
            libvirt.stop_daemons()
    (state / "pids.json").unlink(missing_ok=True)
    return status(board)


def status(board: Board) -> VboardStatus:
    state = vboard_dir(board)
    procs = running(state)
    power = None
    if any(procs.values()):
        domstate = libvirt.state(domain_name(board))
        power = {"running": "on", "shut off": "off"}.get(domstate or "", domstate)
    return VboardStatus(board.name, procs, power, None, f"https://{board.bmc.address}", state)


def pids(state: Path) -> dict[str, object]:
    try:
        return json.loads((state / "pids.json").read_text())
    except (OSError, ValueError):
        return {}


def running(state: Path, names: tuple[str, ...] = PROCESSES) -> dict[str, int | None]:
    known = pids(state)
    return {name: (pid if isinstance(pid, int) and alive(pid, state) else None)
            for name, pid in ((n, known.get(n)) for n in names)}


def write_pids(state: Path, started: dict[str, object]) -> None:
    (state / "pids.json").write_text(json.dumps(started) + "\n")


def listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def check_free(board: Board) -> None:
    for port, where in ((board.bmc.port, "bmc.port"), (board.console.port, "console.port")):
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port or 0))
            except OSError as e:
                raise VboardError(f"board {board.name}: {where} 127.0.0.1:{port} is taken ({e.strerror}): "
                                  "stop whatever holds it or pick another port in the inventory") from None
