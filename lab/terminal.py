"""A console line as a terminal shows it: backspaces and the cursor moves within a line applied.

Programs draw on serial consoles: a countdown offer is printed, counted down and erased with
`\\b \\b`, then the prompt is drawn over it; a progress line is redrawn with `ESC[K`. Matched
raw, `prompt> ` would sit after the offer's text and dozens of backspaces, not at the start
of the line where a person sees it. The raw bytes stay in serial.log; the regexes see this.

A model of the rows a line draws on, enough for what programs draw (VT100): BS and `CSI n D`
move left, `CSI n C` right, `CSI n G` to a column, `CSI K` erases (0: to the end, 1: to the
cursor, 2: the line); a printed character overwrites its cell. `CSI row;col H` (and `f`)
moves to a column of the same row, as line editors echo (GRUB, the UEFI shell: every key
after a cursor position); to another row it starts a line of its own (a full-screen menu
reads as its rows, not as one run of text). Blanks an erase left past the cursor are no
text (`\\b \\b` writes a blank); blanks before it are (`prompt> `). `CSI A`/`B` and every
other escape are stripped (lab.cleaning); a lone CR already ends a line (lab.linebuffer). Why not a screen model such as pyte: the lab matches lines of
unbounded streams, at most 4 KiB each (lab.linebuffer); a fixed-size screen would wrap
them at its width and lose what scrolled off between two reads.
"""
from __future__ import annotations

import re

# What makes a line need drawing: a backspace or a cursor move or erase within the line.
DRAWN = re.compile(rb"\x08|\x1b\[[0-9;]*[CDGKHf]")
# A backspace, a CSI sequence (params, final), or any other escape (stripped).
_TOKEN = re.compile(r"\x08|\x1b\[([0-?]*)[ -/]*([@-~])|\x1b(?:\][^\x07\x1b]*(?:\x07|\x1b\\)?|[()*+][0-9A-Za-z]|[@-Z\\-_=>78])?")


def draw(line: str) -> str:
    """`line` (one line, no line end) as a terminal would show it: one line per row it drew on."""
    rows: list[str] = []
    cells: list[str] = []
    col = 0
    row: int | None = None  # the row of the last cursor position, once one was given
    pos = 0
    for token in _TOKEN.finditer(line):
        col = _put(cells, col, line[pos : token.start()])
        pos = token.end()
        final = token.group(2)
        if token.group(0) == "\x08":
            col = max(0, col - 1)
        elif final is not None and final in "Hf":
            at_text, _, column = token.group(1).partition(";")
            at = int(at_text) if at_text.isdigit() else 1
            if row is not None and at != row and (cells or rows):
                rows.append(_shown(cells, col))
                cells = []
            row, col = at, (int(column) - 1 if column.isdigit() and int(column) > 0 else 0)
        elif final is not None:
            col = _csi(cells, col, token.group(1), final)
    col = _put(cells, col, line[pos:])
    rows.append(_shown(cells, col))
    return "\n".join(rows)


def _put(cells: list[str], col: int, text: str) -> int:
    """Print `text` at `col` (overwriting); the column after it."""
    if text:
        if col > len(cells):
            cells.extend(" " * (col - len(cells)))
        cells[col : col + len(text)] = text
        col += len(text)
    return col


def _shown(cells: list[str], col: int) -> str:
    end = len(cells)
    while end > col and cells[end - 1] == " ":
        end -= 1
    return "".join(cells[:end])


def _csi(cells: list[str], col: int, params: str, final: str) -> int:
    """Apply one CSI sequence to the line; the new cursor column."""
    first = params.split(";", 1)[0]
    count = int(first) if first.isdigit() else 0
    if final == "D":
        return max(0, col - max(count, 1))
    if final == "C":
        return col + max(count, 1)
    if final == "G":
        return max(count, 1) - 1
    if final == "K":
        if count == 0:
            del cells[col:]
        elif count == 1:
            cells[: col + 1] = " " * min(col + 1, len(cells))
        elif count == 2:
            cells[:] = " " * len(cells)
    return col
