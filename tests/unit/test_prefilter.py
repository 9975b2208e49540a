"""Literal prefixes must be exact: a wrong prefix would make the matcher miss milestones."""
import re

import pytest

from rustux_bootlab.lab.milestones import BootMatcher, Milestone, MilestoneSpec
from rustux_bootlab.lab.prefilter import literal_prefix
from rustux_bootlab.lab.spec import CHANNELS


@pytest.mark.parametrize(
    "pattern, prefix",
    [
        (r"^rustux: entry", "rustux: entry"),
        (r"\[PANIC\] (?P<reason>.*)", "[PANIC] "),
        (r"^!", "!"),
        (r"ab*c", "a"),
        (r"a+b", ""),
        (r"foo|bar", ""),
        (r"(?i)abc", ""),
        (r"^\s+x", ""),
        (r"BdsDxe: (?:loading|starting) Boot", "BdsDxe: "),
        ("caf\u00e9 ok", "caf\u00e9 ok"),
    ],
)
def test_literal_prefix(pattern, prefix):
    assert literal_prefix(re.compile(pattern, re.M)) == prefix


def test_ignorecase_flag_disables_the_prefix():
    assert literal_prefix(re.compile("abc", re.I | re.M)) == ""


@pytest.mark.parametrize("pattern", [r"^ab*c$", r"(?i)^HELLO", r"hel+o", r"^x|hello", r"h[e]llo"])
def test_matcher_agrees_with_plain_per_line_search(pattern):
    lines = ["ac", "abbbc", "hello", "HeLLo", "hellllo", "xx", "say hello", "a", ""]
    rx = re.compile(pattern, re.M)
    expected = next((line for line in lines if rx.search(line)), None)
    spec = MilestoneSpec("t", (Milestone("m", frozenset(CHANNELS), rx, 10),))
    m = BootMatcher(spec)
    m.feed("serial", "\n".join(lines).encode() + b"\n", 1.0)
    assert (m.hits[0].line if m.hits else None) == expected
