"""Deploy drivers against real tools: TFTP staging from every image form, dnsmasq's own
config check, a PXE boot of the kernel through dnsmasq (DHCP + TFTP) inside a network
namespace the test creates (QEMU's tap is created inside it: the host's interfaces are
never touched), and USB writes locally and over SFTP to a real sshd on a loopback port."""
from __future__ import annotations

import os
import secrets as pyrandom
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rustux_bootlab.lab.board import BmcSpec, Board, ConsoleSpec, Credentials, DeploySpec, MuxSpec, SshHost
from rustux_bootlab.lab.esp import sha256_file
from rustux_bootlab.workers.artifacts.esp import build_esp_image
from rustux_bootlab.workers.deploy.pxe import Dnsmasq, LabNetwork, dnsmasq_config, mac_dir, stage_esp
from rustux_bootlab.workers.board.error import DeployError
from rustux_bootlab.workers.deploy.usb import deploy_usb
from polling import wait_until

REPO = Path(__file__).resolve().parents[2]
BOOTLAB = Path(sys.executable).parent / "bootlab"
ESP = REPO / "build" / "esp"
KERNEL = ESP / "EFI" / "BOOT" / "BOOTX64.EFI"


def _kernel() -> Path:
    if not KERNEL.is_file():
        pytest.fail(f"{KERNEL} missing: run make kernel")
    return ESP


# --- PXE staging and dnsmasq -----------------------------------------------------------------

@pytest.mark.parametrize("form", ["dir", "efi", "fat"])
def test_stage_esp_puts_bootx64_at_the_root_from_every_image_form(tmp_path: Path, form: str) -> None:
    esp = _kernel()
    image = {"dir": esp, "efi": KERNEL, "fat": tmp_path / "esp.img"}[form]
    if form == "fat":
        build_esp_image(esp, image)
    root = tmp_path / "board" / "tftp"
    root.mkdir(parents=True)
    (root / "stale.txt").write_text("from the previous boot")
    staged = stage_esp(image, root)
    assert staged.sha256 == sha256_file(KERNEL)
    assert (root / "bootx64.efi").read_bytes() == KERNEL.read_bytes()
    assert (root / "EFI" / "BOOT" / "BOOTX64.EFI").is_file()
    assert not (root / "stale.txt").exists(), "a previous boot's files must not survive staging"
    assert [p.name for p in root.parent.iterdir()] == ["tftp"], "staging leaves no temp dirs"


def test_what_a_worker_stages_under_umask_077_is_readable_by_dnsmasqs_user(tmp_path: Path) -> None:
    old = os.umask(0o077)  # a Buildbot worker's (twistd's) umask
    try:
        (tmp_path / "board").mkdir()
        staged = stage_esp(_kernel(), tmp_path / "board" / "tftp")
    finally:
        os.umask(old)
    modes = {p.relative_to(staged.root).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in staged.root.rglob("*")}
    assert modes["bootx64.efi"] == 0o644 and modes["EFI/BOOT/BOOTX64.EFI"] == 0o644 and modes["EFI/BOOT"] == 0o755, modes
    assert stat.S_IMODE(staged.root.stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "board").stat().st_mode) == 0o711  # search only: nothing else there is listed


def test_stage_esp_refuses_an_image_without_a_boot_file(tmp_path: Path) -> None:
    (tmp_path / "esp" / "EFI").mkdir(parents=True)
    with pytest.raises(Exception, match="has no EFI/BOOT/BOOTX64.EFI"):
        stage_esp(tmp_path / "esp", tmp_path / "tftp")
    assert not (tmp_path / "tftp").exists()


