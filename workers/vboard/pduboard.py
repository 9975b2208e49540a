"""`bootlab vboard start|stop` for a PDU virtual board: pdudaemon, its outlet, a QEMU VM, ser2net.

start: the UART relay (`uart.py`), ser2net on the console's port in front of it, and
pdudaemon on the board's `bmc.host:port` with one PDU (`bmc.pdu`) whose `localcmdline` outlet
runs `outlet.py` to start or kill the board's QEMU (USB stick first, as the IPMI USB board).
The VM is off until the outlet is switched on. stop: pdudaemon, ser2net, the relay, and the
VM if the outlet was left on.
"""
from __future__ import annotations

import json
import shlex
import shutil
import sys

from rustux_bootlab.lab.board import Board
from rustux_bootlab.lab.inventory import Inventory
from rustux_bootlab.workers.state import vboard_dir
from rustux_bootlab.workers.vboard import outlet
from rustux_bootlab.workers.vboard.manager import VboardError, VboardStatus, machine_for, spawn, stop_pid, wait_until
from rustux_bootlab.workers.vboard.redfishbmc import ser2net_config
from rustux_bootlab.workers.vboard.redfishboard import check_free, listening, running, write_pids

PROCESSES = ("uart", "ser2net", "pdudaemon")


def start(board: Board, inventory: Inventory) -> VboardStatus:
    assert board.virtual is not None and board.bmc.pdu is not None
    state = vboard_dir(board)
    if any(running(state, PROCESSES).values()):
        raise VboardError(f"virtual board {board.name} is already running: bootlab vboard stop {board.name}")
    for exe, package in (("ser2net", "ser2net"), ("pdudaemon", "pdudaemon")):
        if shutil.which(exe) is None:
            raise VboardError(f"{exe} not found: install the {package} package (scripts/install-deps.sh)")
    state.mkdir(parents=True, exist_ok=True)
    check_free(board)
    machine_for(board, inventory, state).save(state / "machine.json")
    switch = f"{shlex.quote(sys.executable)} -m rustux_bootlab.workers.vboard.outlet {shlex.quote(str(state))}"
    conf = state / "pdudaemon.conf"
    conf.write_text(json.dumps({
        "daemon": {"hostname": board.bmc.host, "port": board.bmc.port, "logging_level": "INFO", "listener": "http"},
        "pdus": {board.bmc.pdu: {"driver": "localcmdline", "cmd_on": f"{switch} on %s", "cmd_off": f"{switch} off %s"}},
    }, indent=1) + "\n")
    started: dict[str, object] = {}
    try:
        started["uart"] = spawn([sys.executable, "-m", "rustux_bootlab.workers.vboard.uart", str(state)], state / "uart.log")
        write_pids(state, started)
        wait_until(lambda: (state / "serial.sock").exists() and (state / "tty").exists(), f"the UART of {board.name}",
                   state / "uart.log")
        started["ser2net"] = spawn(["ser2net", "-n", "-c", str(ser2net_config(board, state)),
                                    "-P", str(state / "ser2net.pid")], state / "ser2net.log")
        write_pids(state, started)
        wait_until(lambda: listening(board.console.host or "127.0.0.1", board.console.port or 0),
                   f"ser2net of {board.name} on {board.console.address}", state / "ser2net.log")
        started["pdudaemon"] = spawn(["pdudaemon", "--conf", str(conf), "--loglevel", "INFO",
                                      "--logfile", str(state / "pdudaemon.log")], state / "pdudaemon.out")
        write_pids(state, started)
        wait_until(lambda: listening(board.bmc.host, board.bmc.port), f"pdudaemon of {board.name} on {board.bmc.address}",
                   state / "pdudaemon.out")
    except VboardError:
        stop(board)
        raise
    return status(board)


def stop(board: Board) -> VboardStatus:
    state = vboard_dir(board)
    procs = running(state, PROCESSES)
    for name in ("pdudaemon", "ser2net", "uart"):
        pid = procs.get(name)
        if pid is not None:
            stop_pid(pid, state)
    outlet.off(state)  # the VM, if the outlet was left on
    (state / "pids.json").unlink(missing_ok=True)
    return status(board)


def status(board: Board) -> VboardStatus:
    state = vboard_dir(board)
    procs = running(state, PROCESSES)
    power = None
    if any(procs.values()):
        power = "on" if outlet.running_pid(state) is not None else "off"
    return VboardStatus(board.name, procs, power, None, f"http://{board.bmc.address} (pdudaemon)", state)
