"""Fonts the lab did not write: Linux's console fonts as Debian ships them, a spec's own,
and matching a screen line over cells no font explains. The screens are real: Debian's
Linux 6.1 framebuffer console (scripts/record-linux-screens.py)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from rustux_bootlab.lab.screen.font import FontError, load_font
from rustux_bootlab.lab.screen.fontset import CONSOLEFONTS, by_size, system_fonts
from rustux_bootlab.lab.screen.reader import ScreenReader, known_fonts, reader_fonts
from rustux_bootlab.lab.screen.unreadable import REPLACEMENT
from rustux_bootlab.lab.screen.wildcard import wild_search
from rustux_bootlab.lab.spec import load_spec

from screens import frame, truth

GOHA = CONSOLEFONTS / "Ethiopian-Goha16.psf.gz"


def test_linux_vga_console_was_unreadable_in_five_glyphs_and_reads_exactly_with_debians_fonts():
    before = ScreenReader(known_fonts()).read(frame("linux-vga8x16"))
    assert before.lines[1:3] == ('Type "help" \ufffdor a\ufffdailable commands.', "ExitBootSer\ufffdices OK")
    assert ScreenReader().read(frame("linux-vga8x16")).text == truth("linux-vga8x16")


def test_psf_unicode_tables_name_the_glyphs():
    goha = load_font(GOHA)  # PSF1 with a Unicode table: glyph order is not code points
    assert (goha.width, goha.height) == (8, 16) and goha.bitmaps["v"] != load_font(Path("kernel/font/vga-8x16.psf")).bitmaps["v"]
    terminus = load_font(CONSOLEFONTS / "Uni2-Terminus32x16.psf.gz")  # PSF2, UTF-8 table
    assert (terminus.width, terminus.height) == (16, 32) and {"A", "─", "┌"} <= set(terminus.bitmaps)


def test_fonts_of_one_cell_size_are_one_lookup_and_the_first_keeps_a_shared_bitmap():
    fonts = (*known_fonts(), *system_fonts())
    merged = by_size(fonts)
    assert len(merged) == len({(f.width, f.height) for f in fonts}) < len(fonts)
    assert len(ScreenReader().lookups) == len(reader_fonts())
    rustux = merged[0]
    assert rustux.name == "rustux" and rustux.by_bitmap[known_fonts()[0].bitmaps["v"]] == "v"
    assert rustux.by_bitmap[load_font(GOHA).bitmaps["v"]] == "v"  # Linux's own `v`, a variant


def test_a_spec_names_its_kernels_font_file(tmp_path):
    spec = tmp_path / "s.yaml"
    body = "name: s\nmilestones:\n  - {name: a, channel: screen, regex: '^a'}\n"
    spec.write_text(body + f"screen_font: {GOHA}\n")
    assert load_spec(spec).screen_font == str(GOHA)
    spec.write_text(body + "screen_font: fonts/missing.psf.gz\n")
    with pytest.raises(Exception, match=r"s.yaml:4: .*no font file .*fonts/missing.psf.gz: name a PSF"):
        load_spec(spec)
    reader = ScreenReader(known_fonts(), first=(load_font(GOHA),))
    assert reader.read(frame("linux-vga8x16")).lines[2] == "ExitBootServices OK"


def test_a_font_file_that_is_not_one_is_refused_by_name(tmp_path):
    bad = tmp_path / "bad.psf.gz"
    bad.write_bytes(b"\x1f\x8b not gzip")
    with pytest.raises(FontError, match="bad.psf.gz: not a readable gzip file"):
        load_font(bad)


def test_an_unreadable_cell_stands_for_one_character_and_the_match_says_so():
    lines = ScreenReader(known_fonts()).read(frame("linux-vga8x16")).lines
    m = wild_search(re.compile(r"^ExitBootServices OK$"), lines[2])
    assert m is not None and m.filled == "ExitBootServices OK" and m.cells == (11,)
    assert m.describe() == "matched 'ExitBootSer\ufffdices OK' with 1 unreadable cell (column 12 as 'v')"
    assert wild_search(re.compile(r"^ExitBootServices FAIL$"), lines[2]) is None
    assert wild_search(re.compile(r"for available commands"), lines[1]).cells == (12, 17)
    assert wild_search(re.compile(r"^~"), lines[7]) is None  # a lone cell is no evidence: a quarter at most


def test_exact_reading_never_goes_through_wildcards():
    line = ScreenReader().read(frame("linux-vga8x16")).lines[2]
    assert REPLACEMENT not in line and wild_search(re.compile("ExitBootServices"), line) is None


def test_a_font_learned_at_edk2s_size_keeps_its_console_centred(tmp_path):
    learned = tmp_path / "mine.glyphs"
    learned.write_text("font mine 8x19\nglyph U+00E9\n" + "#.......\n" * 19)
    grid = ScreenReader(first=(load_font(learned),)).read(frame("ovmf-shell-start")).grid
    assert (grid.font.name, grid.x0, grid.y0, grid.cols, grid.rows) == ("mine", 240, 105, 100, 31)