@pytest.mark.parametrize("mode", ["full", "proxy"])
def test_dnsmasq_accepts_the_generated_config(tmp_path: Path, mode: str) -> None:
    net = LabNetwork("lab0", "10.77.0.0/24", mode, ("10.77.0.100", "10.77.0.199") if mode == "full" else None)
    conf = tmp_path / "dnsmasq.conf"
    conf.write_text(dnsmasq_config(net, tmp_path))
    (tmp_path / "tftp").mkdir()
    check = subprocess.run(["dnsmasq", "--test", f"--conf-file={conf}"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    text = conf.read_text()
    assert "dhcp-ignore=tag:!lab-board" in text and "tftp-unique-root=mac" in text and "port=0" in text
    assert ("pxe-service=tag:efi64,X86-64_EFI" in text) == (mode == "proxy")


PXE_INVENTORY = """\
lab: {{name: pxe-test}}
workers:
  ctl: {{kind: qemu}}
targets:
boards:
  nuc-pxe:
    worker: ctl
    mac: "{mac}"
    bmc: {{host: 127.0.0.1, port: 1, user: admin, password_secret: nuc-pxe-bmc}}
    console: {{kind: sol}}
    deploy: {{method: pxe, dhcp: full, interface: bltap0}}
"""


@pytest.mark.qemu
def test_pxe_server_boots_a_board_through_dnsmasq_in_a_network_namespace(tmp_path: Path) -> None:
    """`bootlab pxe-server` (dnsmasq: DHCP + TFTP) and a QEMU "board" (OVMF's PXE, virtio-net) both
    run inside a fresh namespace; the board boots the kernel staged as `bootlab boot --board` does."""
    esp = _kernel()
    ns = f"bootlab-pxe-{os.getpid()}-{pyrandom.token_hex(3)}"
    mac = "52:54:00:b0:07:77"
    state = tmp_path / "state"
    inventory = tmp_path / "lab-inventory.yaml"
    inventory.write_text(PXE_INVENTORY.format(mac=mac))
    staged = stage_esp(esp, state / "nuc-pxe" / "tftp")  # where the board session stages it (workers.state)
    ifup = tmp_path / "ifup"
    ifup.write_text('#!/bin/sh\nip addr add 10.77.0.1/24 dev "$1"\nip link set "$1" up\n')
    ifup.chmod(0o755)
    vars_copy = tmp_path / "vars.fd"
    shutil.copyfile("/usr/share/OVMF/OVMF_VARS_4M.fd", vars_copy)
    serial = tmp_path / "serial.log"
    pxe = state / "pxe-bltap0"
    env = dict(os.environ, BOOTLAB_STATE=str(state))
    subprocess.run(["ip", "netns", "add", ns], check=True)
    server = qemu = None
    try:
        subprocess.run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"], check=True)
        server = subprocess.Popen(["ip", "netns", "exec", ns, str(BOOTLAB), "pxe-server", "--inventory", str(inventory),
                                   "--interface", "bltap0", "--subnet", "10.77.0.0/24", "--pool", "10.77.0.100-10.77.0.150",
                                   "--user", "root"], cwd=REPO, env=env, stderr=subprocess.PIPE, text=True)
        assert server.stderr is not None
        assert "1 board(s): nuc-pxe" in server.stderr.readline()
        assert (pxe / "boards").read_text() == f"{mac},set:lab-board\n"
        start = time.monotonic()
        qemu = subprocess.Popen([
            "ip", "netns", "exec", ns, "qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-m", "256",
            "-nodefaults", "-display", "none", "-monitor", "none",
            "-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
            "-drive", f"if=pflash,format=raw,file={vars_copy}",
            "-netdev", f"tap,id=n0,ifname=bltap0,script={ifup},downscript=no",
            "-device", f"virtio-net-pci,netdev=n0,mac={mac},romfile=,bootindex=1",
            "-serial", f"file:{serial}",
        ], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = start + 60
        while time.monotonic() < deadline and b"[sh] ready" not in _read(serial) and qemu.poll() is None:
            time.sleep(0.2)
        took = time.monotonic() - start
        log = _read(pxe / "dnsmasq.log").decode(errors="replace")
        assert b"[sh] ready" in _read(serial), f"no kernel boot over PXE in {took:.1f}s; dnsmasq log:\n{log[-1500:]}"
        assert "DHCPACK" in log, log[-1500:]
        # Served from the board's own directory (tftp-unique-root=mac through the link), not the shared root.
        assert f"{mac_dir(mac)}/bootx64.efi" in log, log[-1500:]
        assert staged.root.resolve() == (pxe / "tftp" / mac_dir(mac)).resolve()
        print(f"PXE through dnsmasq: QEMU start to the kernel's final line {took:.1f}s")
        # The board leaves the inventory: SIGHUP makes pxe-server re-read it and dnsmasq stops serving it.
        inventory.write_text(PXE_INVENTORY.format(mac=mac).split("boards:")[0] + "boards:\n")
        server.send_signal(signal.SIGHUP)
        assert "reloaded: no boards" in server.stderr.readline()
        assert (pxe / "boards").read_text() == "" and not list((pxe / "tftp").iterdir())
        time.sleep(0.5)
        pid = int((pxe / "dnsmasq.pid").read_text())
        assert Path(f"/proc/{pid}").exists(), "dnsmasq is down after the reload"
        assert "dnsmasq" in Path(f"/proc/{pid}/cmdline").read_text()
        server.send_signal(signal.SIGTERM)
        assert server.wait(10) == 0, server.stderr.read()
    finally:
        for proc in (qemu, server):
            if proc is not None and proc.poll() is None:
                proc.kill()
            if proc is not None:
                proc.wait()
        subprocess.run(["ip", "netns", "del", ns], check=True)
    assert ns not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert not any(str(pxe) in line for line in ps.splitlines()), "dnsmasq left running"


def test_dnsmasq_forgets_a_board_on_reload(tmp_path: Path) -> None:
    """Serving and forgetting boards rewrites the hosts file and the links and restarts dnsmasq."""
    ns = f"bootlab-dns-{os.getpid()}-{pyrandom.token_hex(3)}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    dnsmasq = Dnsmasq(LabNetwork("bltap1", "10.78.0.0/24", "proxy", user="root"), tmp_path, wrap=["ip", "netns", "exec", ns])
    try:
        dnsmasq.start()
        dnsmasq.serve("52:54:00:AA:00:01", tmp_path / "a")
        dnsmasq.serve("52:54:00:aa:00:02", tmp_path / "b")
        assert (tmp_path / "boards").read_text() == "52:54:00:aa:00:01,set:lab-board\n52:54:00:aa:00:02,set:lab-board\n"
        dnsmasq.forget("52:54:00:aa:00:01")
        assert sorted(p.name for p in (tmp_path / "tftp").iterdir()) == ["52-54-00-aa-00-02"]
        time.sleep(0.3)
        assert dnsmasq.proc is not None and dnsmasq.proc.poll() is None
        assert int((tmp_path / "dnsmasq.pid").read_text()) == dnsmasq.proc.pid
        assert f"read {tmp_path / 'boards'}" in _read(tmp_path / "dnsmasq.log").decode()
    finally:
        dnsmasq.stop()
        subprocess.run(["ip", "netns", "del", ns], check=True)


def _read(path: Path) -> bytes:
    return path.read_bytes() if path.exists() else b""


# --- USB ---------------------------------------------------------------------------------------

def _usb_board(device: Path | str, host: SshHost | None = None) -> Board:
    return Board(
        name="stick-board", worker="w",
        bmc=BmcSpec("127.0.0.1", 623, Credentials("admin", "unused")),
        console=ConsoleSpec("sol"),
        deploy=DeploySpec("usb", device=Path(device), mux=MuxSpec("virtual"), host=host),
    )


def test_usb_write_locally_reads_back_the_same_hash(tmp_path: Path) -> None:
    image = tmp_path / "esp.img"
    build_esp_image(_kernel(), image)
    stick = tmp_path / "stick.img"
    stick.write_bytes(b"\xff" * (image.stat().st_size + 4096))  # a stick larger than the image
    written = deploy_usb(_usb_board(stick), image)
    assert written.sha256 == written.readback_sha256 == sha256_file(image)
    assert stick.read_bytes()[: written.bytes] == image.read_bytes()


def test_usb_write_to_a_missing_device_is_a_deploy_error_naming_board_and_device(tmp_path: Path) -> None:
    image = tmp_path / "esp.img"
    build_esp_image(_kernel(), image)
    with pytest.raises(DeployError, match=r"board stick-board: USB deploy to /proc/no-such-stick"):
        deploy_usb(_usb_board("/proc/no-such-stick"), image)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def sshd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A real OpenSSH server on a free loopback port, its own host key and config; key login."""
    if not Path("/usr/sbin/sshd").exists():
        pytest.fail("sshd missing: scripts/install-deps.sh installs openssh-server")
    d = tmp_path / "sshd"
    d.mkdir()
    for name in ("host", "user"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / name)], check=True)
    (d / "authorized_keys").write_text((d / "user.pub").read_text())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (d / "sshd_config").write_text(f"""Port {port}
ListenAddress 127.0.0.1
HostKey {d / 'host'}
PidFile {d / 'sshd.pid'}
AuthorizedKeysFile {d / 'authorized_keys'}
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
Subsystem sftp internal-sftp
""")
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation directory
    proc = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", str(d / "sshd_config")],
                            stdout=subprocess.DEVNULL, stderr=(d / "sshd.log").open("wb"))
    state, secrets_dir = tmp_path / "state", tmp_path / "secrets"
    state.mkdir()
    secrets_dir.mkdir()
    monkeypatch.setenv("BOOTLAB_STATE", str(state))
    monkeypatch.setenv("BOOTLAB_SECRETS", str(secrets_dir))
    (secrets_dir / "stick-host-key").write_text((d / "user").read_text())
    try:
        wait_until(lambda: _listening(port), 5, f"sshd listening on port {port}")
        user = os.environ.get("USER") or "root"
        yield {"port": port, "host_pub": (d / "host.pub").read_text().split()[:2], "state": state,
               "host": SshHost("127.0.0.1", user, port, key_secret="stick-host-key")}
    finally:
        proc.terminate()
        proc.wait(5)


def test_usb_over_sftp_to_a_real_sshd(tmp_path: Path, sshd: dict) -> None:
    (sshd["state"] / "known_hosts").write_text(f"[127.0.0.1]:{sshd['port']} {' '.join(sshd['host_pub'])}\n")
    image = tmp_path / "esp.img"
    build_esp_image(_kernel(), image)
    stick = tmp_path / "remote-stick.img"
    written = deploy_usb(_usb_board(stick, sshd["host"]), image)
    assert written.host == f"{sshd['host'].user}@127.0.0.1:{sshd['port']}"
    assert written.readback_sha256 == sha256_file(image)
    assert stick.read_bytes() == image.read_bytes()


def test_usb_over_sftp_refuses_an_unknown_host_key(tmp_path: Path, sshd: dict) -> None:
    image = tmp_path / "esp.img"
    build_esp_image(_kernel(), image)
    with pytest.raises(DeployError, match=r"not found in known_hosts: add its key to .*known_hosts") as info:
        deploy_usb(_usb_board(tmp_path / "never.img", sshd["host"]), image)
    assert info.value.culprit == "lab"
    assert not (tmp_path / "never.img").exists()
