"""The virtual board's machine: its settings (`machine.json` in the state dir) and QEMU argv.

Like a real board: no isa-debug-exit, no debugcon, no -no-reboot (a triple fault reboots
into the firmware); power is the QEMU process. The boot device follows the IPMI override
through `bootindex` (OVMF ignores `-boot order`): `pxe` puts the NIC first, anything else
the USB stick (when the board has one) first. NVRAM is a fresh copy of the vars template
at every power-on, so only `bootindex` decides the order.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

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

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1) + "\n")

    @classmethod
    def load(cls, path: Path) -> Machine:
        return cls(**json.loads(path.read_text()))


def qemu_argv(m: Machine, boot: str, vars_copy: Path) -> list[str]:
    """QEMU for one power-on; `boot` is the override from IPMI (`pxe`, `default`, ...)."""
    net_first = boot == "pxe" or m.usb_image is None
    argv = [
        "qemu-system-x86_64", "-name", f"vboard-{m.name}", "-machine", "q35", "-accel", "tcg",
        "-m", str(m.memory_mb), "-nodefaults", "-display", "none", "-monitor", "none",
        "-drive", f"if=pflash,format=raw,readonly=on,file={m.code}",
        "-drive", f"if=pflash,format=raw,file={vars_copy}",
        "-chardev", f"socket,id=com1,path={m.serial_socket}",
        "-serial", "chardev:com1",
    ]
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
