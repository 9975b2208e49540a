"""Boards in `lab-inventory.yaml`: a UEFI machine behind a BMC, its console and how its ESP arrives.

```yaml
boards:
  nuc-1:
    worker: board-ctl                 # the worker that reaches the board
    enabled: true                     # optional, default true; false: out of service, its boots are MISS
    mac: "52:54:00:12:34:01"          # the boot NIC (PXE: dnsmasq serves this MAC)
    bmc:
      protocol: ipmi                  # optional, default ipmi; or redfish (HTTPS), see below
      host: 10.0.0.9
      port: 623                       # optional, default 623
      user: admin
      password_secret: nuc-1-bmc      # the NAME of a secret (workers/secrets.py), never the password
      min_interval_s: 0.5             # optional: BMCs drop requests when rushed
      timeout_s: 5                    # optional: how long a power change may take to show in the read-back
      retries: 2                      # optional: extra attempts (fresh login) when the BMC does not answer
    console: {kind: sol}              # or {kind: serial, device: /dev/ttyUSB0, baud: 115200}
                                      # sol may use its own IPMI user: {kind: sol, user: sol, password_secret: nuc-1-sol}
    deploy: {method: pxe, dhcp: proxy, interface: lab0}   # dhcp: full | proxy; tftp_root optional
                                      # or {method: usb, device: /dev/disk/by-id/usb-stick,
                                      #     mux: {kind: usbsdmux, control: /dev/sg1},
                                      #     host: {address: 10.0.0.5, port: 22, user: lab, key_secret: stick-host-key}}
    boot_timeout_s: 120               # optional
    kind: nuc-11                      # optional: boards of one kind are siblings (triage boots a failing image on one)
    milestones: kernel/milestones.yaml   # optional, relative to the inventory
    virtual:                          # only for a virtual board (`bootlab vboard`): QEMU behind ipmi_sim
      serial_port: 9624               # loopback port of the always-on serial relay ipmi_sim's SOL connects to
      memory_mb: 256
      firmware: ovmf-4m               # a pflash firmware set
  rf-1:                               # a Redfish BMC, virtual media, a console behind ser2net
    worker: board-ctl
    bmc: {protocol: redfish, host: 10.0.0.10, port: 443, user: lab, password_secret: rf-1-bmc,
          ca: certs/bmc-ca.pem,       # the CA bundle the BMC's certificate is verified against
          system: /redfish/v1/Systems/1}   # optional when the BMC has one system
    console: {kind: rfc2217, host: 10.0.0.5, port: 7001, baud: 115200}   # or kind: tcp (raw socket)
    deploy: {method: virtual-media, serve: 10.0.0.5}   # the ISO's HTTP server, on an address the BMC reaches
    virtual: {memory_mb: 256, firmware: ovmf-4m}       # virtual: sushy-emulator + libvirt, ser2net
  pi-1:                               # no BMC: an outlet of a PDU driven through pdudaemon's HTTP API
    worker: board-ctl
    bmc: {protocol: pdu, host: 10.0.0.5, port: 16421, pdu: rack-pdu-1, outlet: 3, readback_s: 20}
    console: {kind: tcp, host: 10.0.0.5, port: 7002}
    deploy: {method: usb, device: /dev/disk/by-id/usb-stick, mux: {kind: usbsdmux, control: /dev/sg1}}
```
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rustux_bootlab.lab.schema import Node

POWER_PROTOCOLS = ("ipmi", "redfish", "pdu")
CONSOLE_KINDS = ("sol", "serial", "rfc2217", "tcp")
NET_CONSOLES = ("rfc2217", "tcp")  # behind ser2net (or any terminal server) on the lab network
DEPLOY_METHODS = ("pxe", "usb", "virtual-media")
DEFAULT_PORTS = {"ipmi": 623, "redfish": 443, "pdu": 16421}
DHCP_MODES = ("full", "proxy")
MUX_KINDS = ("virtual", "usbsdmux")
_MAC = r"[0-9a-f]{2}(:[0-9a-f]{2}){5}"
_SECRET = r"[A-Za-z0-9][A-Za-z0-9_.-]*"


@dataclass(frozen=True)
class Credentials:
    user: str
    password_secret: str  # a secret's name, resolved by workers/secrets.py at the moment of use


@dataclass(frozen=True)
class BmcSpec:
    host: str
    port: int
    credentials: Credentials
    min_interval_s: float = 0.5
    timeout_s: float = 5.0
    retries: int = 2
    protocol: str = "ipmi"  # one of POWER_PROTOCOLS
    ca: Path | None = None  # redfish: the CA bundle that signed the BMC's certificate (None: the system's)
    system: str | None = None  # redfish: the ComputerSystem's path; None = the BMC's only one
    pdu: str | None = None  # pdu: the PDU's name in pdudaemon's configuration
    outlet: int | None = None  # pdu: the board's outlet on it
    readback_s: float = 20.0  # pdu: no power read-back, so the console must show the firmware within this

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class ConsoleSpec:
    kind: str  # one of CONSOLE_KINDS
    credentials: Credentials | None = None  # sol: its own IPMI user; None = the BMC's
    device: Path | None = None  # serial
    baud: int = 115200
    host: str | None = None  # rfc2217, tcp: the terminal server
    port: int | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class SshHost:
    address: str
    user: str
    port: int = 22
    password_secret: str | None = None
    key_secret: str | None = None


@dataclass(frozen=True)
class MuxSpec:
    kind: str  # one of MUX_KINDS: virtual = a file the virtual board attaches at power-on
    control: str | None = None


@dataclass(frozen=True)
class DeploySpec:
    method: str  # one of DEPLOY_METHODS
    dhcp: str = "proxy"  # pxe
    interface: str | None = None  # pxe: where dnsmasq listens
    tftp_root: Path | None = None  # pxe: None = the board's directory in the lab state
    device: Path | None = None  # usb: block device (or file) the image is written to
    mux: MuxSpec | None = None  # usb
    host: SshHost | None = None  # usb: the stick hangs off this host
    serve: str | None = None  # virtual-media: the address the ISO's HTTP server binds and the BMC fetches from


@dataclass(frozen=True)
class VirtualSpec:
    serial_port: int | None  # ipmi_sim's SOL relay; None for a Redfish virtual board (ser2net serves the console)
    memory_mb: int = 256
    firmware: str = "ovmf-4m"


@dataclass(frozen=True)
class Board:
    name: str
    worker: str
    bmc: BmcSpec
    console: ConsoleSpec
    deploy: DeploySpec
    mac: str | None = None
    enabled: bool = True  # the inventory takes it out of service with `enabled: false`, like a target
    boot_timeout_s: float = 120.0
    milestones: Path = Path("kernel/milestones.yaml")
    virtual: VirtualSpec | None = None
    kind: str | None = None  # boards of one kind are siblings: triage boots a failing image on one


def pxe_boards(boards: Iterable[Board], interface: str) -> list[Board]:
    """The boards the lab's dnsmasq on `interface` serves: PXE deploy there, with a MAC to answer."""
    return [b for b in boards if b.deploy.method == "pxe" and b.mac and b.deploy.interface == interface]


