"""libvirt for the Redfish virtual board: the daemons, the `default` pool, the board's domain.

No systemd on lab controllers like this one: `ensure_daemons` starts `virtlogd` and
`libvirtd` (`-d`, their pid files in /run) when they are not running and says whether it
did, so the caller that started them stops them (`stop_daemons`) and a libvirtd someone
else runs is left alone. sushy-emulator's virtual media downloads the ISO into the storage
pool named `default`, created here (a directory pool) when missing.

The domain is what sushy-emulator drives: q35, `OVMF_CODE_4M.fd` (not the Secure Boot build
sushy-emulator defaults to; see `redfishbmc.py`), an empty disk (the board's own
boot device, where a cleared override points), a virtio NIC on QEMU's user network
that boots first unless the BMC's override says otherwise (so an ignored override shows
`>>Start PXE over IPv4` on the console at once), a SATA CD-ROM for the virtual media, and COM1
connected to the board's UART relay (`uart.py`) with reconnect, so QEMU waits for nothing and
loses nothing at power-on. QEMU runs as root (a static DAC label) so it reaches the relay's
socket in a test's private temporary directory. libvirt applies changes to the persistent domain at the next start,
which is why the board's power-on is a full start from shut off.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

URI = "qemu:///system"
POOL = "default"
POOL_DIR = Path("/var/lib/libvirt/images")
DAEMONS = (("virtlogd", Path("/run/virtlogd.pid")), ("libvirtd", Path("/run/libvirtd.pid")))
SOCKET = Path("/run/libvirt/libvirt-sock")
START_TIMEOUT_S = 10.0


class LibvirtError(Exception):
    """libvirt is missing or refused; the message names the command and its answer."""


@dataclass(frozen=True)
class Domain:
    name: str
    memory_mb: int
    code: str  # OVMF_CODE_4M.fd: read-only pflash
    vars_template: str
    mac: str
    serial_socket: str  # the UART relay's unix socket
    disk: str  # the board's own (empty) disk: what its boot override goes back to
    os_boot_order: bool = False  # `<os><boot dev>` instead of per-device order (sushy-emulator's ignore knob needs it)


def domain_xml(d: Domain) -> str:
    return f"""<domain type='qemu'>
  <name>{d.name}</name>
  <memory unit='MiB'>{d.memory_mb}</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <loader readonly='yes' type='pflash'>{d.code}</loader>
    <nvram template={quoteattr(d.vars_template)}/>{"<boot dev='network'/>" if d.os_boot_order else ""}
  </os>
  <features><acpi/></features>
  <on_reboot>restart</on_reboot>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file={quoteattr(d.disk)}/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>
    <interface type='user'>
      <mac address='{d.mac}'/>
      <model type='virtio'/>
      {"" if d.os_boot_order else "<boot order='1'/>"}
    </interface>
    <serial type='unix'>
      <source mode='connect' path={quoteattr(d.serial_socket)}>
        <reconnect enabled='yes' timeout='1'/>
      </source>
      <target port='0'/>
    </serial>
    <video><model type='none'/></video>
  </devices>
  <seclabel type='static' model='dac' relabel='no'><label>+0:+0</label></seclabel>
</domain>
"""


def virsh(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["virsh", "-q", "-c", URI, *args], capture_output=True, text=True, timeout=60)
    if check and proc.returncode != 0:
        raise LibvirtError(f"virsh {' '.join(args)}: {(proc.stderr or proc.stdout).strip()}")
    return proc


def _running(pidfile: Path) -> bool:
    try:
        pid = int(pidfile.read_text().strip())
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def ensure_daemons() -> bool:
    """virtlogd and libvirtd up, the `default` pool active; True if this call started the daemons."""
    for exe, _ in DAEMONS:
        if shutil.which(exe) is None:
            raise LibvirtError(f"{exe} not found: install libvirt-daemon-system and libvirt-clients (scripts/install-deps.sh)")
    started = False
    for exe, pidfile in DAEMONS:
        if not _running(pidfile):
            subprocess.run([exe, "-d"], check=True, stdin=subprocess.DEVNULL, capture_output=True)
            started = True
    deadline = time.monotonic() + START_TIMEOUT_S
    while virsh("version", check=False).returncode != 0:
        if time.monotonic() > deadline:
            raise LibvirtError(f"libvirtd did not answer on {SOCKET} within {START_TIMEOUT_S:g}s")
        time.sleep(0.1)
    _ensure_pool()
    return started


def stop_daemons() -> None:
    """Stop libvirtd and virtlogd (only for the caller that started them)."""
    for _, pidfile in reversed(DAEMONS):
        try:
            pid = int(pidfile.read_text().strip())
        except (OSError, ValueError):
            continue
        if not _running(pidfile):
            continue
        os.kill(pid, 15)
        deadline = time.monotonic() + START_TIMEOUT_S
        while _running(pidfile) and time.monotonic() < deadline:
            time.sleep(0.05)


def _ensure_pool() -> None:
    if virsh("pool-info", POOL, check=False).returncode != 0:
        POOL_DIR.mkdir(parents=True, exist_ok=True)
        virsh("pool-define-as", POOL, "dir", "--target", str(POOL_DIR))
    if "Running" not in virsh("pool-info", POOL).stdout and "running" not in virsh("pool-info", POOL).stdout:
        virsh("pool-start", POOL)


def define(d: Domain, path: Path) -> None:
    """(Re)define the board's domain, shut off, from its XML written to `path`."""
    undefine(d.name)
    path.write_text(domain_xml(d))
    virsh("define", str(path))


def undefine(name: str) -> None:
    """Power the domain off and forget it (its NVRAM too); nothing if it does not exist."""
    if virsh("dominfo", name, check=False).returncode != 0:
        return
    virsh("destroy", name, check=False)
    virsh("undefine", name, "--nvram", check=False)


def state(name: str) -> str | None:
    proc = virsh("domstate", name, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def uuid(name: str) -> str:
    return virsh("domuuid", name).stdout.strip()
