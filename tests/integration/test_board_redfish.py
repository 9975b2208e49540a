"""The Redfish board path on real components: sushy-emulator (libvirt driver, HTTPS with a
certificate from a lab CA the test makes) as the BMC of a libvirt q35/OVMF domain, the kernel's
ESP deployed as an El Torito ISO by virtual media, the console through ser2net over RFC 2217.
After every outcome the board is off and released, the media ejected, the override cleared,
nothing left running, and the BMC password in no process list or file."""
from __future__ import annotations

import dataclasses
import http.server
import json
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest
from board_support import BOOTLAB, REPO
from redfish_support import board_of, domain_running, ps_text, redfish_inventory, running_redfish_board
from polling import wait_until

from rustux_bootlab.lab.verdict import Culprit
from rustux_bootlab.workers import secrets
from rustux_bootlab.workers.board.error import BoardError
from rustux_bootlab.workers.board.lock import BoardLock
from rustux_bootlab.workers.console.base import ConsoleGap
from rustux_bootlab.workers.console.netconsole import NetConsole
from rustux_bootlab.workers.power.redfish import RedfishPower
from rustux_bootlab.workers.state import vboard_dir
from rustux_bootlab.workers.vboard import labca, libvirt, redfishboard

ESP = REPO / "build" / "esp"


