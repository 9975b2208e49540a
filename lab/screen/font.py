"""Bitmap fonts the screen reader knows: cell size and one bitmap per character.

A glyph's bitmap is its cell as rows of bits, most significant bit leftmost, `width`
bits per row padded to whole bytes (PSF's layout). The reader looks a cell's bitmap up
in `by_bitmap`; two characters with the same bitmap cannot be told apart on a screen, so
the lower code point keeps the bitmap (`-` over the soft hyphen) and the other is listed
in `shadowed`.

Two file formats: PSF1/PSF2, gzipped or not (the kernel's `kernel/font/vga-8x16.psf`,
glyph N = code point N when the file has no Unicode table; Debian's
/usr/share/consolefonts/*.psf.gz, whose Unicode table names each glyph's characters: the
glyph is the bitmap of every one of them) and the lab's text format for fonts learned
from screens (`fonts/*.glyphs`):

    # comments (before the font line only: '#' is ink below it)
    font ovmf 8x19
    glyph U+0041
    ........          (one line per pixel row, '#' = ink)
"""
from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

PSF1_MAGIC = b"\x36\x04"
PSF2_MAGIC = b"\x72\xb5\x4a\x86"
GZIP_MAGIC = b"\x1f\x8b"


class FontError(Exception):
    """A font file is malformed; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Font:
    name: str
    width: int
    height: int
    bitmaps: dict[str, bytes]  # character -> packed rows
    # More (character, bitmap) pairs from other fonts of the same cell size (lab.screen.fontset):
    # a bitmap already known keeps its first character.
    variants: tuple[tuple[str, bytes], ...] = ()
    merged: tuple[str, ...] = ()  # the names of the fonts whose glyphs are the variants
    by_bitmap: dict[bytes, str] = field(init=False, repr=False)
    shadowed: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_bitmap: dict[bytes, str] = {}
        shadowed: list[str] = []
        for char in sorted(self.bitmaps):
            bits = self.bitmaps[char]
            if len(bits) != self.row_bytes * self.height:
                raise FontError(f"font {self.name}: glyph {char!r} has {len(bits)} bytes, expected {self.row_bytes * self.height}")
            if bits in by_bitmap:
                shadowed.append(char)
            else:
                by_bitmap[bits] = char
        for char, bits in self.variants:
            if len(bits) != self.row_bytes * self.height:
                raise FontError(f"font {self.name}: variant of {char!r} has {len(bits)} bytes, expected {self.row_bytes * self.height}")
            by_bitmap.setdefault(bits, char)
        blank = bytes(self.row_bytes * self.height)
        by_bitmap.setdefault(blank, " ")
        object.__setattr__(self, "by_bitmap", by_bitmap)
        object.__setattr__(self, "shadowed", tuple(shadowed))

    @property
    def row_bytes(self) -> int:
        return (self.width + 7) // 8

    def mask(self, char: str) -> np.ndarray:
        """The glyph as a (height, width) bool array (for rendering fixtures)."""
        rows = np.frombuffer(self.bitmaps[char], dtype=np.uint8).reshape(self.height, self.row_bytes)
        return np.unpackbits(rows, axis=1)[:, : self.width].astype(bool)


def load_font(path: Path, name: str | None = None) -> Font:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FontError(f"{path}: cannot read the font: {exc.strerror}") from None
    if data.startswith(GZIP_MAGIC):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise FontError(f"{path}: not a readable gzip file: {exc}") from None
    name = name or path.name.split(".")[0]
    if data.startswith(PSF1_MAGIC) or data.startswith(PSF2_MAGIC):
        return _parse_psf(data, name, path)
    return _parse_glyphs(data.decode("utf-8"), path)


def _parse_psf(data: bytes, name: str, path: Path) -> Font:
    if data.startswith(PSF1_MAGIC):
        mode, height = data[2], data[3]
        count, width, offset, size = (512 if mode & 1 else 256), 8, 4, height
        has_table = bool(mode & 6)
    else:
        _, _, offset, flags, count, size, height, width = struct.unpack_from("<8I", data)
        has_table = bool(flags & 1)
    if len(data) < offset + count * size:
        raise FontError(f"{path}: truncated: {count} glyphs of {size} bytes need {offset + count * size} bytes, file has {len(data)}")
    glyphs = [data[offset + code * size : offset + (code + 1) * size] for code in range(count)]
    table = data[offset + count * size :]
    names = (_psf1_table(table, count, path) if data.startswith(PSF1_MAGIC) else _psf2_table(table, count, path)) \
        if has_table else [[chr(code)] for code in range(count)]
    bitmaps = {}
    for bits, chars in zip(glyphs, names):
        for char in chars:
            if (char == " " or any(bits)) and char not in bitmaps:  # blank control glyphs are not glyphs
                bitmaps[char] = bits
    return Font(name, width, height, bitmaps)


def _psf1_table(table: bytes, count: int, path: Path) -> list[list[str]]:
    """Per glyph, its characters: UCS-2 code points up to 0xFFFF; after 0xFFFE come
    sequences (a glyph for combined characters), which a cell cannot hold: skipped."""
    words = struct.unpack_from(f"<{len(table) // 2}H", table)
    names: list[list[str]] = [[]]
    in_sequence = False
    for word in words:
        if len(names) > count:
            break
        if word == 0xFFFF:
            names.append([])
            in_sequence = False
        elif word == 0xFFFE:
            in_sequence = True
        elif not in_sequence:
            names[-1].append(chr(word))
    if len(names) <= count:
        raise FontError(f"{path}: its Unicode table describes {len(names) - 1} of {count} glyphs")
    return names[:count]


def _psf2_table(table: bytes, count: int, path: Path) -> list[list[str]]:
    """Per glyph: UTF-8 characters, 0xFE starting sequences (skipped), 0xFF ending the glyph."""
    names: list[list[str]] = []
    for entry in table.split(b"\xff")[:count]:
        single = entry.split(b"\xfe")[0]
        try:
            names.append(list(single.decode("utf-8")))
        except UnicodeDecodeError:
            raise FontError(f"{path}: glyph {len(names)}'s Unicode table entry is not UTF-8") from None
    if len(names) < count:
        raise FontError(f"{path}: its Unicode table describes {len(names)} of {count} glyphs")
    return names


def _parse_glyphs(text: str, path: Path) -> Font:
    lines = [(n, line.rstrip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    while lines and lines[0][1].startswith("#"):  # comments come before the `font` line only
        lines.pop(0)
    if not lines or not lines[0][1].startswith("font "):
        raise FontError(f"{path}:1: expected 'font NAME WxH' first")
    try:
        _, name, size = lines[0][1].split()
        width, height = (int(v) for v in size.split("x"))
    except ValueError:
        raise FontError(f"{path}:{lines[0][0]}: expected 'font NAME WxH', got {lines[0][1]!r}") from None
    bitmaps: dict[str, bytes] = {}
    i = 1
    while i < len(lines):
        n, head = lines[i]
        if not head.startswith("glyph U+"):
            raise FontError(f"{path}:{n}: expected 'glyph U+XXXX', got {head!r}")
        char = chr(int(head[len("glyph U+"):], 16))
        rows = [row for _, row in lines[i + 1 : i + 1 + height]]
        if len(rows) != height or any(len(r) != width or set(r) - {".", "#"} for r in rows):
            raise FontError(f"{path}:{n}: glyph {head[6:]} needs {height} rows of {width} '.'/'#'")
        bitmaps[char] = _pack(rows, width)
        i += 1 + height
    return Font(name, width, height, bitmaps)


def _pack(rows: list[str], width: int) -> bytes:
    bits = np.array([[c == "#" for c in r] for r in rows], dtype=bool)
    return np.packbits(bits, axis=1).tobytes()


def format_glyphs(font: Font, header: str) -> str:
    """The text format of `font` (used to write fonts learned from screens)."""
    out = [f"# {line}" if line else "#" for line in header.splitlines()]
    out.append(f"font {font.name} {font.width}x{font.height}")
    for char in sorted(font.bitmaps):
        out.append(f"glyph U+{ord(char):04X}")
        out += ["".join("#" if b else "." for b in row) for row in font.mask(char)]
    return "\n".join(out) + "\n"


def widened(font: Font, width: int, name: str) -> Font:
    """`font` in wider cells, the extra columns blank (VGA text mode's 9-pixel cells)."""
    bitmaps = {}
    for char in font.bitmaps:
        mask = np.zeros((font.height, width), dtype=bool)
        mask[:, : font.width] = font.mask(char)
        bitmaps[char] = np.packbits(mask, axis=1).tobytes()
    return Font(name, width, font.height, bitmaps)
