"""The escape of an interactive console: `~.` at the start of a line detaches (as in ssh),
`~~` types one `~`, any other `~x` types both. Everything else is typed as it comes."""
from __future__ import annotations

ESCAPE = b"~."


class EscapeFilter:
    def __init__(self) -> None:
        self.at_line_start = True
        self.pending_tilde = False

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        """The bytes to type, and whether the person asked to detach (the rest is dropped)."""
        send = b""
        for byte in data:
            b = bytes([byte])
            if self.pending_tilde:
                self.pending_tilde = False
                if b == b".":
                    return send, True
                send += b"~" if b == b"~" else b"~" + b
            elif b == b"~" and self.at_line_start:
                self.pending_tilde = True
                continue
            else:
                send += b
            self.at_line_start = b in (b"\r", b"\n")
        return send, False
