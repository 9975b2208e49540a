"""Redfish boards in the inventory: power protocol, RFC 2217/TCP consoles, virtual-media deploy,
and the combinations that cannot work refused with the key to fix; the virtual-media deploy's
console signature (a network boot instead of the inserted CD)."""
import re
from pathlib import Path

import pytest

from rustux_bootlab.lab.boardview import board_view
from rustux_bootlab.lab.cleaning import clean_block
from rustux_bootlab.lab.inventory import InventoryError, load_inventory
from rustux_bootlab.lab.milestones import load_spec

REPO = Path(__file__).resolve().parents[2]
REAL = REPO / "lab-inventory.yaml"

RF = """
  rf-1:
    worker: local-qemu
    bmc: {protocol: redfish, host: 10.0.0.10, user: lab, password_secret: rf-1-bmc, ca: certs/ca.pem, system: /redfish/v1/Systems/1}
    console: {kind: rfc2217, host: 10.0.0.5, port: 7001}
    deploy: {method: virtual-media, serve: 10.0.0.5}
"""


def with_board(tmp_path, text):
    p = tmp_path / "lab-inventory.yaml"
    p.write_text(REAL.read_text() + text)
    return p


def test_a_redfish_board(tmp_path):
    b = load_inventory(with_board(tmp_path, RF)).board("rf-1")
    assert b.bmc.protocol == "redfish" and b.bmc.port == 443 and b.bmc.ca == tmp_path / "certs" / "ca.pem"
    assert b.bmc.system == "/redfish/v1/Systems/1"
    assert b.console.kind == "rfc2217" and b.console.address == "10.0.0.5:7001" and b.console.baud == 115200
    assert b.deploy.method == "virtual-media" and b.deploy.serve == "10.0.0.5"
    assert load_inventory(REAL).board("vboard-1").bmc.protocol == "ipmi"


@pytest.mark.parametrize(
    ("old", "new", "key", "message"),
    [
        ("{kind: rfc2217, host: 10.0.0.5, port: 7001}", "{kind: sol}", "console", "serial-over-LAN is IPMI's: a redfish board"),
        ("protocol: redfish, ", "", "deploy", "virtual media is inserted through a Redfish BMC"),
        ("protocol: redfish", "protocol: amt", "bmc.protocol", "ipmi, redfish"),
        ("port: 7001", "baud: 9600", "console", "missing required key 'port'"),
        ("{method: virtual-media, serve: 10.0.0.5}", "{method: virtual-media}", "deploy", "missing required key 'serve'"),
    ],
)
def test_broken_redfish_boards(tmp_path, old, new, key, message):
    assert old in RF, old
    text = RF.replace(old, new, 1)
    if old == "protocol: redfish, ":
        text = text.replace(" ca: certs/ca.pem, system: /redfish/v1/Systems/1", "")
    p = with_board(tmp_path, text)
    with pytest.raises(InventoryError) as e:
        load_inventory(p)
    assert re.match(rf"{re.escape(str(p))}:\d+: boards\.rf-1\.{re.escape(key)}", str(e.value)), str(e.value)
    assert message in str(e.value)


def test_a_network_boot_instead_of_the_virtual_cd_is_the_boards_fault():
    spec, _ = board_view(load_spec(REPO / "kernel" / "milestones.yaml"), deploy="virtual-media")
    sigs = [s for s in spec.infrastructure if s.name == "network-boot-instead-of-virtual-media"]
    assert len(sigs) == 1 and sigs[0].culprit.value == "board"
    assert sigs[0].regex.search(clean_block(b"BdsDxe: loading Boot0001\r\n>>Start PXE over IPv4."))
    assert not sigs[0].regex.search(clean_block(b"BdsDxe: starting Boot0002 \"UEFI QEMU DVD-ROM QM00005\""))
