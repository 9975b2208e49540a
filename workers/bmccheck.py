"""Is a board's BMC open to whoever reaches it? Tried as an attacker would, with ipmitool:

    attack                                               a BMC that is safe
    cipher suite 0 (RMCP+, no authentication),           refuses: else any password opens a session
      the board's user and a wrong password
    cipher suite 1 (authentication, no integrity),       refuses: else a session can be taken over
      the board's user and a wrong password                (accepting it with a wrong password is worse)
    IPMI 1.5 without authentication (`-A NONE`),          refuses: else any password opens a session
      the board's user and a wrong password
    the null user (empty name and password), cipher 3    refuses

Real BMCs ship with some of these open, which is why the lab asks. Each attack is one
`ipmitool ... mc guid` that must fail; first the lab's own driver must reach the BMC with the
board's password (else nothing can be judged: a BMC that answers nobody refuses everything).
The wrong password is random, made for each check, never the board's; the lab's own sessions
use cipher suite 3 (pyghmi), never a weaker one.
"""
from __future__ import annotations

import secrets
import subprocess
from dataclasses import dataclass

from rustux_bootlab.lab.board import Board

# (what, ipmitool interface options, user: None for the board's, password: None for a wrong one)
ATTACKS = (
    ("cipher suite 0 (no authentication) with a wrong password", ["-I", "lanplus", "-C", "0"], None, None),
    ("cipher suite 1 (no integrity) with a wrong password", ["-I", "lanplus", "-C", "1"], None, None),
    ("IPMI 1.5 without authentication with a wrong password", ["-I", "lan", "-A", "NONE"], None, None),
    ("the null user (no name, no password)", ["-I", "lanplus", "-C", "3"], "", ""),
)
ATTEMPT_TIMEOUT_S = 30


@dataclass(frozen=True)
class Attempt:
    attack: str
    accepted: bool
    answer: str  # ipmitool's last line, for the operator

    def text(self) -> str:
        return f"{'ACCEPTED' if self.accepted else 'refused'}: {self.attack}" + (f" ({self.answer})" if self.answer else "")


def attempts(board: Board) -> list[Attempt]:
    """Every attack of ATTACKS tried on the board's BMC, in order."""
    wrong = secrets.token_hex(6)  # IPMI 1.5 passwords are at most 16 bytes
    out = []
    for attack, interface, user, password in ATTACKS:
        argv = ["ipmitool", *interface, "-H", board.bmc.host, "-p", str(board.bmc.port), "-N", "1", "-R", "2",
                "-U", board.bmc.credentials.user if user is None else user,
                "-P", wrong if password is None else password, "mc", "guid"]
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=ATTEMPT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            out.append(Attempt(attack, False, f"no answer in {ATTEMPT_TIMEOUT_S} s"))
            continue
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        out.append(Attempt(attack, proc.returncode == 0, lines[-1].strip() if lines and proc.returncode else ""))
    return out
