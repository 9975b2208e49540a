"""Deploy by USB: the ESP image written to a stick behind a mux, read back, hash compared.

A USB-SD-mux style switch connects the stick either to the lab host (to write it) or to
the board (to boot it). The board is off while the stick is on the host side. The stick is
written with the FAT image, flushed, its cache dropped, and the first `len(image)` bytes
read back: a stick that lies about a write is caught before the board boots from it.
Where the stick hangs off another lab host, the same happens over SFTP (paramiko): the
image is written into the device file there and read back through SFTP; that host's key
must be in the lab's known_hosts (`$BOOTLAB_STATE/known_hosts`), unknown hosts are refused.

```yaml
deploy: {method: usb, device: /dev/disk/by-id/usb-SanDisk-0:0, mux: {kind: usbsdmux, control: /dev/sg1},
         host: {address: 10.0.0.5, user: lab, key_secret: stick-host-key}}   # host: optional
```
Mux kinds: `virtual` (the virtual board attaches the stick file at power-on: nothing to
switch) and `usbsdmux` (Pengutronix `usbsdmux <control> host|dut`, run where the stick is).
"""
from __future__ import annotations

import hashlib
import io
import os
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import paramiko

from rustux_bootlab.lab.board import Board, MuxSpec, SshHost
from rustux_bootlab.lab.verdict import Culprit
from rustux_bootlab.workers.board.error import DeployError, board_secret
from rustux_bootlab.workers.state import state_root

CHUNK = 1024 * 1024
SSH_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class WrittenImage:
    device: str
    host: str | None
    bytes: int
    sha256: str
    readback_sha256: str

    def to_dict(self) -> dict[str, object]:
        return {"method": "usb", "device": self.device, "host": self.host, "bytes": self.bytes, "sha256": self.sha256,
                "readback_sha256": self.readback_sha256}


class MuxProtocol(Protocol):
    def to_host(self) -> None: ...

    def to_board(self) -> None: ...


class Remote:
    """An SSH connection to the host the stick hangs off (paramiko, host key checked)."""

    def __init__(self, board: str, host: SshHost) -> None:
        self.where = f"{host.user}@{host.address}:{host.port}"
        self.board = board
        self.client = paramiko.SSHClient()
        known = state_root() / "known_hosts"
        if known.exists():
            self.client.load_host_keys(str(known))
        self.client.set_missing_host_key_policy(paramiko.RejectPolicy())
        pkey = _key(board_secret(board, self.where, host.key_secret, DeployError)) if host.key_secret else None
        password = board_secret(board, self.where, host.password_secret, DeployError) if host.password_secret else None
        try:
            self.client.connect(host.address, port=host.port, username=host.user, pkey=pkey, password=password,
                                timeout=SSH_TIMEOUT_S, auth_timeout=SSH_TIMEOUT_S, banner_timeout=SSH_TIMEOUT_S,
                                allow_agent=False, look_for_keys=False)
        except paramiko.SSHException as e:
            hint = f": add its key to {known}" if "not found in known_hosts" in str(e) else ""
            raise DeployError(board, self.where, f"SSH: {e}{hint}", Culprit.LAB if hint else Culprit.BOARD) from None
        except OSError as e:
            raise DeployError(board, self.where, f"SSH: cannot connect ({e})") from None
        self.sftp = self.client.open_sftp()

    def run(self, argv: list[str]) -> None:
        _, stdout, stderr = self.client.exec_command(shlex.join(argv), timeout=SSH_TIMEOUT_S * 6)
        if stdout.channel.recv_exit_status() != 0:
            detail = stderr.read().decode(errors="replace").strip()
            raise DeployError(self.board, self.where, f"{shlex.join(argv)} failed: {detail}")

    def close(self) -> None:
        self.client.close()


def _key(text: str) -> paramiko.PKey:
    for kind in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return kind.from_private_key(io.StringIO(text + "\n"))
        except paramiko.SSHException:
            continue
    raise paramiko.SSHException("the key secret holds no OpenSSH private key (ed25519, ecdsa or rsa)")


class VirtualMux:
    """The virtual board attaches the stick's file at each power-on: nothing to switch."""

    def to_host(self) -> None:
        pass

    def to_board(self) -> None:
        pass


