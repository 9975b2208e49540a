"""Typing keys on a keyboard: a step's keys (`lab.keys`) as chords of key codes.

The codes are QEMU's qcodes (QMP `input-send-event`, `send-key`), on a US layout, the
one firmware and kernels assume for a PS/2 keyboard. A chord is pressed in order and
released in reverse: `A` is shift+a, `!` is shift+1, `<ctrl-c>` is ctrl+c, a newline in
the text is Enter. A character no US key types (`é`, a control character without a
Ctrl-key) is an error naming it, at spec load time, never a silently different key.
"""
from __future__ import annotations

import string

from rustux_bootlab.lab.keys import Key, Keys, KeysError

Chord = tuple[str, ...]  # qcodes pressed together: modifiers first

_PLAIN = {c: c for c in string.ascii_lowercase + string.digits}
_PLAIN.update({" ": "spc", "\n": "ret", "\r": "ret", "\t": "tab", "\x1b": "esc", "-": "minus", "=": "equal",
               "[": "bracket_left", "]": "bracket_right", "\\": "backslash", ";": "semicolon", "'": "apostrophe",
               "`": "grave_accent", ",": "comma", ".": "dot", "/": "slash"})
_SHIFTED = {c.upper(): c for c in string.ascii_lowercase}
_SHIFTED.update(dict(zip('!@#$%^&*()_+{}|:"~<>?', "1234567890-=[]\\;'`,./")))
_NAMED = {"enter": ("ret",), "tab": ("tab",), "esc": ("esc",), "backspace": ("backspace",), "space": ("spc",),
          "up": ("up",), "down": ("down",), "left": ("left",), "right": ("right",), "home": ("home",),
          "end": ("end",), "delete": ("delete",), "insert": ("insert",), "pageup": ("pgup",), "pagedown": ("pgdn",),
          "ctrl-[": ("ctrl", "bracket_left"), "ctrl-\\": ("ctrl", "backslash"), "ctrl-]": ("ctrl", "bracket_right")}
_NAMED.update({f"f{n}": (f"f{n}",) for n in range(1, 13)})
_NAMED.update({f"ctrl-{c}": ("ctrl", c) for c in string.ascii_lowercase})


class KeymapError(KeysError):
    """Keys that a US keyboard cannot type; the message names the character."""


def chords(keys: Keys) -> tuple[Chord, ...]:
    """('echo Hi', Key('enter')) -> (('e',), ('c',), ('h',), ('o',), ('spc',), ('shift', 'h'), ('i',), ('ret',))"""
    out: list[Chord] = []
    for item in keys:
        if isinstance(item, Key):
            out.append(_NAMED[item.name])
        else:
            out.extend(_char(c) for c in item)
    return tuple(out)


def _char(c: str) -> Chord:
    if c in _PLAIN:
        return (_PLAIN[c],)
    if c in _SHIFTED:
        return ("shift", _PLAIN[_SHIFTED[c]])
    if "\x01" <= c <= "\x1a":  # a control character in the text: its Ctrl-key
        return ("ctrl", chr(ord(c) + 0x60))
    shown = repr(c)[1:-1]
    raise KeymapError(f"{shown!r} cannot be typed on a US keyboard (input keyboard): send it on serial, "
                      "or spell it with keys a US keyboard has")
