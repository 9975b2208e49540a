"""PPM (what QEMU's screendump writes) to PNG and back, in pure Python with zlib."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path


class PpmError(Exception):
    """The file is not a binary (P6) 8-bit PPM."""


class PngError(Exception):
    """The file is not a PNG this module wrote (8-bit RGB, no interlace, filter None)."""


def ppm_to_png(ppm: Path, png: Path) -> None:
    width, height, pixels = read_ppm(ppm.read_bytes())
    png.write_bytes(encode_png(width, height, pixels))


def read_ppm(data: bytes) -> tuple[int, int, bytes]:
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:
        while pos < len(data) and data[pos : pos + 1].isspace():
            pos += 1
        if data[pos : pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while end < len(data) and not data[end : end + 1].isspace():
            end += 1
        if end == pos:
            raise PpmError("truncated PPM header")
        fields.append(data[pos:end])
        pos = end
    magic, width, height, maxval = fields[0], int(fields[1]), int(fields[2]), int(fields[3])
    if magic != b"P6" or maxval != 255:
        raise PpmError(f"unsupported PPM: magic {magic!r}, maxval {maxval}")
    pixels = data[pos + 1 : pos + 1 + width * height * 3]  # one whitespace byte ends the header
    if len(pixels) != width * height * 3:
        raise PpmError(f"PPM pixel data truncated: {len(pixels)} of {width * height * 3} bytes")
    return width, height, pixels


def encode_png(width: int, height: int, rgb: bytes, level: int = 6) -> bytes:
    """`level`: zlib's, 1 (fastest) to 9."""
    stride = width * 3
    # Filter type 0 (None) on every row: simple, and zlib does well on framebuffers.
    raw = b"".join(b"\x00" + rgb[y * stride : (y + 1) * stride] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, level)) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def decode_png(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and RGB bytes of a PNG written by `encode_png` (the record's screens,
    the screen corpus); other PNGs are refused rather than half-decoded."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise PngError("not a PNG file")
    pos, header, idat = 8, b"", b""
    while pos + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        payload = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = payload
        elif kind == b"IDAT":
            idat += payload
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if (depth, colour, interlace) != (8, 2, 0):
        raise PngError(f"unsupported PNG (depth {depth}, colour type {colour}, interlace {interlace}): expected 8-bit RGB")
    raw = zlib.decompress(idat)
    stride = width * 3 + 1
    if len(raw) != stride * height or any(raw[y * stride] for y in range(height)):
        raise PngError("unsupported PNG: rows must use filter type 0 (None), as encode_png writes them")
    return width, height, b"".join(raw[y * stride + 1 : (y + 1) * stride] for y in range(height))