def parse_board(name: str, node: Node, workers: list[str], firmware_sets: list[str], base: Path, default_milestones: Path) -> Board:
    f = node.fields(
        required=["worker", "bmc", "console", "deploy"],
        optional=["mac", "enabled", "health", "boot_timeout_s", "milestones", "virtual", "kind"],
    )
    if "health" in f:
        # `health` is the lab's own good/suspect/quarantined state (`bootlab boards`); the inventory only
        # says whether a board is in service, with the word targets use.
        raise f["health"].error("renamed: say `enabled: false` for a board out of service (was `health: out-of-service`), "
                                "or drop the key (`ok` and `degraded` changed nothing); the lab tracks a board's "
                                "health itself, see `bootlab boards`")
    mac = None
    if "mac" in f:
        mac = f["mac"].text().lower()
        if not re.fullmatch(_MAC, mac):
            raise f["mac"].error(f"{mac!r} is not a MAC address like 52:54:00:12:34:01")
    milestones = default_milestones
    if "milestones" in f:
        p = Path(f["milestones"].text())
        milestones = p if p.is_absolute() else base / p
    virtual = _virtual(f["virtual"], firmware_sets) if "virtual" in f else None
    bmc = _bmc(f["bmc"], base)
    if virtual is not None and bmc.host not in ("127.0.0.1", "localhost"):
        # ipmi_sim accepts any password with cipher suite 0: it must never leave loopback.
        raise f["bmc"].error(f"a virtual board's BMC must listen on 127.0.0.1, not {bmc.host!r}")
    if virtual is not None and bmc.protocol == "ipmi" and virtual.serial_port is None:
        raise f["virtual"].error("an IPMI virtual board needs serial_port (the loopback port of its SOL relay)")
    console, deploy = _console(f["console"]), _deploy(f["deploy"], base)
    if console.kind == "sol" and bmc.protocol != "ipmi":
        raise f["console"].error(f"serial-over-LAN is IPMI's: a {bmc.protocol} board's console is rfc2217, tcp or serial")
    if deploy.method == "virtual-media" and bmc.protocol != "redfish":
        raise f["deploy"].error("virtual media is inserted through a Redfish BMC (bmc.protocol: redfish)")
    return Board(
        name=name,
        worker=f["worker"].choice(workers),
        bmc=bmc,
        console=console,
        deploy=deploy,
        mac=mac,
        enabled=f["enabled"].boolean() if "enabled" in f else True,
        boot_timeout_s=f["boot_timeout_s"].number(minimum=1) if "boot_timeout_s" in f else 120.0,
        milestones=milestones,
        virtual=virtual,
        kind=f["kind"].text() if "kind" in f else None,
    )


