"""The exact screen reader on the committed corpus and on what must never be guessed."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rustux_bootlab.lab.screen.cells import REPLACEMENT
from rustux_bootlab.lab.screen.font import Font, FontError, load_font
from rustux_bootlab.lab.screen.reader import ScreenReader, frame_from_rgb, known_fonts
from rustux_bootlab.lab.screen.render import GREY, WHITE, Canvas
from rustux_bootlab.workers.qemu.png import PngError, decode_png, encode_png

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "screens"
SCREENS = sorted(p.stem for p in CORPUS.glob("*.png"))


def frame(name: str) -> np.ndarray:
    return frame_from_rgb(*decode_png((CORPUS / f"{name}.png").read_bytes()))


@pytest.mark.parametrize("name", SCREENS)
def test_corpus_screen_reads_exactly(name):
    truth = (CORPUS / f"{name}.txt").read_text().strip("\n")
    assert ScreenReader().read(frame(name)).text.strip("\n") == truth


def test_corpus_has_real_ovmf_screens_and_drawn_ones():
    assert sum(n.startswith("ovmf-") for n in SCREENS) >= 4 and sum(n.startswith("drawn-") for n in SCREENS) >= 6


def test_ovmf_console_is_found_where_edk2_centres_it():
    grid = ScreenReader().read(frame("ovmf-shell-start")).grid
    assert (grid.font.name, grid.x0, grid.y0, grid.cols, grid.rows) == ("ovmf", 240, 105, 100, 31)


def test_a_glyph_of_an_unknown_font_is_a_replacement_never_a_letter():
    rustux, ovmf, _ = known_fonts()
    canvas = Canvas(640, 480, rustux)
    canvas.text(0, 0, "known text", WHITE)
    # EDK2's 'A' (8x19) drawn in a 8x16 cell: cut to 16 rows, no font has that bitmap.
    cell = canvas.pixels[16:32, 8:16]
    cell[ovmf.mask("A")[:16]] = WHITE
    text = ScreenReader().read(canvas.pixels)
    assert text.lines[:2] == ("known text", " " + REPLACEMENT)
    assert text.unknown == 1


def test_the_grid_is_kept_between_frames_and_found_again_when_the_size_changes():
    reader = ScreenReader()
    first = reader.read(frame("drawn-rustux-cursor")).grid
    assert reader.read(frame("drawn-rustux-full")).grid is first
    assert reader.read(frame("drawn-vga-text-mode")).grid.font.name == "vga-9x16"
    assert reader.read(frame("ovmf-typed-1")).grid.font.name == "ovmf"


def test_a_blank_or_pictured_frame_has_no_text():
    reader = ScreenReader()
    assert reader.read(np.zeros((800, 1280, 3), dtype=np.uint8)).grid is None
    noise = np.random.default_rng(3).integers(0, 256, (400, 640, 3), dtype=np.uint8)
    text = reader.read(noise)
    assert text.grid is None and text.lines == ()


def test_a_cursor_that_hides_what_tells_two_glyphs_apart_is_a_replacement():
    rustux = known_fonts()[0]
    canvas = Canvas(640, 480, rustux)
    canvas.text(0, 0, "prompt> a_", GREY)
    canvas.cursor(0, 9, 4)  # 4 painted rows cover the underscore's row: `_` or a blank?
    line = ScreenReader().read(canvas.pixels).lines[0]
    assert line == "prompt> a" + REPLACEMENT


def test_fonts_refuse_malformed_files(tmp_path):
    psf = tmp_path / "short.psf"
    psf.write_bytes(b"\x36\x04\x00\x10" + bytes(100))
    with pytest.raises(FontError, match="short.psf: truncated"):
        load_font(psf)
    glyphs = tmp_path / "bad.glyphs"
    glyphs.write_text("font bad 8x2\nglyph U+0041\n#.#.\n")
    with pytest.raises(FontError, match=r"bad.glyphs:2: glyph U\+0041 needs 2 rows of 8"):
        load_font(glyphs)
    with pytest.raises(FontError, match="has 1 bytes, expected 2"):
        Font("x", 8, 2, {"A": b"\x01"})


def test_png_round_trip_and_refusal_of_pngs_it_did_not_write():
    rgb = bytes(range(256)) * 3
    assert decode_png(encode_png(16, 16, rgb)) == (16, 16, rgb)
    with pytest.raises(PngError, match="not a PNG"):
        decode_png(b"GIF89a")
