"""Hostile input: garbage, NULs, invalid UTF-8, ANSI, CR-only ends, huge lines, floods."""
import os
import random
import re
import tracemalloc

from rustux_bootlab.lab.cleaning import clean_block
from rustux_bootlab.lab.linebuffer import LINE_HEAD_BYTES, LineAssembler
from rustux_bootlab.lab.milestones import BootMatcher, FatalSignature, Milestone, MilestoneSpec
from rustux_bootlab.lab.spec import CHANNELS
from rustux_bootlab.lab.verdict import Verdict

ANYWHERE = frozenset(CHANNELS)
SPEC = MilestoneSpec(
    "t",
    (
        Milestone("entry", ANYWHERE, re.compile(r"^rustux: entry$", re.M), 10),
        Milestone("heap", ANYWHERE, re.compile(r"heap ok \((?P<kib>\d+) KiB\)", re.M), 10),
    ),
    (FatalSignature("panic", ANYWHERE, re.compile(r"\[PANIC\] (?P<reason>.*)", re.M)),),
)


def test_clean_block_strips_ovmf_escapes_and_nuls():
    raw = b"\x1b[2J\x1b[01;01H\x1b[=3h\x1b[1m\x1b[33m\x1b[40mMapping\x1b[0m table\x00\x00\n"
    assert clean_block(raw) == "Mapping table\n"
    assert clean_block(b"\x1b]0;title\x07hi\n") == "hi\n"
    assert clean_block(b"a\x1b(Bb\x1bc\n") == "abc\n"
    assert clean_block(b"caf\xc3\xa9 \xff\xfe ok\n") == "caf\u00e9 \ufffd\ufffd ok\n"


def test_milestones_survive_escapes_nuls_and_bad_utf8():
    m = BootMatcher(SPEC)
    m.feed("serial", b"\xff\xfe\x00garbage\n\x1b[0m\x00rustux: entry\x1b[0m\r\n", 1.0)
    m.feed("serial", b"\x1b[01;01H\xc3(heap ok (64 KiB)\x00\n", 2.0)
    assert [h.name for h in m.hits] == ["entry", "heap"]
    assert m.hits[1].groups == {"kib": "64"}


def test_cr_only_line_ends():
    m = BootMatcher(SPEC)
    m.feed("serial", b"progress 1\rprogress 2\rrustux: entry\rheap ok (1 KiB)\r", 1.0)
    assert m.decided.verdict is Verdict.PASS


def test_crlf_split_between_reads():
    m = BootMatcher(SPEC)
    m.feed("serial", b"rustux: entry\r", 1.0)
    m.feed("serial", b"\nheap ok (2 KiB)\r", 1.0)
    m.feed("serial", b"\n", 1.0)
    assert [h.name for h in m.hits] == ["entry", "heap"]


def test_random_garbage_then_milestones():
    rng = random.Random(1)
    garbage = bytes(rng.getrandbits(8) for _ in range(300_000))
    m = BootMatcher(SPEC)
    for i in range(0, len(garbage), 4093):
        m.feed("serial", garbage[i : i + 4093], 1.0)
    m.feed("serial", b"\nrustux: entry\nheap ok (8 KiB)\n", 2.0)
    assert m.decided.verdict is Verdict.PASS, m.decided


def test_megabyte_line_is_bounded_and_milestone_after_it_found():
    m = BootMatcher(SPEC)
    line = b"[PANIC-ish] " + b"x" * (3 << 20)
    for i in range(0, len(line), 65536):
        m.feed("serial", line[i : i + 65536], 1.0)
    m.feed("serial", b"\nrustux: entry\n", 2.0)
    assert [h.name for h in m.hits] == ["entry"]
    assert m.bytes_dropped == len(line) - LINE_HEAD_BYTES


def test_milestone_in_the_head_of_a_long_line_is_matched():
    m = BootMatcher(SPEC)
    m.feed("serial", b"rustux: entry\n[PANIC] boom " + b"y" * 100_000 + b"\n", 1.0)
    assert m.decided.reason.startswith("boom yyy")
    assert len(m.signature.line) == LINE_HEAD_BYTES


def test_long_lines_inside_one_block_are_truncated():
    a = LineAssembler()
    block = a.feed(b"short\n" + b"z" * 10_000 + b"\nend\n")
    assert block == b"short\n" + b"z" * LINE_HEAD_BYTES + b"\nend\n"
    assert a.bytes_dropped == 10_000 - LINE_HEAD_BYTES and a.lines_truncated == 1


def test_partial_line_overflow_across_reads():
    a = LineAssembler(head=8)
    assert a.feed(b"0123456") == b""
    assert a.feed(b"789abc") == b""
    assert a.feed(b"def\nnext") == b"01234567\n"
    assert a.bytes_dropped == 8 and a.lines_truncated == 1
    assert a.flush() == b"next\n" and a.flush() == b""


def test_flood_keeps_memory_bounded():
    """64 MB of noise in 64 KiB reads (long lines and short ones) must not grow the heap."""
    m = BootMatcher(SPEC)
    long_lines = (b"L" * 300_000 + b"\n") * 4
    short_lines = b"[    1.234] some driver said something rather ordinary\n" * 20_000
    chunk = 65536
    tracemalloc.start()
    try:
        for blob in (long_lines, short_lines) * 30:
            for i in range(0, len(blob), chunk):
                m.feed("serial", blob[i : i + chunk], 1.0)
        m.feed("serial", b"rustux: entry\nheap ok (3 KiB)\n", 2.0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert m.decided.verdict is Verdict.PASS
    assert m.bytes_seen["serial"] > 60_000_000
    assert peak < 4 << 20, f"peak {peak} B"


def test_garbage_on_every_channel_decides_nothing():
    m = BootMatcher(SPEC)
    junk = os.urandom(50_000)
    for c in CHANNELS:
        m.feed(c, junk, 1.0)
    m.close(1.0)
    assert m.hits == [] and m.decided is None
