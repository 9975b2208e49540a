"""Literal prefixes of regexes, so the matcher can skip text with `str.find` (memchr speed).

`^rustux: entry` under re.MULTILINE makes `re` try every position of a block (~140 MB/s);
finding the literal `rustux: entry` first and checking only the lines that hold it runs
at GB/s. Sound because every match starts with the prefix, so the first occurrence of the
prefix is never after the first match. Uses the `re` parser, which is exact about
alternations, quantifiers, escapes and inline flags; anything unusual yields no prefix.
"""
from __future__ import annotations

import re

try:
    from re import _constants as _c, _parser as _p  # type: ignore[attr-defined]  # Python >= 3.11
except ImportError:  # pragma: no cover - older Pythons keep the same modules at top level
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _p  # type: ignore[no-redef]

_ANCHORS = {_c.AT_BEGINNING, _c.AT_BEGINNING_LINE, _c.AT_BEGINNING_STRING}


def literal_prefix(regex: re.Pattern[str]) -> str:
    """The text every match of `regex` begins with ('' if there is none to rely on)."""
    if regex.flags & re.IGNORECASE or not isinstance(regex.pattern, str):
        return ""
    try:
        parsed = _p.parse(regex.pattern, regex.flags)
    except Exception:  # noqa: BLE001 - the pattern compiled already; the private parser is best effort
        return ""
    if parsed.state.flags & re.IGNORECASE:
        return ""
    out: list[str] = []
    for i, (op, arg) in enumerate(parsed):
        if op is _c.AT and arg in _ANCHORS and i == 0:
            continue
        if op is not _c.LITERAL:
            break
        out.append(chr(arg))
    return "".join(out)
