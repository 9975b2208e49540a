"""Bounded line assembly for one console channel.

Bytes arrive in arbitrary pieces; `feed` returns a block of the complete lines seen so
far, every line `\\n`-terminated. Line ends are `\\n`, `\\r\\n` and a lone `\\r` (progress
output that rewrites one line is then several lines, and CRLF yields an empty line that
matches nothing). Memory is bounded: only the first `LINE_HEAD_BYTES` of a line are kept,
the rest is counted in `bytes_dropped` and never held, so a line of megabytes costs 4 KiB.
Milestone regexes therefore see at most the first 4 KiB of each line.
"""
from __future__ import annotations

LINE_HEAD_BYTES = 4096


class LineAssembler:
    def __init__(self, head: int = LINE_HEAD_BYTES, redrawn: bool = False) -> None:
        self.head = head
        # A redrawn channel (a screen) sends whole frames: each feed's unfinished last line
        # replaces the previous one (the prompt row re-read), it never continues it.
        self.redrawn = redrawn
        self.bytes_dropped = 0
        self.lines_truncated = 0
        self._pending = bytearray()
        self._overflow = False

    def feed(self, data: bytes) -> bytes:
        """Complete lines (bounded, `\\n`-terminated) made available by `data`; may be empty."""
        if self.redrawn:
            self._reset()
        last = max(data.rfind(b"\n"), data.rfind(b"\r"))
        if last < 0:
            self._hold(data)
            return b""
        start = b""
        body_from = 0
        if self._pending or self._overflow:
            first = _first_line_end(data)
            self._hold(data[:first])
            start = bytes(self._pending) + b"\n"
            self._reset()
            body_from = first + 1
        body = data[body_from : last + 1].replace(b"\r", b"\n")
        if len(body) > self.head:
            body = self._truncate_long_lines(body)
        self._hold(data[last + 1 :])
        return start + body

    @property
    def pending(self) -> bytes:
        """The unfinished line so far (its bounded head): where a shell's prompt waits."""
        return bytes(self._pending)

    def flush(self) -> bytes:
        """The unterminated last line, if any, as a block; call at end of stream. A redrawn
        channel's open line stays open: the last frame did not end it."""
        if not self._pending or self.redrawn:
            self._reset()
            return b""
        block = bytes(self._pending) + b"\n"
        self._reset()
        return block

    def _hold(self, data: bytes) -> None:
        room = self.head - len(self._pending)
        if len(data) <= room:
            self._pending += data
            return
        self._pending += data[:room]
        self.bytes_dropped += len(data) - room
        if not self._overflow:
            self._overflow = True
            self.lines_truncated += 1

    def _reset(self) -> None:
        self._pending = bytearray()
        self._overflow = False

    def _truncate_long_lines(self, body: bytes) -> bytes:
        lines = body.split(b"\n")
        if max(map(len, lines)) <= self.head:
            return body
        for i, line in enumerate(lines):
            if len(line) > self.head:
                self.bytes_dropped += len(line) - self.head
                self.lines_truncated += 1
                lines[i] = line[: self.head]
        return b"\n".join(lines)


def _first_line_end(data: bytes) -> int:
    ends = [i for i in (data.find(b"\n"), data.find(b"\r")) if i >= 0]
    return min(ends)
