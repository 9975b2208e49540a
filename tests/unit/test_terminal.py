"""lab.terminal: a console line as a terminal shows it, and lab.cleaning using it."""
import pytest

from rustux_bootlab.lab.cleaning import clean_block, clean_open_line
from rustux_bootlab.lab.terminal import draw

OFFER = "Press any key to stop autoboot: 3"


@pytest.mark.parametrize(("raw", "shown"), [
    pytest.param(OFFER + "\x082\x081" + "\x08 \x08" * len(OFFER) + "prompt> ", "prompt> ", id="erased-offer-then-prompt"),
    pytest.param(OFFER + "\x082", OFFER[:-1] + "2", id="countdown-redraws-its-digit"),
    pytest.param("loading 10%\x1b[3D55%", "loading 55%", id="csi-left"),
    pytest.param("abc\x1b[1G\x1b[KX", "X", id="column-then-erase-to-end"),
    pytest.param("abcdef\x1b[3G\x1b[1K", "   def", id="erase-to-cursor-keeps-later-cells"),
    pytest.param("abc\x1b[2K\x1b[1Gnew", "new", id="erase-line"),
    pytest.param("a\x1b[2Cb", "a  b", id="csi-right-leaves-blanks"),
    pytest.param("\x1b[0m\x1b[1mbold\x1b]0;title\x07\x08\x08D", "boDd", id="other-escapes-stripped"),
    pytest.param("\x08\x08x", "x", id="backspace-at-column-0-stays"),
])
def test_a_line_reads_as_a_terminal_shows_it(raw, shown):
    assert draw(raw) == shown


def test_blanks_before_the_cursor_are_text_blanks_an_erase_left_after_it_are_not():
    assert draw("xxxxxxxxxx" + "\x08 \x08" * 10 + "ok> ") == "ok> "
    assert draw("x\x08ok> ") == "ok> "  # the cursor after the prompt's blank: it stays


def test_clean_block_draws_only_lines_that_need_it():
    block = b"\x1b[01;01Hplain line\n" + OFFER.encode() + b"\x08 \x08" * len(OFFER) + b"mini> echo hi\n"
    assert clean_block(block) == "plain line\nmini> echo hi\n"


def test_the_open_line_is_drawn_too():
    assert clean_open_line(OFFER.encode() + b"\x08 \x08" * len(OFFER) + b"mini> ") == "mini> "


def test_a_line_editor_echoing_at_cursor_positions_reads_as_the_line():
    # GRUB's `grub>` echo, as it came on COM1: a cursor position before every key, a backspace redrawn
    raw = ("grub> \x1b[10;07He\x1b[10;08H\x1b[10;08Hc\x1b[10;09H\x1b[10;09Hh\x1b[10;10H\x1b[10;10H0\x1b[10;11H"
           "\x1b[10;10H \x1b[10;11H\x1b[10;10H\x1b[10;10Ho\x1b[10;11H")
    assert draw(raw) == "grub> echo"


def test_a_move_to_another_row_starts_a_line_of_its_own():
    assert draw("\x1b[2;24HGNU GRUB  version 2.06\x1b[4;2H+----+\x1b[5;2H|*Say hello|") == \
        "                       GNU GRUB  version 2.06\n +----+\n |*Say hello|"
    assert clean_open_line(b"\x1b[2;3Hmenu\x1b[8;1Hgrub> ") == "grub> "
