"""Redfish quirks and virtual-media faults against the real sushy-emulator and its libvirt domain,
through `redfish_quirks.QuirkyBmc` (the one fake: BMC behaviours the emulator does not have)."""
from __future__ import annotations

import dataclasses
import socket
from pathlib import Path

import pytest
import requests
from board_support import password
from redfish_quirks import QuirkyBmc, Quirks
from redfish_support import board_of, domain_running, redfish_inventory, running_redfish_board
from test_board_redfish import assert_off_released_clean, boot

from rustux_bootlab.lab.verdict import Culprit
from rustux_bootlab.workers.power.redfish import RedfishPower


@pytest.fixture
def quirky(tmp_path: Path):
    """A running Redfish virtual board and a QuirkyBmc in front of it; yields (inventory, board, quirks, proxied board)."""
    inventory, board = board_of(redfish_inventory(tmp_path))
    with running_redfish_board(inventory, board):
        quirks = Quirks()
        assert board.bmc.ca is not None
        bmc = QuirkyBmc(f"https://{board.bmc.address}", board.bmc.ca, tmp_path, quirks)
        try:
            proxied = dataclasses.replace(board, bmc=dataclasses.replace(board.bmc, port=bmc.port))
            yield inventory, board, quirks, proxied
        finally:
            bmc.stop()


def test_the_quirks_other_labs_met_are_handled(quirky) -> None:
    _, board, quirks, proxied = quirky
    quirks.busy, quirks.slash_404, quirks.etag, quirks.transient = 1, True, True, 3
    log: list[str] = []
    power = RedfishPower.for_board(proxied, log=log.append)
    assert power.status() == "off"  # after one 503 (retried) and 404s for paths without a trailing slash
    assert quirks.seen[0].endswith("-> 503") and any(s.endswith("Systems -> 404") for s in quirks.seen)
    power.set_boot("network")  # PATCH with If-Match: the ETag the system was read with
    assert any(s.startswith("PATCH") and s.endswith("-> 204") for s in quirks.seen), quirks.seen
    system = next(s.split()[1] for s in quirks.seen if s.startswith("PATCH"))
    unconditional = requests.patch(f"https://127.0.0.1:{proxied.bmc.port}{system}", json={"Boot": {}}, timeout=10,
                                   verify=str(board.bmc.ca), auth=(board.bmc.credentials.user, password(board)))
    assert unconditional.status_code == 412, "the stand-in did not require If-Match: the check above proves nothing"
    power.on()  # the next three reads say PoweringOn: waited out, not taken for the answer
    assert domain_running(board) and quirks.transient_served == 3
    assert any(e.startswith("redfish: power is on (read back") for e in log), log
    power.off()
    assert not domain_running(board) and quirks.transient_served == 6
    assert any(e.startswith("redfish: power is off (read back") for e in log), log
    power.clear_boot()
    assert any(e.startswith("redfish: boot override set back to Hdd") for e in log), log


@pytest.mark.parametrize("fault", ["refused", "unreachable"])
def test_insert_media_refused_or_unreachable_is_an_error_of_the_board(quirky, tmp_path: Path, fault: str) -> None:
    inventory, board, quirks, proxied = quirky
    if fault == "refused":
        quirks.refuse_insert = True
    else:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            quirks.unreachable_media = f"http://127.0.0.1:{s.getsockname()[1]}/esp.iso"
    inv = tmp_path / "proxied.yaml"
    inv.write_text(inventory.path.read_text().replace(f"port: {board.bmc.port},", f"port: {proxied.bmc.port},"))
    out = tmp_path / "record"
    rc, result, stderr, samples = boot(inv, board.name, out)
    assert result["verdict"] == "ERROR" and result["culprit"] == Culprit.BOARD.value, (result.get("reason"), stderr[-600:])
    assert "InsertMedia" in result["reason"] and "never fetched" in result["reason"]
    assert ("HTTP 400" in result["reason"]) if fault == "refused" else ("Connection refused" in result["reason"] or
                                                                          "HTTP 500" in result["reason"])
    assert not any(p["event"] == "power on requested" for p in result["board"]["power"])
    assert_off_released_clean(board, out, samples)