def _secret(node: Node) -> str:
    return node.name(_SECRET)


def _port(node: Node) -> int:
    port = node.integer(minimum=1)
    if port > 65535:
        raise node.error(f"{port} is not a port number (1-65535)")
    return port


def _bmc(node: Node, base: Path) -> BmcSpec:
    given = dict(node.items())
    if "protocol" in given and given["protocol"].text() == "pdu":
        return _pdu(node)
    f = node.fields(
        required=["host", "user", "password_secret"],
        optional=["protocol", "port", "min_interval_s", "timeout_s", "retries", "ca", "system"],
    )
    protocol = f["protocol"].choice(POWER_PROTOCOLS) if "protocol" in f else "ipmi"
    for key in ("ca", "system"):
        if key in f and protocol != "redfish":
            raise f[key].error(f"{key} is for a Redfish BMC (protocol: redfish)")
    ca = None
    if "ca" in f:
        ca = Path(f["ca"].text())
        ca = ca if ca.is_absolute() else base / ca
    return BmcSpec(
        protocol=protocol,
        ca=ca,
        system=f["system"].text() if "system" in f else None,
        host=f["host"].text(),
        port=_port(f["port"]) if "port" in f else DEFAULT_PORTS[protocol],
        credentials=Credentials(f["user"].text(), _secret(f["password_secret"])),
        min_interval_s=f["min_interval_s"].number(minimum=0) if "min_interval_s" in f else 0.5,
        timeout_s=f["timeout_s"].number(minimum=0.5) if "timeout_s" in f else 5.0,
        retries=f["retries"].integer(minimum=0) if "retries" in f else 2,
    )


