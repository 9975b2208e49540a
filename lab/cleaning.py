"""Console bytes to matchable text: UTF-8 with replacement, no escape sequences, no NULs.

OVMF paints its console with CSI sequences (`ESC[0m`, `ESC[2J`, `ESC[01;01H`); terminals
and some kernels emit OSC titles; garbage can hold any byte. Only the text a human would
read is left for the milestone regexes.
"""
from __future__ import annotations

import re

# CSI (ESC [ params intermediates final), OSC (ESC ] ... BEL|ST, or to end of line),
# charset selection (ESC ( B), other two-byte escapes, a lone ESC, and NUL.
_NOISE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)?"
    r"|\x1b[()*+][0-9A-Za-z]"
    r"|\x1b[@-Z\\-_=>78]"
    r"|\x1b"
    r"|\x00+"
)


def clean_block(block: bytes) -> str:
    """Decode a block of lines and strip escape sequences and NULs (newlines are kept)."""
    text = block.decode("utf-8", "replace")
    if "\x1b" in text or "\x00" in text:
        text = _NOISE.sub("", text)
    return text
