"""`bootlab screen learn-font` on a real screen: Linux's VGA8x16 console read with the lab's
own fonts, whose `f`, `v`, `'`, backquote and `~` it does not know."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rustux_bootlab.lab.screen.font import load_font
from rustux_bootlab.lab.screen.learn import LearnError, learn
from rustux_bootlab.lab.screen.reader import ScreenReader, known_fonts

from screens import CORPUS, frame

ROWS = {1: 'Type "help" for available commands.', 2: "ExitBootServices OK", 7: "~!@#$%^&*()_+{}|:<>?`-=[]\\\\;,./"}


def read(fonts=()):
    reader = ScreenReader(known_fonts(), first=fonts)
    text = reader.read(frame("linux-vga8x16"))
    return text


def test_the_cells_read_otherwise_than_the_text_are_learned_once_each():
    text = read()
    learned = learn(frame("linux-vga8x16"), text.grid, text.lines, ROWS, None)
    assert {g.char: g.was for g in learned} == dict.fromkeys("fv~`", "\ufffd")
    assert [g.where for g in learned if g.char == "v"] == [(1, 17)]  # its first cell; row 2's agrees


def test_teaching_that_contradicts_itself_or_the_screen_is_refused():
    text = read()
    with pytest.raises(LearnError, match=r"'f' is drawn two ways: row 1 column 12 and row 2 column 11"):
        learn(frame("linux-vga8x16"), text.grid, text.lines, {1: ROWS[1], 2: "ExitBootSerfices OK"}, None)
    with pytest.raises(LearnError, match=r"row 3 reads 'BusyBox is copyrighted.*', not 'ExitBootServices OK': give the row"):
        learn(frame("linux-vga8x16"), text.grid, text.lines, {3: ROWS[2]}, None)


def test_bootlab_learns_shows_and_reads_with_what_it_learned(tmp_path):
    font = tmp_path / "linux-vga.glyphs"
    env = {**os.environ, "BOOTLAB_STATE": str(tmp_path / "state"), "PYTHONPATH": str(Path(__file__).parents[2])}
    args = [Path(sys.executable).parent / "bootlab", "screen", "learn-font", str(CORPUS / "linux-vga8x16.png"),
            "--lab-fonts-only", "--font", str(font), "--name", "linux-vga"]
    first = subprocess.run([*args, "--line", f"2:{ROWS[2]}"], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert first.returncode == 0, first.stderr
    assert "learned 'v' (U+0076) at row 2 column 11, unreadable:" in first.stdout and "1 glyphs (1 new)" in first.stdout
    assert "    .##...##" in first.stdout or "##" in first.stdout.split("unreadable:")[1]
    wrong = subprocess.run([*args, "--line", "1:Type \"help\" for a_ailable commands."], env=env, capture_output=True,
                           text=True, timeout=60, check=False)
    assert wrong.returncode == 2 and "this glyph was learned as 'v', the text says '_'" in wrong.stderr, wrong.stderr
    assert "nothing learned" in wrong.stderr
    assert read((load_font(font),)).lines[2] == "ExitBootServices OK"


def test_a_row_of_glyphs_all_unknown_is_learned_from_grubs_menu():
    """GRUB 2.06's menu on OVMF: EDK2 draws its box with glyphs the lab's EDK2 font lacks."""
    text = ScreenReader(known_fonts()).read(frame("grub-menu"))
    top = (CORPUS / "grub-menu.txt").read_text().split("\n")[3]
    assert set(text.lines[3].strip()) == {"\ufffd"}
    learned = learn(frame("grub-menu"), text.grid, text.lines, {3: top}, None)
    assert [(g.char, g.where) for g in learned] == [("┌", (3, 1)), ("─", (3, 2)), ("┐", (3, 98))]
