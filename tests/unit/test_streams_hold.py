"""Streams.hold (workers/capture.py): what is read ahead while the runner waits on QMP is handed
out by the next wait, in order, even when the channel ended meanwhile (a guest that powered
off during a screendump still delivers its last line)."""
from __future__ import annotations

import socket

from rustux_bootlab.workers.capture import Streams


def _channel(streams: Streams, name: str) -> socket.socket:
    """A channel of `streams` whose other end, returned, plays the guest."""
    ours, guest = socket.socketpair()
    ours.setblocking(False)
    streams.add(name, ours)
    return guest


def test_held_bytes_and_the_end_of_the_channel_come_out_of_the_next_wait_in_order() -> None:
    streams = Streams()
    guest = _channel(streams, "serial")
    try:
        guest.sendall(b"[rustux] poweroff\n")
        guest.close()
        while streams.open_channels:  # the bytes, then the end, each on its own read
            streams.hold()
        assert not streams.done, "an ended channel's held bytes are still to be handed out"
        assert streams.wait(0.0) == [("serial", b"[rustux] poweroff\n"), ("serial", b"")]
        assert streams.done and streams.wait(0.0) == []
    finally:
        streams.close()


def test_a_wait_with_held_chunks_does_not_block() -> None:
    streams = Streams()
    guest = _channel(streams, "debugcon")
    try:
        guest.sendall(b"x")  # a socketpair's bytes are readable once sent
        streams.hold()
        assert streams.wait(3600.0) == [("debugcon", b"x")]
    finally:
        guest.close()
        streams.close()
