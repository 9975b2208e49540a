"""Console bytes to matchable text: no escape sequences, no NULs, UTF-8 with replacement.

OVMF paints its console with CSI sequences (`ESC[0m`, `ESC[2J`, `ESC[01;01H`); terminals
and some kernels emit OSC titles; garbage can hold any byte. Only the text a human would
read is left for the milestone regexes. The stripping works on bytes, before decoding:
escape sequences are ASCII, and byte-level regexes run faster than on decoded text.
"""
from __future__ import annotations

import re

from rustux_bootlab.lab.terminal import DRAWN, draw

# After ESC: CSI (`[` params intermediates final), OSC (`]` ... BEL or ST, or to the end
# of the line), charset selection (`(B`), other two-byte escapes; else a lone ESC.
_ESCAPES = re.compile(
    rb"\x1b(?:\[[0-?]*[ -/]*[@-~]"
    rb"|\][^\x07\x1b\n]*(?:\x07|\x1b\\)?"
    rb"|[()*+][0-9A-Za-z]"
    rb"|[@-Z\\-_=>78])?"
)


_COMPLETE_ESCAPE = re.compile(
    rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b\n]*(?:\x07|\x1b\\)|[()*+][0-9A-Za-z]|[@-Z\\-_=>78])"
)


def clean_open_line(line: bytes) -> str:
    """`clean_block` for a line still being written: an escape sequence cut off at its end is
    dropped whole (half of `ESC[0m` would otherwise read as the text `[0`)."""
    esc = line.rfind(b"\x1b")
    if esc >= 0 and not _COMPLETE_ESCAPE.match(line, esc):
        line = line[:esc]
    return clean_block(line).rsplit("\n", 1)[-1]  # drawn on several rows: the cursor's is the open one


def clean_block(block: bytes) -> str:
    """Strip escape sequences and NULs from a block of lines and decode it (newlines kept);
    lines drawn with backspaces and cursor moves read as a terminal shows them (lab.terminal)."""
    if b"\x00" in block:
        block = block.replace(b"\x00", b"")
    if (b"\x08" in block or b"\x1b[" in block) and DRAWN.search(block):
        return "\n".join(draw(line.decode("utf-8", "replace")) if DRAWN.search(line) else clean_block(line)
                         for line in block.split(b"\n"))
    if b"\x1b" in block:
        block = _ESCAPES.sub(b"", block)
    return block.decode("utf-8", "replace")
