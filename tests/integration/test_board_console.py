"""Board consoles against real endpoints: a pty pair for the serial port, OpenIPMI's
`ipmi_sim` for serial-over-LAN (its SOL fed by a small TCP "UART" that prints numbered
lines), `ipmitool -I lanplus -C 3` as the other client that kills our SOL session."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rustux_bootlab.harness.local_lab import free_port
from rustux_bootlab.workers.board.error import ConsoleError
from rustux_bootlab.workers.console.base import ConsoleGap
from rustux_bootlab.workers.console.serialport import SerialConsole
from rustux_bootlab.workers.console.sol import SolConsole
from polling import wait_until

ADMIN_PW = "adm-Secret-41"
SOL_PW = "sol-Secret-42"


def collect(console, seconds: float, until: bytes | None = None) -> tuple[bytes, list[ConsoleGap]]:
    data, gaps = b"", []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for chunk in console.read(0.1):
            if isinstance(chunk, ConsoleGap):
                gaps.append(chunk)
            else:
                data += chunk
        if until is not None and until in data:
            break
    return data, gaps


# --- serial port ------------------------------------------------------------------------

def _pty(link: Path) -> int:
    """A pty whose slave is reachable as `link` (like /dev/serial/by-id/...); returns the master."""
    master, slave = os.openpty()
    name = os.ttyname(slave)
    os.close(slave)
    link.unlink(missing_ok=True)
    link.symlink_to(name)
    return master


def test_serial_reads_writes_and_reopens_with_a_gap(tmp_path: Path) -> None:
    link = tmp_path / "ttyBOARD"
    master = _pty(link)
    start = time.monotonic()
    console = SerialConsole("bench-1", link, 115200, clock=lambda: time.monotonic() - start, retry_s=0.2)
    console.open()
    try:
        os.write(master, b"BdsDxe: loading Boot0001\r\n")
        data, gaps = collect(console, 2.0, until=b"Boot0001")
        assert b"BdsDxe: loading Boot0001" in data and not gaps
        console.write(b"\x1b")  # a key for the firmware menu reaches the board
        assert os.read(master, 16) == b"\x1b"
        os.close(master)  # the adapter vanishes
        collect(console, 0.5)
        master = _pty(link)  # ... and comes back
        os.write(master, b"[rustux] back\r\n")
        data, gaps = collect(console, 3.0, until=b"back")
        assert len(gaps) == 1 and gaps[0].end > gaps[0].start, gaps
        assert "lost" in gaps[0].text() and str(link) in gaps[0].text()
    finally:
        console.close()
        os.close(master)


def test_serial_missing_device_is_a_console_error_naming_board_and_device(tmp_path: Path) -> None:
    console = SerialConsole("bench-2", tmp_path / "ttyNONE", 115200, clock=time.monotonic)
    with pytest.raises(ConsoleError, match=r"board bench-2: console at .*ttyNONE at 115200 baud"):
        console.open()


# --- serial-over-LAN against ipmi_sim -----------------------------------------------------

class Uart:
    """The board's UART as ipmi_sim's SOL sees it: a TCP server printing numbered lines."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.received = b""
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.server.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            conn.settimeout(0.05)
            i = 0
            with conn:
                while not self.stop.is_set():
                    try:
                        conn.sendall(f"uart line {i}\r\n".encode())
                        i += 1
                        self.received += conn.recv(4096)
                    except TimeoutError:
                        pass
                    except OSError:
                        break
                    time.sleep(0.05)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        self.server.close()


