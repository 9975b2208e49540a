"""The virtual BMCs tried as an attacker would (ipmitool, a real ipmi_sim behind the BMC guard),
and `bootlab bmc-check` against a BMC left open the way real BMCs ship (ipmi_sim unguarded,
IPMI 1.5 without authentication allowed): it must say so loudly."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time

from tests.integration.board_support import BOOTLAB, board_of, password, running_vboard, vboard_inventory
from rustux_bootlab.workers.vboard import ipmisim, manager

WRONG = "not-the-password"
WEAK_AUTHS = "none md2 md5 straight"  # what the virtual boards allowed before, as many real BMCs do


def ipmitool(board, *interface: str, user: str, secret: str | None = None, command=("mc", "guid")):
    """`secret`: the real password, given through the environment (-E), never argv."""
    creds = ["-E"] if secret is not None else ["-P", WRONG]
    env = dict(os.environ, IPMI_PASSWORD=secret or "")
    return subprocess.run(["ipmitool", *interface, "-H", "127.0.0.1", "-p", str(board.bmc.port), "-N", "1", "-R", "2",
                           "-U", user, *creds, *command], capture_output=True, text=True, timeout=60, env=env)


def bmc_check(inventory_path, board):
    return subprocess.run([str(BOOTLAB), "bmc-check", board.name, "--inventory", str(inventory_path)],
                          capture_output=True, text=True, timeout=180)


def test_the_virtual_bmc_refuses_weak_sessions_and_serves_its_user(tmp_path):
    path = vboard_inventory(tmp_path)
    inventory, board = board_of(path)
    with running_vboard(inventory, board) as vb:
        started = time.monotonic()
        cipher0 = ipmitool(board, "-I", "lanplus", "-C", "0", user="admin", command=("chassis", "power", "on"))
        assert cipher0.returncode != 0 and "cipher suite" in cipher0.stderr, cipher0.stderr
        assert time.monotonic() - started < 10, "refused at once, not left to time out"
        assert manager.status(board).power == "off"
        for interface in (("-I", "lanplus", "-C", "1"), ("-I", "lan", "-A", "NONE"), ("-I", "lan", "-A", "PASSWORD")):
            assert ipmitool(board, *interface, user="admin").returncode != 0, interface
        assert ipmitool(board, "-I", "lanplus", "-C", "3", user="", secret="").returncode != 0, "the null user"
        assert ipmitool(board, "-I", "lanplus", "-C", "3", user="admin").returncode != 0, "a wrong password"
        own = ipmitool(board, "-I", "lanplus", "-C", "3", user="admin", secret=password(board), command=("power", "status"))
        assert own.returncode == 0 and "off" in own.stdout, own.stderr
        log = (vb.state / "bmc-guard.log").read_text()
        assert "no authentication" in log and "no integrity" in log and password(board) not in log

        check = bmc_check(path, board)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "refuses all 4 attacks" in check.stdout and "ACCEPTED" not in check.stdout


def test_bmc_check_says_loudly_that_an_open_bmc_is_open(tmp_path):
    path = vboard_inventory(tmp_path)
    inventory, board = board_of(path)
    with running_vboard(inventory, board) as vb:
        # the board's BMC as many real ones ship: ipmi_sim alone on the BMC port, IPMI 1.5 without authentication
        pids = json.loads((vb.state / "pids.json").read_text())
        for name in ("bmc_guard", "ipmi_sim"):
            os.kill(pids[name], signal.SIGTERM)
        while manager._udp_bound("127.0.0.1", board.bmc.port) or manager._udp_bound(manager.INNER_ADDRESS, board.bmc.port):
            time.sleep(0.05)
        weak = vb.state / "weak-lan.conf"
        weak.write_text(ipmisim.lan_conf(board, manager.users(board), vb.state, auths=WEAK_AUTHS))
        weak.chmod(0o600)
        sim = subprocess.Popen(["ipmi_sim", "-c", str(weak), "-f", str(vb.state / "bmc.emu"), "-s", str(tmp_path / "weak"),
                                "-n"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while not manager._udp_bound("127.0.0.1", board.bmc.port):
                assert sim.poll() is None, "the weak ipmi_sim did not start"
                time.sleep(0.05)
            check = bmc_check(path, board)
        finally:
            sim.terminate()
            sim.wait(10)
    assert check.returncode == 1, check.stdout + check.stderr
    assert f"!!! {board.name}" in check.stdout and "is OPEN" in check.stdout
    for attack in ("ACCEPTED: cipher suite 0", "ACCEPTED: IPMI 1.5 without authentication"):
        assert attack in check.stdout, check.stdout
    assert "refused: the null user" in check.stdout and password(board) not in check.stdout
