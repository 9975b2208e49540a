"""The Redfish virtual board's BMC: sushy-emulator (libvirt driver) over HTTPS, and ser2net for its console.

sushy-emulator (PyPI sushy-tools) lives in a venv of its own, made once per machine with
Debian's `/usr/bin/python3 -m venv --system-site-packages` so it sees Debian's
`python3-libvirt` (libvirt's Python binding is not worth building from PyPI), under
`~/.cache/rustux-bootlab/sushy-tools-<version>` (or $BOOTLAB_SUSHY_VENV): a tool of the machine,
like a Debian package, so not under a lab's or a host's own $XDG_CACHE_HOME (the hosts lab gives
each host its own, inside a network namespace with no route to PyPI). `.installed`, written
last, marks a complete install; `scripts/install-deps.sh` runs `python -m
rustux_bootlab.workers.vboard.redfishbmc` to install it with the rest.

Its configuration (a Python file, as sushy-emulator reads it) pins what the lab relies on:
HTTPS with a certificate from the lab CA (`labca.py`), HTTP basic users from an
htpasswd-style file (bcrypt; mode 600, like the BMC's flash), only this board's domain, and
`SUSHY_EMULATOR_BOOT_LOADER_MAP` pointing UEFI at the plain OVMF build (its default is the
Secure Boot one, which would refuse the lab's unsigned kernel). ser2net 4 serves the board's
UART (`uart.py`'s pty) over RFC 2217 on the console's loopback port.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import bcrypt

from rustux_bootlab.lab.board import Board

SUSHY_TOOLS_VERSION = "2.2.0"
INSTALLED = ".installed"
DEBIAN_PYTHON = "/usr/bin/python3"


class BmcInstallError(Exception):
    pass


def venv_dir() -> Path:
    if os.environ.get("BOOTLAB_SUSHY_VENV"):
        return Path(os.environ["BOOTLAB_SUSHY_VENV"])
    return Path.home() / ".cache" / "rustux-bootlab" / f"sushy-tools-{SUSHY_TOOLS_VERSION}"


def install() -> Path:
    """The sushy-emulator executable, its venv installed first if needed (pip from PyPI, ~30 s)."""
    venv = venv_dir()
    exe = venv / "bin" / "sushy-emulator"
    if (venv / INSTALLED).exists():
        return exe
    print(f"bootlab: installing sushy-tools {SUSHY_TOOLS_VERSION} into {venv} (once; about 30 s)", file=sys.stderr)
    for argv in ([DEBIAN_PYTHON, "-m", "venv", "--clear", "--system-site-packages", str(venv)],
                 [str(venv / "bin" / "pip"), "install", "-q", f"sushy-tools=={SUSHY_TOOLS_VERSION}"]):
        proc = subprocess.run(argv, capture_output=True, text=True)
        if proc.returncode != 0:
            raise BmcInstallError(f"installing sushy-tools: {' '.join(argv[:3])} failed ({proc.returncode}): "
                                  f"{proc.stderr.strip()[-800:]}")
    check = subprocess.run([str(venv / "bin" / "python"), "-c", "import libvirt"], capture_output=True, text=True)
    if check.returncode != 0:
        raise BmcInstallError("sushy-tools' venv cannot import libvirt: install python3-libvirt (scripts/install-deps.sh)")
    (venv / INSTALLED).touch()
    return exe


def _private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def write_config(board: Board, state: Path, password: str, code: str, uuid: str, *,
                 ignore_boot_device: bool = False) -> Path:
    """sushy-emulator's config and users file in `state`; returns the config's path."""
    users = state / "htpasswd"
    digest = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=6)).decode()  # rounds: each request checks it
    _private(users, f"{board.bmc.credentials.user}:{digest}\n")
    settings = {
        "SUSHY_EMULATOR_LISTEN_IP": board.bmc.host,
        "SUSHY_EMULATOR_LISTEN_PORT": board.bmc.port,
        "SUSHY_EMULATOR_SSL_CERT": str(state / "bmc.crt"),
        "SUSHY_EMULATOR_SSL_KEY": str(state / "bmc.key"),
        "SUSHY_EMULATOR_AUTH_FILE": str(users),
        "SUSHY_EMULATOR_LIBVIRT_URI": "qemu:///system",
        "SUSHY_EMULATOR_ALLOWED_INSTANCES": [uuid],  # the Systems collection lists domains by UUID
        "SUSHY_EMULATOR_BOOT_LOADER_MAP": {"UEFI": {"x86_64": code}, "Legacy": {"x86_64": None}},
        "SUSHY_EMULATOR_STATE_DIR": str(state / "sushy-state"),
        "SUSHY_EMULATOR_VMEDIA_VERIFY_SSL": True,
        # a fault knob for tests: a BMC that accepts the boot override and ignores it
        "SUSHY_EMULATOR_IGNORE_BOOT_DEVICE": ignore_boot_device,
    }
    conf = state / "sushy.conf"
    _private(conf, "".join(f"{k} = {v!r}\n" for k, v in settings.items()))
    return conf


def ser2net_config(board: Board, state: Path) -> Path:
    """ser2net 4's YAML: RFC 2217 (or a raw TCP accepter) on the console's loopback port, in front of
    the UART's pty. Also the PDU virtual board's (`pduboard.py`)."""
    assert board.console.port is not None
    conf = state / "ser2net.yaml"
    accepter = "telnet(rfc2217),tcp" if board.console.kind == "rfc2217" else "tcp"
    conf.write_text(
        f"connection: &{board.name}\n"
        f"  accepter: {accepter},{board.console.host or '127.0.0.1'},{board.console.port}\n"
        f"  connector: serialdev,{state / 'tty'},{board.console.baud}n81,local\n"
        "  options:\n"
        "    kickolduser: true\n"
    )
    return conf


if __name__ == "__main__":
    print(install())
