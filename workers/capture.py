"""Channel capture: runner-side unix sockets and pipes read with one selector.

Every chunk goes, as received, to its per-channel raw log (`<channel>.log`) and, split
into cleaned lines, to `timeline.log`: `<ms since boot start> <channel> <line>`, all
channels, runner events and what conversation steps typed (channel `input`) on one clock. Memory is bounded (lines are assembled with at
most 4 KiB held per channel) and so is disk: a flooding guest is cut off at
`LOG_LIMIT_BYTES` per file, with a note in the timeline.
"""
from __future__ import annotations

import os
import selectors
import socket
from collections.abc import Callable
from pathlib import Path
from typing import IO

from rustux_bootlab.lab.cleaning import clean_block
from rustux_bootlab.lab.echo import REDRAWN_CHANNELS
from rustux_bootlab.lab.linebuffer import LineAssembler

LOG_LIMIT_BYTES = 64 * 1024 * 1024
READ_CHUNK = 65536
TIMELINE = "timeline.log"


class _Log:
    """An append-only file that stops growing at `LOG_LIMIT_BYTES`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # Unbuffered: the record can be followed live (`tail -f timeline.log`).
        self.file = path.open("wb", buffering=0)
        self.written = 0
        self.dropped = 0

    def write(self, data: bytes) -> bool:
        """Write what fits; True the first time something had to be dropped."""
        room = LOG_LIMIT_BYTES - self.written
        first_drop = self.dropped == 0 and len(data) > room
        if room > 0:
            self.file.write(data[:room])
            self.written += min(room, len(data))
        self.dropped += max(0, len(data) - room)
        return first_drop

    def close(self) -> None:
        if not self.file.closed:
            self.file.close()


class Capture:
    """Raw per-channel logs plus the merged timeline of one boot record."""

    def __init__(self, record_dir: Path, channels: tuple[str, ...]) -> None:
        self.timeline = _Log(record_dir / TIMELINE)
        self.raw = {c: _Log(record_dir / f"{c}.log") for c in channels}
        self.lines = {c: LineAssembler(redrawn=c in REDRAWN_CHANNELS) for c in channels}

    def data(self, channel: str, data: bytes, t: float) -> None:
        block = self.lines[channel].feed(data)
        # A redrawn channel's raw log keeps its complete lines: its open line is re-sent
        # with every frame.
        if self.raw[channel].write(block if channel in REDRAWN_CHANNELS else data):
            self.event(f"{channel}.log cut at {LOG_LIMIT_BYTES} bytes: the rest of the channel is not kept", t)
        self._timeline(channel, block, t)

    def event(self, text: str, t: float) -> None:
        """A runner event (QEMU started, verdict, teardown) on the timeline; these few lines
        are kept even after a flood cut the timeline off."""
        self.timeline.file.write(f"{int(t * 1000):>8} {'runner':<8} {text}\n".encode())

    def input(self, text: str, t: float) -> None:
        """What a step typed (channel `input`), kept like runner events even after a flood cut."""
        self.timeline.file.write(f"{int(t * 1000):>8} {'input':<8} {text}\n".encode())

    def close(self, t: float) -> None:
        for channel, assembler in self.lines.items():
            self._timeline(channel, assembler.flush(), t)
        for log in (*self.raw.values(), self.timeline):
            log.close()

    def _timeline(self, channel: str, block: bytes, t: float) -> None:
        if not block or self.timeline.dropped:
            return
        stamp = f"{int(t * 1000):>8} {channel:<8} "
        # Blank lines (CRLF ends one line twice for the assembler) carry nothing: skip them.
        text = "".join(stamp + line + "\n" for line in clean_block(block).split("\n")[:-1] if line.strip())
        if self.timeline.write(text.encode()):
            self.timeline.file.write(f"{stamp}timeline cut at {LOG_LIMIT_BYTES} bytes\n".encode())


Chunk = tuple[str, bytes]  # channel, data (b"": the channel ended)


class Streams:
    """One selector over the listening sockets, their connections and QEMU's output pipe.

    A listener registered with `on_accept` hands its connection over (QMP); other
    connections are read as channel data. `hold` reads what is ready without handing it out,
    for the next `wait`: a runner blocked on something else (a QMP reply) keeps QEMU's writes
    flowing, since QEMU writes a debug console whole, holding its big lock, and a full socket
    would stop the guest and QMP with it. Held chunks are stamped when they are handed out, as
    any chunk is, so the timeline stays in order."""

    def __init__(self) -> None:
        self.selector = selectors.DefaultSelector()
        self.open_channels: set[str] = set()
        self._held: list[Chunk] = []
        self._owned: list[socket.socket] = []  # closed by `close()`; handed-over ones are not
        self.connections: dict[str, socket.socket] = {}  # channel -> QEMU's connection (COM1 is typed into)

    def listen(self, channel: str, path: Path, on_accept: Callable[[socket.socket], None] | None = None,
               server: socket.socket | None = None) -> None:
        """Accept the channel's connection on `path`; `server`: a socket already listening there."""
        if server is None:
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.bind(str(path))
            server.listen(1)
            server.setblocking(False)
        self._owned.append(server)
        self.selector.register(server, selectors.EVENT_READ, ("listen", channel, on_accept))

    def add(self, channel: str, stream: IO[bytes] | socket.socket) -> None:
        self.selector.register(stream, selectors.EVENT_READ, ("read", channel, None))
        self.open_channels.add(channel)

    def wait(self, timeout: float) -> list[Chunk]:
        """Chunks held or arriving within `timeout` s (none waited for when some were held)."""
        held, self._held = self._held, []
        return held + self._select(0.0 if held else timeout, accept=True)

    @property
    def done(self) -> bool:
        """Every channel ended and what was held has been handed out."""
        return not self.open_channels and not self._held

    def hold(self) -> None:
        """Read what is ready now and keep it for the next `wait`."""
        self._held += self._select(0.0, accept=False)

    def _select(self, timeout: float, accept: bool) -> list[Chunk]:
        chunks: list[Chunk] = []
        for key, _ in self.selector.select(max(timeout, 0.0)):
            kind, channel, on_accept = key.data
            stream = key.fileobj
            if kind == "listen" and isinstance(stream, socket.socket):
                if accept:  # a connection handed over (QMP) is not one to make while QMP is busy
                    self._accept(stream, channel, on_accept)
                continue
            data = _read(stream)
            if data is None:
                continue
            chunks.append((channel, data))
            if not data:
                self.selector.unregister(stream)
                self.open_channels.discard(channel)
        return chunks

    def close(self) -> None:
        for key in list(self.selector.get_map().values()):
            self.selector.unregister(key.fileobj)
        self.selector.close()
        for sock in self._owned:
            sock.close()

    def _accept(self, server: socket.socket, channel: str, on_accept: Callable[[socket.socket], None] | None) -> None:
        conn, _ = server.accept()
        self.selector.unregister(server)
        if on_accept is not None:
            on_accept(conn)
            return
        self._owned.append(conn)
        self.connections[channel] = conn
        conn.setblocking(False)
        self.add(channel, conn)


def _read(stream: object) -> bytes | None:
    try:
        if isinstance(stream, socket.socket):
            return stream.recv(READ_CHUNK)
        if hasattr(stream, "fileno"):
            return os.read(stream.fileno(), READ_CHUNK)
    except (BlockingIOError, InterruptedError):
        return None
    except ConnectionResetError:
        return b""
    raise TypeError(f"cannot read {stream!r}")
