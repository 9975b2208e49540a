"""A board's parts from its inventory entry: which driver is its power, its console, its deploy.

Like an Ironic hardware type, a board is the composition of its interfaces; each is a driver
of its protocol (workers/machine.py). A new driver is one entry in a table here:

    POWER[protocol] (board, log) -> Power          `ipmi`, `redfish`, `pdu` (the inventory's bmc.protocol)
    CONSOLES[kind]  (board, clock) -> Console      `sol`, `serial`, `rfc2217`, `tcp` (ser2net)
    DEPLOYS[method] (board, power) -> Deploy       `pxe`, `usb`, `virtual-media` (through the power's BMC)
The inventory (lab/board.py) names each. A secret a part needs is read when the part is made,
at the moment of use. Drivers are imported on use: pyghmi costs ~150 ms and sushy more, which
a board of another kind (and every other bootlab command) would pay.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rustux_bootlab.lab.board import Board
from rustux_bootlab.workers.board.error import ConsoleError, board_secret
from rustux_bootlab.workers.console.base import ConsoleProtocol
from rustux_bootlab.workers.machine import Deploy, Deployed
from rustux_bootlab.workers.power.base import BootDevice, PowerProtocol

PowerFactory = Callable[[Board, Callable[[str], None]], PowerProtocol]
ConsoleFactory = Callable[[Board, Callable[[], float]], ConsoleProtocol]
DeployFactory = Callable[[Board, Callable[[], PowerProtocol | None]], Deploy]


def ipmi_power(board: Board, log: Callable[[str], None]) -> PowerProtocol:
    from rustux_bootlab.workers.power.ipmi import IpmiPower  # pyghmi: only for a board that uses it

    return IpmiPower.for_board(board, log=log)


def redfish_power(board: Board, log: Callable[[str], None]) -> PowerProtocol:
    from rustux_bootlab.workers.power.redfish import RedfishPower

    return RedfishPower.for_board(board, log=log)


def pdu_power(board: Board, log: Callable[[str], None]) -> PowerProtocol:
    from rustux_bootlab.workers.power.pdu import PduPower

    return PduPower.for_board(board, log=log)


def sol_console(board: Board, clock: Callable[[], float]) -> ConsoleProtocol:
    from rustux_bootlab.workers.console.sol import SolConsole

    creds = board.console.credentials or board.bmc.credentials
    password = board_secret(board.name, board.bmc.address, creds.password_secret, ConsoleError)
    return SolConsole(board.name, board.bmc.host, board.bmc.port, creds.user, password, clock)


def serial_console(board: Board, clock: Callable[[], float]) -> ConsoleProtocol:
    from rustux_bootlab.workers.console.serialport import SerialConsole

    assert board.console.device is not None
    return SerialConsole(board.name, board.console.device, board.console.baud, clock)


def net_console(board: Board, clock: Callable[[], float]) -> ConsoleProtocol:
    """A serial port behind ser2net: RFC 2217 or plain TCP."""
    from rustux_bootlab.workers.console.netconsole import NetConsole

    spec = board.console
    assert spec.host is not None and spec.port is not None
    return NetConsole(board.name, spec.kind, spec.host, spec.port, spec.baud, clock)


@dataclass
class PxeDeploy:
    """The ESP staged into the board's TFTP root (workers/deploy/pxe.py)."""

    board: Board
    power: Callable[[], PowerProtocol | None]
    method = "pxe"
    boot_device: BootDevice = "network"

    def put(self, image: Path) -> Deployed:
        from rustux_bootlab.workers.deploy.pxe import stage_esp
        from rustux_bootlab.workers.state import tftp_root

        staged = stage_esp(image, tftp_root(self.board))
        return Deployed({"path": str(image), "sha256": staged.sha256}, staged.to_dict())


@dataclass
class UsbDeploy:
    """The ESP's FAT image written to the board's stick and read back (workers/deploy/usb.py)."""

    board: Board
    power: Callable[[], PowerProtocol | None]
    method = "usb"
    boot_device: BootDevice = "disk"

    def put(self, image: Path) -> Deployed:
        from rustux_bootlab.workers.deploy.usb import deploy_usb
        from rustux_bootlab.workers.artifacts.image import prepare_image

        fat, identity = prepare_image(image)
        return Deployed(identity, deploy_usb(self.board, fat).to_dict())


@dataclass
class VirtualMediaDeploy:
    """The ESP packed as a bootable ISO, served over HTTP and inserted through the BMC
    (workers/deploy/virtualmedia.py); `finish` ejects it and stops serving."""

    board: Board
    power: Callable[[], PowerProtocol | None]
    method = "virtual-media"
    boot_device: BootDevice = "cd"
    media: Any = None  # workers.deploy.virtualmedia.VirtualMediaDeploy, once inserted

    def put(self, image: Path) -> Deployed:
        from rustux_bootlab.workers.deploy.virtualmedia import MediaSlot, deploy_virtual_media
        from rustux_bootlab.workers.artifacts.image import prepare_image
        from rustux_bootlab.workers.state import state_dir

        slot = self.power()
        # lab/board.py pairs virtual media with a Redfish BMC, whose driver has the slot
        assert isinstance(slot, MediaSlot) and self.board.deploy.serve is not None
        fat, identity = prepare_image(image)
        self.media = deploy_virtual_media(fat, state_dir(self.board.name) / "media", self.board.deploy.serve, slot)
        return Deployed(identity, self.media.to_dict())

    def finish(self) -> None:
        """Eject and stop serving (safe twice); raises BoardError when the BMC would not eject."""
        if self.media is not None:
            self.media.finish()

    def facts(self) -> dict[str, Any] | None:
        """What the BMC fetched, for the record."""
        return None if self.media is None else self.media.to_dict()


POWER: dict[str, PowerFactory] = {"ipmi": ipmi_power, "redfish": redfish_power, "pdu": pdu_power}
CONSOLES: dict[str, ConsoleFactory] = {"sol": sol_console, "serial": serial_console, "rfc2217": net_console,
                                       "tcp": net_console}
DEPLOYS: dict[str, DeployFactory] = {"pxe": PxeDeploy, "usb": UsbDeploy, "virtual-media": VirtualMediaDeploy}


def board_power(board: Board, log: Callable[[str], None] | None = None) -> PowerProtocol:
    """The board's power driver by the inventory's `bmc.protocol`."""
    return POWER[board.bmc.protocol](board, log or (lambda _text: None))


def board_console(board: Board, clock: Callable[[], float]) -> ConsoleProtocol:
    """The board's console from the inventory; a SOL password is read here, at the moment of use."""
    return CONSOLES[board.console.kind](board, clock)


def board_deploy(board: Board, power: Callable[[], PowerProtocol | None]) -> Deploy:
    """The board's deploy driver; `power` gives the board's power driver once it is made
    (virtual media is inserted through the BMC)."""
    return DEPLOYS[board.deploy.method](board, power)
