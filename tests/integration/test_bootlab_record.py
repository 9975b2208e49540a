"""Pieces of the boot record without QEMU: flood-bounded capture, the timeline, PNG."""
from __future__ import annotations

import resource
import struct
import zlib

from rustux_bootlab.workers import capture
from rustux_bootlab.workers.capture import Capture
from rustux_bootlab.workers.qemu.png import encode_png, read_ppm


def test_a_flood_is_cut_off_on_disk_and_never_held_in_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(capture, "LOG_LIMIT_BYTES", 8 << 20)
    cap = Capture(tmp_path, ("serial", "debugcon"))
    cap.event("QEMU started", 0.0)
    cap.data("debugcon", b"[rustux] heap: ok\r\n", 0.5)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    line = b"\x1b[1mflood\x1b[0m " * 100 + b"\n"
    chunk = line * (65536 // len(line))
    for i in range(3200):  # ~200 MB, plus one 1 MB line without a newline
        cap.data("serial", chunk, 1.0 + i / 1000)
    cap.data("serial", b"x" * (1 << 20), 5.0)
    cap.event("decided: PASS", 5.5)
    cap.close(6.0)
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    assert grown_kib < 64 * 1024, f"capture grew by {grown_kib} KiB"
    assert (tmp_path / "serial.log").stat().st_size == 8 << 20
    timeline = (tmp_path / "timeline.log").read_bytes()
    assert len(timeline) < (8 << 20) + 4096
    lines = timeline.decode().splitlines()
    assert lines[0].split() == ["0", "runner", "QEMU", "started"]
    assert lines[1].split(maxsplit=2) == ["500", "debugcon", "[rustux] heap: ok"]
    assert "\x1b" not in timeline.decode()
    assert any("serial.log cut at" in line for line in lines)
    assert lines[-2].endswith("timeline cut at 8388608 bytes")
    assert lines[-1].split(maxsplit=2) == ["5500", "runner", "decided: PASS"]


def test_png_encoder_round_trip():
    width, height = 3, 2
    pixels = bytes(range(width * height * 3))
    ppm = b"P6\n# QEMU screendump\n3 2\n255\n" + pixels
    assert read_ppm(ppm) == (width, height, pixels)
    png = encode_png(width, height, pixels)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = {}, 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, payload = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        assert struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])[0] == zlib.crc32(kind + payload)
        chunks[kind] = payload
        pos += 12 + length
    assert struct.unpack(">IIBB", chunks[b"IHDR"][:10]) == (3, 2, 8, 2)
    raw = zlib.decompress(chunks[b"IDAT"])
    assert raw == b"\x00" + pixels[:9] + b"\x00" + pixels[9:]
    assert b"IEND" in chunks
