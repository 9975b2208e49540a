"""What a step types: text with escapes and named keys, as one sequence of keys per input.

A `send` is written once and typed on any input: `serial` turns it into bytes (a terminal's
encoding: Ctrl-C is 0x03, Enter is CR, the arrows are VT100 sequences), `keyboard` into
key events. So the spec holds keys, not bytes:

    send: 'echo hello<enter>'        # text, then the Enter key
    send: '<ctrl-c>'                  # Ctrl-C (any ctrl-a .. ctrl-z, ctrl-[, ctrl-\\, ctrl-])
    send: 'cat <<in >out<enter>'      # `<<` is a literal `<`
    send: 'printf "a\\tb\\n"\\r'        # escapes: \\r \\n \\t \\e \\xHH \\\\ (write the spec in single quotes)

A `<name>` that is not a key name is an error at load time (with the fix: write `<<`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# Named keys and what a terminal sends for them on a serial line.
SERIAL_KEYS: dict[str, bytes] = {
    "enter": b"\r", "tab": b"\t", "esc": b"\x1b", "backspace": b"\x7f", "space": b" ",
    "up": b"\x1b[A", "down": b"\x1b[B", "right": b"\x1b[C", "left": b"\x1b[D",
    "home": b"\x1b[H", "end": b"\x1b[F", "delete": b"\x1b[3~", "insert": b"\x1b[2~",
    "pageup": b"\x1b[5~", "pagedown": b"\x1b[6~",
    "f1": b"\x1bOP", "f2": b"\x1bOQ", "f3": b"\x1bOR", "f4": b"\x1bOS",
    "f5": b"\x1b[15~", "f6": b"\x1b[17~", "f7": b"\x1b[18~", "f8": b"\x1b[19~",
    "f9": b"\x1b[20~", "f10": b"\x1b[21~", "f11": b"\x1b[23~", "f12": b"\x1b[24~",
}
SERIAL_KEYS.update({f"ctrl-{c}": bytes([ord(c) - ord("a") + 1]) for c in "abcdefghijklmnopqrstuvwxyz"})
SERIAL_KEYS.update({"ctrl-[": b"\x1b", "ctrl-\\": b"\x1c", "ctrl-]": b"\x1d"})
KEY_NAMES = frozenset(SERIAL_KEYS)

_ESCAPES = {"r": "\r", "n": "\n", "t": "\t", "e": "\x1b", "\\": "\\"}
_TOKEN = re.compile(r"<<|<([a-z0-9\\\[\]-]+)>|\\(x[0-9a-fA-F]{2}|.)?|[^<\\]+|<", re.DOTALL)


class KeysError(ValueError):
    """A send text that cannot be typed; the message says what to write instead."""


@dataclass(frozen=True)
class Key:
    """A named key (`enter`, `ctrl-c`, `f1`)."""

    name: str


Keys = tuple[str | Key, ...]  # text runs and named keys, in typing order


def parse_keys(text: str) -> Keys:
    """`echo hi<enter>` -> ('echo hi', Key('enter')); raises `KeysError`."""
    out: list[str | Key] = []
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        if tok == "<<":
            _text(out, "<")
        elif m.group(1) is not None:
            name = m.group(1)
            if name not in KEY_NAMES:
                raise KeysError(f"unknown key <{name}>: known keys are enter, tab, esc, backspace, space, "
                                f"up/down/left/right, home, end, delete, insert, pageup, pagedown, f1-f12, ctrl-a..ctrl-z; "
                                f"write << for a literal <")
            out.append(Key(name))
        elif tok.startswith("\\"):
            esc = m.group(2)
            if esc is None:
                raise KeysError("a lone backslash at the end: write \\\\ for a literal backslash")
            if esc.startswith("x") and len(esc) == 3:
                _text(out, chr(int(esc[1:], 16)))
            elif esc in _ESCAPES:
                _text(out, _ESCAPES[esc])
            else:
                raise KeysError(f"unknown escape \\{esc}: use \\r \\n \\t \\e \\xHH or \\\\")
        else:
            _text(out, tok)
    if not out:
        raise KeysError("nothing to send")
    return tuple(out)


def _text(out: list[str | Key], text: str) -> None:
    if out and isinstance(out[-1], str):
        out[-1] += text
    else:
        out.append(text)


def serial_bytes(keys: Keys) -> bytes:
    """The bytes a terminal sends for `keys` (text as UTF-8)."""
    return b"".join(SERIAL_KEYS[k.name] if isinstance(k, Key) else k.encode() for k in keys)


def describe(keys: Keys) -> str:
    """`echo hi<enter>`: the keys as a person reads them (for messages and the timeline)."""
    parts = []
    for k in keys:
        if isinstance(k, Key):
            parts.append(f"<{k.name}>")
        else:
            parts.append("".join(_visible(c) for c in k.replace("<", "<<")))
    return "".join(parts)


def echo_text(keys: Keys) -> str:
    """What a console echoes of `keys`: the printable text, line ends as `\\n`, no other keys."""
    out = []
    for k in keys:
        if isinstance(k, Key):
            out.append("\n" if k.name == "enter" else " " if k.name == "space" else "")
        else:
            out.append("".join("\n" if c in "\r\n" else c for c in k if c.isprintable() or c in "\r\n\t"))
    return "".join(out)


def _visible(c: str) -> str:
    if c == "\r":
        return "\\r"
    if c == "\n":
        return "\\n"
    if c == "\t":
        return "\\t"
    return c if c.isprintable() else f"\\x{ord(c):02x}"
