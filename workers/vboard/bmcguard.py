"""The virtual BMC's network face: a UDP relay in front of `ipmi_sim` that refuses weak sessions.

`python -m rustux_bootlab.workers.vboard.bmcguard STATE_DIR PORT INNER_ADDRESS` listens on 127.0.0.1:PORT (the
board's BMC address) and relays every datagram to ipmi_sim on INNER_ADDRESS:PORT (another
loopback address, the same port: ipmi_sim names its own port in a SOL activation and pyghmi
refuses any other), one relay socket per client so each answer goes back to whoever asked.
ipmi_sim's own address is reachable from the board controller host itself, as is the guard's. ipmi_sim opens an
RMCP+ session for cipher suite 0 (no authentication) with any password, whatever its
configuration says (OpenIPMI 2.0.33 has no setting to refuse it, checked); so the guard
answers such a request itself, the way a BMC that refuses it does:

    row  datagram                                              answer
    1    RMCP+ Open Session Request, authentication none       Open Session Response, status 0x11
         or left to the BMC (cipher suites 0, and any other      (no cipher suite matches), not relayed
         proposal without an authentication algorithm)
    2    RMCP+ Open Session Request, integrity none            the same: a session without integrity
         (cipher suites 1 and 6)                                 checks can be taken over
    3    anything else                                         relayed

IPMI 1.5 sessions without authentication and the null user are refused by ipmi_sim's own
configuration (workers/vboard/ipmisim.py). Refusals are logged to STATE_DIR/bmc-guard.log
(who asked, which algorithms), never a user name or password.
"""
from __future__ import annotations

import selectors
import signal
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

RMCP_IPMI = b"\x06\x00\xff\x07"
AUTHTYPE_RMCP_PLUS = 0x06
OPEN_SESSION_REQUEST, OPEN_SESSION_RESPONSE = 0x10, 0x11
NO_CIPHER_SUITE_MATCHES = 0x11
HEADER = 16  # RMCP (4), auth type, payload type, session id (4), sequence (4), payload length (2)
IDLE_S = 120.0  # a client silent this long has closed its session (ipmi_sim's own timeout is 60 s)


@dataclass(frozen=True)
class Proposal:
    """The algorithms an Open Session Request proposes (None: left to the BMC)."""
    tag: int
    authentication: int | None
    integrity: int | None
    confidentiality: int | None


def proposal(datagram: bytes) -> Proposal | None:
    """The Open Session Request in `datagram`, or None when it is something else."""
    if len(datagram) < HEADER + 32 or not datagram.startswith(RMCP_IPMI):
        return None
    if datagram[4] != AUTHTYPE_RMCP_PLUS or datagram[5] & 0x3F != OPEN_SESSION_REQUEST:
        return None
    p = datagram[HEADER:]

    def algorithm(offset: int) -> int | None:  # each proposal: type, 2 reserved, length (0: any), algorithm
        return p[offset + 4] & 0x3F if p[offset + 3] else None
    return Proposal(p[0], algorithm(8), algorithm(16), algorithm(24))


def refusal(datagram: bytes) -> tuple[bytes, str] | None:
    """The answer to send instead of relaying `datagram` and why (rows 1-2), or None (row 3)."""
    asked = proposal(datagram)
    if asked is None:
        return None
    if not asked.authentication:
        why = "no authentication (cipher suite 0 or like it: any password would do)"
    elif not asked.integrity:
        why = "no integrity checks (cipher suite 1 or 6: the session could be taken over)"
    else:
        return None
    payload = bytes([asked.tag, NO_CIPHER_SUITE_MATCHES])
    answer = RMCP_IPMI + bytes([AUTHTYPE_RMCP_PLUS, OPEN_SESSION_RESPONSE]) + bytes(8) + len(payload).to_bytes(2, "little")
    return answer + payload, why


class Guard:
    def __init__(self, state: Path, port: int, inner_address: str) -> None:
        self.inner = (inner_address, port)
        self.outer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.outer.bind(("127.0.0.1", port))
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.outer, selectors.EVENT_READ)
        self.relays: dict[tuple[str, int], socket.socket] = {}
        self.clients: dict[socket.socket, tuple[tuple[str, int], float]] = {}
        self.log = open(state / "bmc-guard.log", "a", buffering=1, encoding="utf-8")

    def run(self) -> None:
        while True:
            for key, _ in self.selector.select(timeout=5):
                try:
                    if key.fileobj is self.outer:
                        self._from_client(*self.outer.recvfrom(65535))
                    else:
                        self._from_bmc(key.fileobj)  # type: ignore[arg-type]
                except OSError:  # ipmi_sim restarting (ICMP refused): the client will retry
                    pass
            self._forget_idle()

    def _from_client(self, datagram: bytes, client: tuple[str, int]) -> None:
        refused = refusal(datagram)
        if refused is not None:
            answer, why = refused
            self.log.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} refused a session from {client[0]}:{client[1]}: {why}\n")
            self.outer.sendto(answer, client)
            return
        relay = self.relays.get(client)
        if relay is None:
            relay = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            relay.connect(self.inner)
            self.relays[client] = relay
            self.selector.register(relay, selectors.EVENT_READ)
        self.clients[relay] = (client, time.monotonic())
        relay.send(datagram)

    def _from_bmc(self, relay: socket.socket) -> None:
        client, _ = self.clients[relay]
        self.clients[relay] = (client, time.monotonic())
        self.outer.sendto(relay.recv(65535), client)

    def _forget_idle(self) -> None:
        now = time.monotonic()
        for relay, (client, last) in list(self.clients.items()):
            if now - last > IDLE_S:
                self.selector.unregister(relay)
                relay.close()
                del self.clients[relay], self.relays[client]


def main(argv: list[str]) -> int:
    guard = Guard(Path(argv[0]), int(argv[1]), argv[2])
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: sys.exit(0))
    guard.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
