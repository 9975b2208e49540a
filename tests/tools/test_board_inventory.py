"""Boards in lab-inventory.yaml: the virtual boards load; broken boards say file:line: key: what is expected."""
import re
from pathlib import Path

import pytest

from rustux_bootlab.lab.inventory import InventoryError, load_inventory

REPO = Path(__file__).resolve().parents[2]
REAL = REPO / "lab-inventory.yaml"

NUC = """
  nuc-1:
    worker: local-qemu
    enabled: false
    mac: "AA:BB:CC:00:11:22"
    bmc: {host: 10.0.0.9, user: admin, password_secret: nuc-1-bmc, timeout_s: 3, retries: 1}
    console: {kind: serial, device: /dev/ttyUSB0, baud: 57600}
    deploy: {method: usb, device: /dev/sdz, mux: {kind: usbsdmux, control: /dev/sg1}, host: {address: 10.0.0.5, user: lab, key_secret: stick-key}}
"""


def with_board(tmp_path, text):
    p = tmp_path / "lab-inventory.yaml"
    p.write_text(REAL.read_text() + text)
    return p


def test_real_virtual_boards():
    inv = load_inventory(REAL)
    pxe, usb = inv.board("vboard-1"), inv.board("vboard-2")
    assert pxe.bmc.host == "127.0.0.1" and pxe.bmc.credentials.password_secret == "vboard-1-bmc"
    assert pxe.console.kind == "sol" and pxe.console.credentials.user != pxe.bmc.credentials.user
    assert pxe.deploy.method == "pxe" and usb.deploy.method == "usb" and usb.deploy.mux.kind == "virtual"
    assert usb.deploy.device == REPO / "build" / "lab" / "vboard-2" / "usb.img"
    assert pxe.milestones == REPO / "kernel" / "milestones.yaml"
    assert pxe.virtual.firmware in inv.firmware and pxe.worker in inv.workers
    ports = [pxe.bmc.port, pxe.virtual.serial_port, usb.bmc.port, usb.virtual.serial_port]
    assert len(set(ports)) == 4
    # no password anywhere in the inventory: only secret names
    assert "password:" not in REAL.read_text()


def test_a_physical_board(tmp_path):
    b = load_inventory(with_board(tmp_path, NUC)).board("nuc-1")
    assert b.mac == "aa:bb:cc:00:11:22" and b.enabled is False and b.virtual is None
    assert b.bmc.port == 623 and b.bmc.address == "10.0.0.9:623" and b.bmc.retries == 1
    assert b.console.device == Path("/dev/ttyUSB0") and b.console.baud == 57600
    assert b.deploy.host.address == "10.0.0.5" and b.deploy.host.port == 22 and b.deploy.mux.control == "/dev/sg1"


def test_unknown_board_suggests():
    with pytest.raises(InventoryError, match=re.escape("unknown board 'vboard1' (did you mean 'vboard-1'?)")):
        load_inventory(REAL).board("vboard1")


@pytest.mark.parametrize(
    "old, new, key, message",
    [
        ("password_secret: nuc-1-bmc", "password: hunter2", "bmc.password", "unknown key (did you mean 'password_secret'?)"),
        ('"AA:BB:CC:00:11:22"', '"AA:BB:CC:00:11"', "mac", "is not a MAC address"),
        ("kind: serial, device: /dev/ttyUSB0, ", "kind: serial, ", "console", "missing required key 'device'"),
        ("kind: serial", "kind: ssh", "console.kind", "'ssh' is not one of sol, serial"),
        ("method: usb", "method: pxe", "deploy.device", "unknown key"),
        ("kind: usbsdmux", "kind: sdwire", "deploy.mux.kind", "'sdwire' is not one of virtual, usbsdmux"),
        ("user: lab, key_secret: stick-key", "user: lab", "deploy.host", "give password_secret or key_secret"),
        ("enabled: false", "enabled: maybe", "enabled", "expected true or false"),
        ("enabled: false", "health: out-of-service", "health", "renamed: say `enabled: false` for a board out of service"),
        ("worker: local-qemu\n    enabled", "worker: board-ctl\n    enabled", "worker", "'board-ctl' is not one of local-qemu"),
        ("timeout_s: 3", "timeout_s: 0", "bmc.timeout_s", "must be at least 0.5"),
    ],
)
def test_broken_boards(tmp_path, old, new, key, message):
    assert old in NUC, old
    p = with_board(tmp_path, NUC.replace(old, new, 1))
    with pytest.raises(InventoryError) as e:
        load_inventory(p)
    assert re.match(rf"{re.escape(str(p))}:\d+: boards\.nuc-1\.{re.escape(key)}: ", str(e.value)), str(e.value)
    assert message in str(e.value)


def test_a_virtual_bmc_stays_on_loopback(tmp_path):
    text = REAL.read_text().replace("bmc: {host: 127.0.0.1, port: 9623", "bmc: {host: 0.0.0.0, port: 9623")
    p = tmp_path / "lab-inventory.yaml"
    p.write_text(text)
    with pytest.raises(InventoryError, match=r"boards\.vboard-1\.bmc: a virtual board's BMC must listen on 127\.0\.0\.1"):
        load_inventory(p)
