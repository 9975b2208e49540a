"""`bootlab console NAME` on a running virtual board: `--watch` follows the SOL stream read-only
(the kernel's lines of a boot started with `bootlab power`), the interactive console runs
in a real pty, holds the board while attached and quits on `~.`."""
from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
from board_support import BOOTLAB, REPO, board_of, running_vboard, vboard_inventory
from bootlab_support import read_until

from rustux_bootlab.workers.board.lock import holder
from rustux_bootlab.workers.state import tftp_root
from rustux_bootlab.workers.deploy.pxe import stage_esp
from rustux_bootlab.workers.power.ipmi import IpmiPower


@pytest.mark.qemu
def test_watch_follows_a_boot_read_only(tmp_path: Path) -> None:
    inventory, board = board_of(vboard_inventory(tmp_path, deploy="pxe"))
    stage_esp(REPO / "build" / "esp", tftp_root(board))
    with running_vboard(inventory, board):
        watch = subprocess.Popen([str(BOOTLAB), "console", board.name, "--watch", "--inventory", str(inventory.path)],
                                 cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        power = IpmiPower.for_board(board)
        try:
            assert watch.stdout is not None and watch.stderr is not None
            read_until(watch.stderr.fileno(), b"attached", 15)
            assert holder(board) == "-", "--watch must not take the board"
            power.set_boot("network")
            power.on()
            out = read_until(watch.stdout.fileno(), b"[sh] ready", 60)
            assert b"[sh] ready" in out, out[-500:]
            watch.send_signal(signal.SIGINT)
            assert watch.wait(10) == 0
        finally:
            power.off()
            power.close()
            watch.kill()
            watch.wait()


def test_interactive_console_holds_the_board_and_quits_on_tilde_dot(tmp_path: Path) -> None:
    inventory, board = board_of(vboard_inventory(tmp_path, deploy="pxe"))
    with running_vboard(inventory, board):
        master, slave = os.openpty()
        proc = subprocess.Popen([str(BOOTLAB), "console", board.name, "--inventory", str(inventory.path)], cwd=REPO,
                                stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
        os.close(slave)
        try:
            assert b"~. to quit" in read_until(master, b"~. to quit", 15)
            assert holder(board).startswith("bootlab console")
            os.write(master, b"~.")
            assert proc.wait(10) == 0
            assert b"detached" in read_until(master, b"detached", 5)
            assert holder(board) == "-"
        finally:
            proc.kill()
            proc.wait()
            os.close(master)
