"""The Redfish virtual board's UART: QEMU's COM1 on one side, a pty that ser2net serves on the other.

`python -m rustux_bootlab.workers.vboard.uart STATE_DIR` listens on `STATE_DIR/serial.sock` (libvirt's COM1
connects there at every power-on, with reconnect) and owns a pty pair whose slave is linked
at `STATE_DIR/tty`: ser2net's `serialdev` connector opens that link like a real serial
adapter, so RFC 2217's baud and line settings land on a real tty. The relay holds the slave
open itself, so the pty stays up while ser2net has it closed (no EIO, no hangup), and the
pty is raw (no echo of the board's output back into the board). Output nobody reads is
dropped once the pty's buffer is full, like a UART's FIFO overrunning; it never stalls QEMU.
"""
from __future__ import annotations

import errno
import os
import select
import signal
import socket
import sys
import tty
from pathlib import Path

CHUNK = 4096


def serve(state: Path) -> None:
    master, slave = os.openpty()
    tty.setraw(slave)
    os.set_blocking(master, False)
    link = state / "tty"
    link.unlink(missing_ok=True)
    link.symlink_to(os.ttyname(slave))
    sock_path = state / "serial.sock"
    sock_path.unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(sock_path))
    listener.listen(1)
    board: socket.socket | None = None
    while True:
        watch: list[socket.socket | int] = [listener, master]
        if board is not None:
            watch.append(board)
        ready, _, _ = select.select(watch, [], [])
        if listener in ready:
            conn, _ = listener.accept()
            if board is not None:
                board.close()  # a new power-on: the old QEMU is gone
            board = conn
        if board is not None and board in ready:
            data = board.recv(CHUNK)
            if not data:
                board.close()
                board = None
            else:
                _write_dropping(master, data)
        if master in ready:
            try:
                data = os.read(master, CHUNK)
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EIO):
                    raise
                data = b""
            if data and board is not None:
                try:
                    board.sendall(data)
                except OSError:
                    board.close()
                    board = None


def _write_dropping(fd: int, data: bytes) -> None:
    try:
        os.write(fd, data)
    except BlockingIOError:
        pass  # nobody reads the console and the pty is full: lost, as on a real UART


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    serve(Path(sys.argv[1]))


if __name__ == "__main__":
    main()
