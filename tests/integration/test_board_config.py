"""The pieces of a virtual board that need no running BMC: secrets by name, ipmi_sim's
LAN.conf, the VM's QEMU argv per boot device, and the chassis program without a supervisor."""
from __future__ import annotations

import dataclasses
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from board_support import board_of, vboard_inventory
from rustux_bootlab.workers import secrets
from rustux_bootlab.workers.vboard import ipmisim
from rustux_bootlab.workers.vboard.machine import Machine, lan_ifup_script, qemu_argv


@pytest.fixture
def secrets_dir(tmp_path):
    return tmp_path / "secrets"  # the test's $BOOTLAB_SECRETS (conftest.py)


def test_a_secret_is_read_by_name_and_never_quoted(secrets_dir):
    secrets_dir.mkdir()
    (secrets_dir / "bmc-1").write_text("s3cr3t-value\n")
    assert secrets.resolve("bmc-1") == "s3cr3t-value"
    (secrets_dir / "empty").write_text("\n")
    for name, message in (("missing", "secret 'missing' not found: create"), ("empty", "secret 'empty' is empty"),
                          ("../etc/passwd", "is not a secret name")):
        with pytest.raises(secrets.SecretError, match=message) as e:
            secrets.resolve(name)
        assert "s3cr3t" not in str(e.value)


def test_a_virtual_board_secret_is_generated_once_mode_600(secrets_dir):
    first = secrets.ensure("vb-bmc")
    assert len(first) >= 12 and secrets.ensure("vb-bmc") == first
    assert stat.S_IMODE((secrets_dir / "vb-bmc").stat().st_mode) == 0o600


def test_lan_conf_users_loopback_and_chassis_program(tmp_path):
    _, board = board_of(vboard_inventory(tmp_path))
    conf = ipmisim.lan_conf(board, [("admin", "pw-a"), ("sol", "pw-s")], tmp_path / "st")
    assert f"addr 127.0.0.1 {board.bmc.port}" in conf
    assert f'sol "tcp:127.0.0.1:{board.virtual.serial_port}" 115200' in conf
    assert 'user 2 true "admin" "pw-a" admin' in conf and 'user 3 true "sol" "pw-s" admin' in conf
    assert 'user 1 false ""' in conf  # no anonymous login
    assert f'chassis_control "{sys.executable} -I {ipmisim.CHASSIS} {tmp_path / "st"}"' in conf
    with pytest.raises(ValueError, match="cannot contain quotes"):
        ipmisim.lan_conf(board, [("admin", 'a"b')], tmp_path)
    path, _ = ipmisim.write_config(board, [("admin", "pw-a")], tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def machine(tmp_path: Path, usb: bool) -> Machine:
    (tmp_path / "tftp").mkdir(exist_ok=True)
    image = tmp_path / "usb.img"
    image.write_bytes(b"\0" * 512)
    return Machine("vb", 256, "/code.fd", "/vars.fd", "52:54:00:00:00:01", str(tmp_path / "tftp"),
                   str(image) if usb else None, str(tmp_path / "serial.sock"))


def test_the_boot_device_orders_nic_and_stick(tmp_path):
    m = machine(tmp_path, usb=True)
    pxe = " ".join(qemu_argv(m, "pxe", tmp_path / "vars.fd"))
    assert "romfile=,bootindex=1" in pxe and "removable=on,bootindex=2" in pxe
    assert f"tftp={tmp_path / 'tftp'},bootfile=bootx64.efi" in pxe
    disk = " ".join(qemu_argv(m, "default", tmp_path / "vars.fd"))
    assert "romfile=,bootindex=2" in disk and "removable=on,bootindex=1" in disk
    # like hardware: no debug-exit device, no debugcon, a reset reboots
    assert "isa-debug-exit" not in disk and "debugcon" not in disk and "-no-reboot" not in disk
    only_net = " ".join(qemu_argv(machine(tmp_path, usb=False), "default", tmp_path / "vars.fd"))
    assert "romfile=,bootindex=1" in only_net and "usb-storage" not in only_net


def test_a_board_on_a_lab_network_has_a_tap_on_its_bridge_not_qemus_tftp(tmp_path):
    m = dataclasses.replace(machine(tmp_path, usb=False), lan_bridge="lab0", lan_ifup=str(tmp_path / "lan-ifup"))
    argv = " ".join(qemu_argv(m, "pxe", tmp_path / "vars.fd"))
    assert f"tap,id=lan0,script={tmp_path / 'lan-ifup'},downscript=no" in argv and "tftp=" not in argv
    ifup = tmp_path / "lan-ifup"
    ifup.write_text(lan_ifup_script("lab0"))
    assert subprocess.run(["sh", "-n", str(ifup)]).returncode == 0
    assert 'master lab0' in ifup.read_text()


def test_the_chassis_program_fails_fast_without_a_supervisor(tmp_path):
    proc = subprocess.run([sys.executable, "-I", str(ipmisim.CHASSIS), str(tmp_path), "get", "power"],
                          capture_output=True, text=True, timeout=10)
    assert proc.returncode == 1 and "supervisor at" in proc.stderr and "not reachable" in proc.stderr
    usage = subprocess.run([sys.executable, "-I", str(ipmisim.CHASSIS), str(tmp_path), "jump"],
                           capture_output=True, text=True, timeout=10)
    assert usage.returncode == 2