def _pdu(node: Node) -> BmcSpec:
    f = node.fields(required=["protocol", "host", "pdu", "outlet"], optional=["port", "readback_s", "timeout_s"])
    return BmcSpec(
        protocol="pdu",
        host=f["host"].text(),
        port=_port(f["port"]) if "port" in f else DEFAULT_PORTS["pdu"],
        credentials=Credentials("", ""),  # pdudaemon's HTTP API has no login
        pdu=f["pdu"].text(),
        outlet=f["outlet"].integer(minimum=0),
        readback_s=f["readback_s"].number(minimum=1) if "readback_s" in f else 20.0,
        timeout_s=f["timeout_s"].number(minimum=0.5) if "timeout_s" in f else 5.0,
    )


def _console(node: Node) -> ConsoleSpec:
    kind = node.fields(required=["kind"], optional=["user", "password_secret", "device", "baud", "host", "port"])["kind"].choice(CONSOLE_KINDS)
    if kind in NET_CONSOLES:
        f = node.fields(required=["kind", "host", "port"], optional=["baud"])
        return ConsoleSpec(kind, host=f["host"].text(), port=_port(f["port"]),
                           baud=f["baud"].integer(minimum=50) if "baud" in f else 115200)
    if kind == "sol":
        f = node.fields(required=["kind"], optional=["user", "password_secret"])
        if ("user" in f) != ("password_secret" in f):
            raise node.error("user and password_secret go together (or leave both out to use the BMC's)")
        creds = Credentials(f["user"].text(), _secret(f["password_secret"])) if "user" in f else None
        return ConsoleSpec(kind, credentials=creds)
    f = node.fields(required=["kind", "device"], optional=["baud"])
    return ConsoleSpec(kind, device=Path(f["device"].text()), baud=f["baud"].integer(minimum=50) if "baud" in f else 115200)


def _deploy(node: Node, base: Path) -> DeploySpec:
    method = node.fields(
        required=["method"], optional=["dhcp", "interface", "tftp_root", "device", "mux", "host", "serve"]
    )["method"].choice(DEPLOY_METHODS)
    if method == "virtual-media":
        f = node.fields(required=["method", "serve"])
        return DeploySpec(method, serve=f["serve"].text())
    if method == "pxe":
        f = node.fields(required=["method"], optional=["dhcp", "interface", "tftp_root"])
        root = None
        if "tftp_root" in f:
            p = Path(f["tftp_root"].text())
            root = p if p.is_absolute() else base / p
        return DeploySpec(
            method,
            dhcp=f["dhcp"].choice(DHCP_MODES) if "dhcp" in f else "proxy",
            interface=f["interface"].text() if "interface" in f else None,
            tftp_root=root,
        )
    f = node.fields(required=["method", "device", "mux"], optional=["host"])
    m = f["mux"].fields(required=["kind"], optional=["control"])
    mux = MuxSpec(m["kind"].choice(MUX_KINDS), m["control"].text() if "control" in m else None)
    device = Path(f["device"].text())
    if not device.is_absolute() and "host" not in f:
        device = base / device
    return DeploySpec(method, device=device, mux=mux, host=_ssh_host(f["host"]) if "host" in f else None)


def _ssh_host(node: Node) -> SshHost:
    f = node.fields(required=["address", "user"], optional=["port", "password_secret", "key_secret"])
    if "password_secret" not in f and "key_secret" not in f:
        raise node.error("give password_secret or key_secret (the name of a secret) to log in")
    return SshHost(
        address=f["address"].text(),
        user=f["user"].text(),
        port=_port(f["port"]) if "port" in f else 22,
        password_secret=_secret(f["password_secret"]) if "password_secret" in f else None,
        key_secret=_secret(f["key_secret"]) if "key_secret" in f else None,
    )


def _virtual(node: Node, firmware_sets: list[str]) -> VirtualSpec:
    f = node.fields(optional=["serial_port", "memory_mb", "firmware"])
    return VirtualSpec(
        serial_port=_port(f["serial_port"]) if "serial_port" in f else None,
        memory_mb=f["memory_mb"].integer(minimum=32) if "memory_mb" in f else 256,
        firmware=f["firmware"].choice(firmware_sets) if "firmware" in f else "ovmf-4m",
    )
