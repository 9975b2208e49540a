"""QMP answers while a guest floods a debug console the runner is not reading.

QEMU writes a debug console (isa-debugcon) whole, retrying with the big QEMU lock held, so a
guest that fills the socket stops QEMU's main loop until the runner reads: QMP cannot answer
and the guest stands still (seen as warm boots of ~5 s, a screendump's timeout, in about one
boot in 25 with four at once). The QMP client reads the boot's channels ahead while it waits
(workers/capture.py `Streams.hold`). A real QEMU with a 64 KiB BIOS of three instructions that
write `x` to port 0xE9 forever."""
from __future__ import annotations

import fcntl
import struct
import subprocess
import termios
import time
from pathlib import Path

import pytest

from rustux_bootlab.workers.capture import Streams
from rustux_bootlab.workers.qemu.qmp import QmpClient, QmpError

pytestmark = pytest.mark.qemu

# At the reset vector (0xFFFF0): mov al, 'x'; out 0xe9, al; jmp back to the out.
SPEW = bytes.fromhex("b078" "e6e9" "ebfc")
STARTUP_S = 30.0


def _bios(path: Path) -> Path:
    rom = bytearray(b"\xf4" * 0x10000)
    rom[0xFFF0:0xFFF0 + len(SPEW)] = SPEW
    path.write_bytes(bytes(rom))
    return path


def _queued(sock) -> int:
    return struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0"))[0]


def test_qmp_answers_while_the_guest_floods_an_unread_debug_console(tmp_path: Path) -> None:
    streams = Streams()
    qmp: list[QmpClient] = []
    streams.listen("debugcon", tmp_path / "debugcon.sock")
    streams.listen("qmp", tmp_path / "qmp.sock", on_accept=lambda conn: qmp.append(QmpClient(conn)))
    qemu = subprocess.Popen(
        ["qemu-system-x86_64", "-machine", "pc", "-accel", "tcg", "-nodefaults", "-display", "none", "-S",
         "-bios", str(_bios(tmp_path / "spew.bin")),
         "-chardev", f"socket,id=debugcon,path={tmp_path / 'debugcon.sock'}", "-device", "isa-debugcon,iobase=0xe9,chardev=debugcon",
         "-chardev", f"socket,id=qmp,path={tmp_path / 'qmp.sock'}", "-mon", "chardev=qmp,mode=control"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + STARTUP_S
        while not (qmp and "debugcon" in streams.connections):
            assert time.monotonic() < deadline and qemu.poll() is None, "QEMU did not connect its sockets"
            streams.wait(0.1)
        client = qmp[0]
        client.handshake()
        client.drain = streams.hold  # the guest may fill the console before `cont` is answered
        client.execute("cont")
        client.drain = None
        console = streams.connections["debugcon"]
        # The guest writes until the unread socket is full, then QEMU waits on it: the queue stops growing.
        queued = -1
        while queued != (queued := _queued(console)) or queued == 0:
            assert time.monotonic() < deadline, "the guest's debug console never filled"
            time.sleep(0.05)

        # The premise: with nobody reading, QEMU cannot answer at all.
        with pytest.raises(QmpError, match="did not answer"):
            client.execute("query-status", timeout=1.0)

        client.drain = streams.hold
        status = client.execute("query-status", timeout=STARTUP_S)
        assert status["status"] == "running"  # this command's answer, not the late one of the command before
        held = streams.wait(STARTUP_S)
        assert held and all(channel == "debugcon" and set(data) == {ord("x")} for channel, data in held)
    finally:
        qemu.kill()
        qemu.wait()
        for client in qmp:
            client.close()
        streams.close()