def boot(inventory: Path, board: str, out: Path) -> tuple[int, dict, str, list[str]]:
    """`bootlab boot --board`, sampling the process list while it runs (for the password check)."""
    proc = subprocess.Popen([str(BOOTLAB), "boot", "--board", board, "--image", str(ESP), "--inventory", str(inventory),
                             "--out", str(out), "--json"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    samples = []
    while proc.poll() is None:
        samples.append(ps_text())
        time.sleep(0.5)
    stdout, stderr = proc.communicate()
    return proc.returncode, json.loads(stdout) if stdout.strip() else {}, stderr, samples


def assert_off_released_clean(board, out: Path, ps_samples: list[str]) -> None:
    power = RedfishPower.for_board(board)
    assert power.status() == "off", "the board was left powered on"
    lock = BoardLock(board)
    lock.acquire("test: is it free?")
    lock.release()
    xml = libvirt.virsh("dumpxml", redfishboard.domain_name(board)).stdout
    assert "esp-iso" not in xml, "the virtual media was left inserted"
    password = secrets.resolve(board.bmc.credentials.password_secret)
    assert not any(password in sample for sample in ps_samples), "the BMC password showed in the process list"
    # the record, and the virtual BMC's own files (its users file holds a bcrypt hash, its logs no header)
    for f in [*out.rglob("*"), *vboard_dir(board).rglob("*")]:
        if f.is_file() and not f.is_symlink():
            assert password not in f.read_text(errors="replace"), f"the BMC password is in {f}"


@pytest.mark.qemu
def test_kernel_boots_by_virtual_media_on_the_redfish_board(tmp_path: Path) -> None:
    inventory, board = board_of(redfish_inventory(tmp_path))
    out = tmp_path / "record"
    with running_redfish_board(inventory, board):
        rc, result, stderr, samples = boot(inventory.path, board.name, out)
        assert rc == 0, stderr[-2000:]
        assert result["verdict"] == "PASS", result["reason"]
        info = result["board"]
        assert info["power_protocol"] == "redfish" and info["console"] == "rfc2217"
        assert info["deploy"]["method"] == "virtual-media" and info["boot_device"] == "cd"
        assert info["deploy"]["fetched_bytes"] >= info["deploy"]["iso_bytes"] > 0, "the BMC never fetched the ISO"
        events = [p["event"] for p in info["power"]]
        assert any(e.startswith("power is on (read back") for e in events)
        assert any(e.startswith("power is off") for e in events)  # the kernel's own poweroff step may be first
        # sushy-emulator makes the one-time override permanent: the lab says so and puts it back after the boot
        assert any("not once" in e for e in events) and any(e.startswith("boot override set back") for e in events)
        assert "virtual media ejected" in events
        assert {m["channel"] for m in result["milestones"]} == {"serial"}
        assert_off_released_clean(board, out, samples)
    print(f"redfish virtual media: power-on to final milestone {result['milestones'][-1]['t']:.2f}s")


def test_an_override_the_bmc_ignores_is_an_error_of_the_board_before_power_on(tmp_path: Path) -> None:
    """sushy-emulator's own knob makes it accept the Cd override and keep booting its disk; the
    read-back says so before the board is powered (a BMC that reports the override and still boots
    elsewhere is caught on the console instead: lab/boardview.py's virtual-media signature)."""
    inventory, board = board_of(redfish_inventory(tmp_path))
    out = tmp_path / "record"
    with running_redfish_board(inventory, board, ignore_boot_device=True):
        rc, result, stderr, samples = boot(inventory.path, board.name, out)
        assert result["verdict"] == "ERROR" and result["culprit"] == Culprit.BOARD.value, (result.get("reason"), stderr[-800:])
        assert "asked for a one-time Cd boot override, the BMC reports target" in result["reason"]
        assert not any(p["event"] == "power on requested" for p in result["board"]["power"])
        assert_off_released_clean(board, out, samples)


def test_refused_login_and_a_foreign_certificate_are_errors_of_the_lab(tmp_path: Path) -> None:
    inventory, board = board_of(redfish_inventory(tmp_path))
    with running_redfish_board(inventory, board):
        other_ca = tmp_path / "other-ca.pem"
        labca.ensure_ca(other_ca)
        foreign = dataclasses.replace(board, bmc=dataclasses.replace(board.bmc, ca=other_ca))
        with pytest.raises(BoardError) as err:
            RedfishPower.for_board(foreign).status()
        assert err.value.culprit == Culprit.LAB and "certificate does not verify" in str(err.value)
        right = secrets.resolve(board.bmc.credentials.password_secret)
        secrets.secret_path(board.bmc.credentials.password_secret).write_text("not-the-password\n")
        rc, result, stderr, _ = boot(inventory.path, board.name, tmp_path / "record")
        assert result["verdict"] == "ERROR" and result["culprit"] == Culprit.LAB.value, result.get("reason")
        assert "refused user 'admin'" in result["reason"] and board.bmc.credentials.password_secret in result["reason"]
        assert right not in stderr and "not-the-password" not in stderr
        assert not domain_running(board)


class _Answer503(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_a_bmc_answering_503_or_nothing_is_an_error_of_the_board(tmp_path: Path) -> None:
    """A BMC busy with 503 is served by a stand-in HTTPS server (sushy-emulator never answers 503);
    a BMC that is not there at all is a port nothing listens on, a hung one a port nothing accepts on."""
    inventory, board = board_of(redfish_inventory(tmp_path))
    secrets.ensure(board.bmc.credentials.password_secret)
    assert board.bmc.ca is not None
    labca.issue(board.bmc.ca, "127.0.0.1", tmp_path / "busy.crt", tmp_path / "busy.key")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer503)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "busy.crt", tmp_path / "busy.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        busy = dataclasses.replace(board, bmc=dataclasses.replace(board.bmc, port=server.server_address[1]))
        with pytest.raises(BoardError) as err:
            RedfishPower.for_board(busy).status()
        assert err.value.culprit == Culprit.BOARD and "HTTP 503" in str(err.value)
    finally:
        server.shutdown()
        server.server_close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        gone = dataclasses.replace(board, bmc=dataclasses.replace(board.bmc, port=s.getsockname()[1]))
        with pytest.raises(BoardError) as err:
            RedfishPower.for_board(gone).status()
        assert err.value.culprit == Culprit.BOARD and "does not answer" in str(err.value)
        s.listen()  # connections complete in the kernel's backlog, and nothing ever answers them
        hung = dataclasses.replace(gone, bmc=dataclasses.replace(gone.bmc, timeout_s=1.0))
        start = time.monotonic()
        with pytest.raises(BoardError) as err:
            RedfishPower.for_board(hung).status()
        assert err.value.culprit == Culprit.BOARD and "does not answer" in str(err.value) and "timed out" in str(err.value)
        assert time.monotonic() - start < 10, "the read timeout (bmc.timeout_s) bounds a silent BMC"


def test_ser2net_dropping_the_console_is_a_gap_and_a_reconnect(tmp_path: Path) -> None:
    inventory, board = board_of(redfish_inventory(tmp_path))
    with running_redfish_board(inventory, board):
        start = time.monotonic()
        console = NetConsole(board.name, "rfc2217", "127.0.0.1", board.console.port, 115200, lambda: time.monotonic() - start)
        console.open()
        try:
            # another client on the same port: ser2net's kickolduser drops ours, as on a shared lab controller
            with socket.create_connection(("127.0.0.1", board.console.port)):
                wait_until(lambda: console.read(0.1) is not None and console.down_since is not None, 10,
                           "ser2net's drop noticed")
            gaps = wait_until(lambda: [c for c in console.read(0.1) if isinstance(c, ConsoleGap)], 10, "a gap marker")
            assert gaps[0].end >= gaps[0].start and "reconnected" in gaps[0].reason
            assert console.down_since is None
        finally:
            console.close()