class UsbSdMux:
    """Pengutronix USB-SD-Mux via its `usbsdmux` tool, on the host the stick hangs off."""

    def __init__(self, board: str, control: str, remote: Remote | None) -> None:
        self.board, self.control, self.remote = board, control, remote

    def to_host(self) -> None:
        self._switch("host")

    def to_board(self) -> None:
        self._switch("dut")

    def _switch(self, side: str) -> None:
        argv = ["usbsdmux", self.control, side]
        if self.remote is not None:
            self.remote.run(argv)
            return
        proc = subprocess.run(argv, capture_output=True, text=True)
        if proc.returncode != 0:
            raise DeployError(self.board, self.control, f"usbsdmux {side}: {proc.stderr.strip() or 'failed'}")


def mux_for(board: str, spec: MuxSpec, remote: Remote | None) -> MuxProtocol:
    if spec.kind == "usbsdmux":
        if not spec.control:
            raise DeployError(board, "the mux", "mux kind usbsdmux needs control: (its /dev/sg device)", Culprit.LAB)
        return UsbSdMux(board, spec.control, remote)
    return VirtualMux()


def deploy_usb(board: Board, image: Path) -> WrittenImage:
    """Switch the stick to the host, write `image`, read it back, switch it to the board."""
    spec = board.deploy
    assert spec.method == "usb" and spec.device is not None and spec.mux is not None
    remote = Remote(board.name, spec.host) if spec.host is not None else None
    try:
        mux = mux_for(board.name, spec.mux, remote)
        mux.to_host()
        if remote is not None:
            written = _write_remote(board.name, remote, image, str(spec.device))
        else:
            written = _write_local(board.name, image, spec.device)
        mux.to_board()
        return written
    finally:
        if remote is not None:
            remote.close()


def _write_local(board: str, image: Path, device: Path) -> WrittenImage:
    size = image.stat().st_size
    try:
        device.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(device, os.O_WRONLY | os.O_CREAT, 0o644)  # O_CREAT: a virtual stick is a plain file
        try:
            with image.open("rb") as src:
                while chunk := src.read(CHUNK):
                    os.write(fd, chunk)
            os.fsync(fd)
            os.posix_fadvise(fd, 0, size, os.POSIX_FADV_DONTNEED)  # read back from the stick, not the cache
        finally:
            os.close(fd)
        with device.open("rb") as back:
            readback = _sha256(back, size)
    except OSError as e:
        raise DeployError(board, str(device), f"{e.strerror or e}: check the device path and the mux") from None
    return _compare(board, str(device), None, image, size, readback)


def _write_remote(board: str, remote: Remote, image: Path, device: str) -> WrittenImage:
    size = image.stat().st_size
    try:
        with remote.sftp.open(device, "r+" if _exists(remote, device) else "w") as dst:
            dst.set_pipelined(True)
            with image.open("rb") as src:
                while chunk := src.read(CHUNK):
                    dst.write(chunk)
        remote.run(["sync"])
        with remote.sftp.open(device, "rb") as back:
            back.prefetch(size)
            readback = _sha256(back, size)
    except OSError as e:
        raise DeployError(board, f"{remote.where} {device}", f"SFTP: {e}") from None
    return _compare(board, device, remote.where, image, size, readback)


def _exists(remote: Remote, path: str) -> bool:
    try:
        remote.sftp.stat(path)
    except FileNotFoundError:
        return False
    return True


class _Readable(Protocol):
    def read(self, size: int) -> bytes: ...


def _sha256(stream: _Readable, size: int) -> str:
    h = hashlib.sha256()
    left = size
    while left > 0:
        chunk = stream.read(min(CHUNK, left))
        if not chunk:
            break
        h.update(chunk)
        left -= len(chunk)
    return h.hexdigest()


def _compare(board: str, device: str, host: str | None, image: Path, size: int, readback: str) -> WrittenImage:
    with image.open("rb") as f:
        want = _sha256(f, size)
    if readback != want:
        where = f"{host} {device}" if host else device
        raise DeployError(board, where, f"read-back sha256 {readback[:12]} differs from the image's {want[:12]}: "
                          "the stick is failing or was switched away mid-write")
    return WrittenImage(device, host, size, want, readback)
