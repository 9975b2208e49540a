"""The one error every part of a board's setup raises: the BMC, the console, the USB deploy.

It ends a board boot in ERROR (lab/outcomes.py row 7), never FAIL: the kernel was not at
fault. Its culprit says whose it is: `board` (the BMC does not answer, refuses a command, the
state does not follow, the stick reads back wrong) or `lab` (our own configuration: a missing
secret, a wrong password, an unknown SSH host key). `str()` names the board, the part and
where it was reached; the subclasses only name the part, so callers catch what they handle.
"""
from __future__ import annotations

from rustux_bootlab.lab.verdict import Culprit
from rustux_bootlab.workers import secrets


class BoardError(Exception):
    part = "BMC"

    def __init__(self, board: str, where: str, message: str, culprit: Culprit = Culprit.BOARD) -> None:
        super().__init__(f"board {board}: {self.part} {where}: {message}")
        self.board = board
        self.where = where
        self.message = message
        self.culprit = culprit


class ConsoleError(BoardError):
    """The console could not be opened at all."""

    part = "console at"


class DeployError(BoardError):
    """The image did not reach the stick intact."""

    part = "USB deploy to"


def board_secret(board: str, where: str, name: str, error: type[BoardError] = BoardError) -> str:
    """A part's secret by name, read at the moment of use; a missing one is the lab's
    configuration at fault (ERROR/lab), raised as the part's error."""
    try:
        return secrets.resolve(name)
    except secrets.SecretError as e:
        raise error(board, where, str(e), Culprit.LAB) from None
