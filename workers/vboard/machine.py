"""The virtual board's machine: its settings (`machine.json` in the state dir) and QEMU argv.

Like a real board: no isa-debug-exit, no debugcon, no -no-reboot (a triple fault reboots
into the firmware); power is the QEMU process. The boot device follows the IPMI override
through `bootindex` (OVMF ignores `-boot order`): `pxe` puts the NIC first, anything else
the USB stick (when the board has one) first. NVRAM is a fresh copy of the vars template
at every power-on, so only `bootindex` decides the order.

The NIC is on QEMU's user network with its built-in TFTP serving the board's staged root,
unless the board PXE-boots on a lab network (`deploy.interface`): then it is a tap on that
bridge, and the lab's dnsmasq (`bootlab pxe-server`) answers, as it would a physical board.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from rustux_bootlab.workers.qemu.command import QEMU_BINARY, Firmware, firmware_args, machine_args

BOOTFILE = "bootx64.efi"


@dataclass(frozen=True)
class Machine:
    name: str
    memory_mb: int
    code: str
    vars_template: str
    mac: str
    tftp_root: str
    usb_image: str | None  # the stick's backing file (deploy by USB), None for a PXE-only board
    serial_socket: str  # the supervisor's relay: QEMU's COM1 connects here
    lan_bridge: str | None = None  # the lab network's bridge; None: QEMU's user network and TFTP
    lan_ifup: str | None = None  # the script QEMU runs to put its tap on `lan_bridge`

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1) + "\n")

    @classmethod
    def load(cls, path: Path) -> Machine:
        return cls(**json.loads(path.read_text()))


def qemu_argv(m: Machine, boot: str, vars_copy: Path) -> list[str]:
    """QEMU for one power-on; `boot` is the override from IPMI (`pxe`, `default`, ...)."""
    net_first = boot == "pxe" or m.usb_image is None
    argv = [
        QEMU_BINARY, "-name", f"vboard-{m.name}", *machine_args("q35", "tcg", m.memory_mb),
        "-display", "none", "-monitor", "none",
        *firmware_args(Firmware("pflash", code=Path(m.code), vars=vars_copy)),
        "-chardev", f"socket,id=com1,path={m.serial_socket}",
        "-serial", "chardev:com1",
    ]
    if m.lan_bridge is not None:
        netdev = f"tap,id=lan0,script={m.lan_ifup},downscript=no"
    else:
        netdev = "user,id=lan0"
        if Path(m.tftp_root).is_dir():
            netdev += f",tftp={m.tftp_root},bootfile={BOOTFILE}"
    argv += [
        "-netdev", netdev,
        # romfile= : OVMF's own PXE driver, 1.5 s faster than QEMU's iPXE ROM (docs/virtual-boards.md)
        "-device", f"virtio-net-pci,netdev=lan0,mac={m.mac},romfile=,bootindex={1 if net_first else 2}",
    ]
    if m.usb_image is not None and Path(m.usb_image).is_file():
        argv += [
            "-device", "qemu-xhci,id=xhci",
            "-drive", f"if=none,id=stick,format=raw,file={m.usb_image}",
            "-device", f"usb-storage,bus=xhci.0,drive=stick,removable=on,bootindex={2 if net_first else 1}",
        ]
    return argv


def lan_ifup_script(bridge: str) -> str:
    """QEMU runs this with the tap's name when it opens the NIC (the tap dies with QEMU)."""
    return f'#!/bin/sh\nset -e\nip link set "$1" master {bridge}\nip link set "$1" up\n'
