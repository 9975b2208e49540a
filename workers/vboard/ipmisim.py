"""OpenIPMI `ipmi_sim` configuration for a virtual board: LAN.conf and the .emu command file.

ipmi_sim sends every power, reset and boot-device operation to the `chassis_control`
program, and its SOL is a TCP client of the supervisor's serial relay. LAN.conf holds the
BMC's users with their passwords, like a real BMC's flash: it is written mode 600 into the
state dir and never logged. Loopback only, and behind the BMC guard (workers/vboard/bmcguard.py):
ipmi_sim opens an RMCP+ session for cipher suite 0 with any password whatever this file says,
so it listens on an inner loopback address (the BMC's port number: pyghmi refuses a SOL
payload on another port) and the guard, on the board's BMC address, refuses such sessions.
IPMI 1.5 sessions take MD5 only: with `none` (or `straight`, the password in clear) allowed,
ipmi_sim opened an IPMI 1.5 session with any password too (`ipmitool -I lan -A NONE`, checked).
"""
from __future__ import annotations

import hashlib
import os
import stat
import sys
from pathlib import Path

from rustux_bootlab.lab.board import Board

# Without a BMC created by the command file ipmi_sim stops with "No bmc_ipmb" (docs/virtual-boards.md).
EMU = """\
mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr
sel_enable 0x20 1000 0x0a
mc_enable 0x20
"""
CHASSIS = Path(__file__).resolve().parent / "chassis.py"
AUTHS = "md5"


def _quoted(value: str) -> str:
    if '"' in value or "\\" in value or "\n" in value:
        raise ValueError("a user name or password for ipmi_sim cannot contain quotes, backslashes or newlines")
    return f'"{value}"'


def lan_conf(board: Board, users: list[tuple[str, str]], state: Path, address: str = "127.0.0.1",
             auths: str = AUTHS) -> str:
    """LAN.conf text; `users` are (name, password) pairs, all with admin privilege; ipmi_sim
    listens on `address` at the BMC's port (default: the BMC's own address, unguarded)."""
    assert board.virtual is not None
    guid = hashlib.sha256(board.name.encode()).hexdigest()[:32]
    chassis = f"{sys.executable} -I {CHASSIS} {state}"
    lines = [
        f'name "{board.name}"',
        "set_working_mc 0x20",
        "  startlan 1",
        f"    addr {address} {board.bmc.port}",
        "    priv_limit admin",
        *(f"    allowed_auths_{who} {auths}" for who in ("callback", "user", "operator", "admin")),
        f"    guid {guid}",
        "  endlan",
        f'  chassis_control "{chassis}"',
        f'  sol "tcp:127.0.0.1:{board.virtual.serial_port}" 115200 history=65536',
        # user 1 is the anonymous user; disabled
        f'  user 1 false "" "unused" user 10 {auths}',
    ]
    for n, (name, password) in enumerate(users, start=2):
        lines.append(f"  user {n} true {_quoted(name)} {_quoted(password)} admin 10 {auths}")
    return "\n".join(lines) + "\n"


def write_config(board: Board, users: list[tuple[str, str]], state: Path,
                 address: str = "127.0.0.1") -> tuple[Path, Path]:
    """Write LAN.conf (mode 600) and bmc.emu into `state`; returns their paths."""
    conf, emu = state / "lan.conf", state / "bmc.emu"
    conf.unlink(missing_ok=True)
    fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(lan_conf(board, users, state, address))
    emu.write_text(EMU)
    return conf, emu
