"""A board's parts from its inventory entry: which driver is its power, its console, its deploy.

Like an Ironic hardware type, a board is the composition of its interfaces; each is a driver
of its protocol (workers/machine.py). A new driver is one entry in a table here:

    POWER[kind]     (board, log) -> Power          the BMC: `ipmi`
    CONSOLES[kind]  (board, clock) -> Console      `sol`, `serial`
    DEPLOYS[method] (board) -> Deploy              `pxe`, `usb`
The inventory (lab/board.py) names the console kind and the deploy method; every BMC is IPMI
today. A secret a part needs is read when the part is made, at the moment of use.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lab.board import Board
from workers.board.error import ConsoleError, board_secret
from workers.console.base import ConsoleProtocol
from workers.machine import Deploy, Deployed
from workers.power.base import BootDevice, PowerProtocol

PowerFactory = Callable[[Board, Callable[[str], None]], PowerProtocol]
ConsoleFactory = Callable[[Board, Callable[[], float]], ConsoleProtocol]
DeployFactory = Callable[[Board], Deploy]


def ipmi_power(board: Board, log: Callable[[str], None]) -> PowerProtocol:
    from workers.power.ipmi import IpmiPower  # pyghmi: only for a board that uses it

    return IpmiPower.for_board(board, log=log)


def sol_console(board: Board, clock: Callable[[], float]) -> ConsoleProtocol:
    from workers.console.sol import SolConsole

    creds = board.console.credentials or board.bmc.credentials
    password = board_secret(board.name, board.bmc.address, creds.password_secret, ConsoleError)
    return SolConsole(board.name, board.bmc.host, board.bmc.port, creds.user, password, clock)


def serial_console(board: Board, clock: Callable[[], float]) -> ConsoleProtocol:
    from workers.console.serialport import SerialConsole

    assert board.console.device is not None
    return SerialConsole(board.name, board.console.device, board.console.baud, clock)


@dataclass
class PxeDeploy:
    """The ESP staged into the board's TFTP root (workers/deploy/pxe.py)."""

    board: Board
    method = "pxe"
    boot_device: BootDevice = "network"

    def put(self, image: Path) -> Deployed:
        from workers.deploy.pxe import stage_esp
        from workers.state import tftp_root

        staged = stage_esp(image, tftp_root(self.board))
        return Deployed({"path": str(image), "sha256": staged.sha256}, staged.to_dict())


@dataclass
class UsbDeploy:
    """The ESP's FAT image written to the board's stick and read back (workers/deploy/usb.py)."""

    board: Board
    method = "usb"
    boot_device: BootDevice = "disk"

    def put(self, image: Path) -> Deployed:
        from workers.deploy.usb import deploy_usb
        from workers.image import prepare_image

        fat, identity = prepare_image(image)
        return Deployed(identity, deploy_usb(self.board, fat).to_dict())


POWER: dict[str, PowerFactory] = {"ipmi": ipmi_power}
CONSOLES: dict[str, ConsoleFactory] = {"sol": sol_console, "serial": serial_console}
DEPLOYS: dict[str, DeployFactory] = {"pxe": PxeDeploy, "usb": UsbDeploy}


def board_power(board: Board, log: Callable[[str], None]) -> PowerProtocol:
    return POWER["ipmi"](board, log)


def board_console(board: Board, clock: Callable[[], float]) -> ConsoleProtocol:
    """The board's console from the inventory; a SOL password is read here, at the moment of use."""
    return CONSOLES[board.console.kind](board, clock)


def board_deploy(board: Board) -> Deploy:
    return DEPLOYS[board.deploy.method](board)