@pytest.fixture
def bmc(tmp_path: Path) -> Iterator[dict]:
    uart = Uart()
    port = free_port(socket.SOCK_DGRAM)
    (tmp_path / "lan.conf").write_text(f"""name "console-test"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 {port}
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid 0123456789abcdef0123456789abcdef
  endlan
  sol "tcp:127.0.0.1:{uart.port}" 115200 history=4096
  user 2 true "admin" "{ADMIN_PW}" admin 10 none md2 md5 straight
  user 3 true "sol" "{SOL_PW}" admin 10 none md2 md5 straight
""")
    (tmp_path / "bmc.emu").write_text(
        "mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\n"
        "sel_enable 0x20 1000 0x0a\nmc_enable 0x20\n")
    (tmp_path / "state").mkdir()
    sim = subprocess.Popen(["ipmi_sim", "-c", "lan.conf", "-f", "bmc.emu", "-s", "state", "-n"], cwd=tmp_path,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        # ipmi_sim connects to the UART at once, then every 10 s
        wait_until(lambda: _connected_to(uart.port), 15, "ipmi_sim connected to the UART")
        yield {"port": port, "uart": uart}
    finally:
        sim.terminate()
        sim.wait(5)
        uart.close()


def _connected_to(port: int) -> bool:
    out = subprocess.run(["ss", "-tnH", "state", "established", f"( dport = :{port} )"], capture_output=True, text=True).stdout
    return bool(out.strip())


def _sol(port: int, password: str = SOL_PW, **kw) -> SolConsole:
    start = time.monotonic()
    return SolConsole("vb-console", "127.0.0.1", port, "sol", password, clock=lambda: time.monotonic() - start, **kw)


def test_sol_streams_the_uart_and_sends_keys(bmc: dict) -> None:
    console = _sol(bmc["port"])
    console.open()
    try:
        data, gaps = collect(console, 10.0, until=b"\n")
        assert re.search(rb"uart line \d+\r\n", data), data[-200:]
        console.write(b"~x")
        wait_until(lambda: collect(console, 0.2) and b"~x" in bmc["uart"].received, 5, "the keys reached the UART")
        assert not gaps
    finally:
        console.close()


def test_sol_killed_by_another_client_reconnects_with_a_gap_marker(bmc: dict) -> None:
    console = _sol(bmc["port"], probe_idle_s=0.5, retry_s=0.3)
    console.open()
    try:
        collect(console, 10.0, until=b"\n")
        env = dict(os.environ, IPMI_PASSWORD=ADMIN_PW)  # -E: never on the command line
        kill = subprocess.run(["ipmitool", "-I", "lanplus", "-C", "3", "-H", "127.0.0.1", "-p", str(bmc["port"]),
                               "-U", "admin", "-E", "sol", "deactivate"], env=env, capture_output=True, text=True, timeout=20)
        assert kill.returncode == 0, kill.stderr
        gaps: list[ConsoleGap] = []
        after = b""
        deadline = time.monotonic() + 15
        while not (gaps and b"uart line" in after) and time.monotonic() < deadline:
            for chunk in console.read(0.1):
                if isinstance(chunk, ConsoleGap):
                    gaps.append(chunk)
                elif gaps:
                    after += chunk
        assert len(gaps) == 1, "the deactivated SOL session was never noticed"
        assert "deactivated" in gaps[0].reason and gaps[0].end > gaps[0].start
        assert b"uart line" in after, "no SOL data after the reconnect"
    finally:
        console.close()


def test_sol_wrong_password_is_a_console_error_naming_board_and_bmc(bmc: dict) -> None:
    start = time.monotonic()
    with pytest.raises(ConsoleError, match=rf"board vb-console: console at 127.0.0.1:{bmc['port']} \(SOL user sol\)") as info:
        _sol(bmc["port"], password="not-the-password").open()
    assert info.value.culprit == "lab", "a wrong password is our configuration, not the board"
    assert time.monotonic() - start < 5


def test_sol_unreachable_bmc_fails_within_the_connect_timeout() -> None:
    port = free_port(socket.SOCK_DGRAM)  # nothing listens there
    start = time.monotonic()
    with pytest.raises(ConsoleError, match=rf"127.0.0.1:{port}") as info:
        _sol(port, connect_timeout_s=3.0).open()
    assert info.value.culprit == "board"
    assert time.monotonic() - start < 6
