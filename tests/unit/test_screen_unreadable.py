"""The screen channel over cells the lab cannot read, on a real screen: Debian's Linux 6.1
VGA8x16 console (its `f`, `v`, `'`, backquote and `~` are not the lab's own font's).

The reader is the real one with the lab's own fonts only (standing for a kernel font the
lab does not know); frames go through the real ScreenChannel, matcher and judge. The QEMU
session around them is a stand-in (`Live`): the channel is handed the real screenshot
where QEMU's screendump would have put it.
"""
from __future__ import annotations

import re

from rustux_bootlab.lab.judge import BootFacts, judge
from rustux_bootlab.lab.matcher import BootMatcher
from rustux_bootlab.lab.screen.feed import ScreenFeed
from rustux_bootlab.lab.screen.reader import ScreenReader, frame_from_rgb, known_fonts
from rustux_bootlab.lab.screen.fontset import CONSOLEFONTS
from rustux_bootlab.lab.screen.unreadable import unreadable
from rustux_bootlab.lab.spec import load_spec
from rustux_bootlab.lab.verdict import Culprit, Verdict
from rustux_bootlab.workers.qemu.png import decode_png
from rustux_bootlab.workers.qemu.screen import STILL_S, ScreenChannel

from screens import CORPUS, frame

GOHA = CONSOLEFONTS / "Ethiopian-Goha16.psf.gz"


class Live:
    """The runner's side of a boot, as far as the screen channel uses it."""

    def __init__(self, matcher, out):
        self.matcher, self.out, self.qmp, self.t = matcher, out, None, 0.0
        self.events: list[str] = []

    def now(self):
        return self.t

    def feed(self, channel, data, t=None):
        self.matcher.feed(channel, data, self.t if t is None else t)

    def event(self, text):
        self.events.append(text)


def boot(tmp_path, regex):
    spec = tmp_path / "s.yaml"
    spec.write_text(f"name: linux\nmilestones:\n  - {{name: ebs, channel: screen, regex: '{regex}', timeout: 1}}\n")
    m = BootMatcher(load_spec(spec))
    m.feed("firmware", b"BdsDxe: starting Boot0001\n", 0.05)
    live, channel = Live(m, tmp_path), ScreenChannel()
    channel.reader = ScreenReader(known_fonts())
    width, height, rgb = decode_png((CORPUS / "linux-vga8x16.png").read_bytes())
    channel._frame = b"P6\n%d %d\n255\n" % (width, height) + rgb  # what screendump would have written
    channel._hash = b"linux-vga8x16"
    channel._frame_t = live.t = 0.3
    assert not channel._read(live)  # a first frame is read once it held still
    channel._frame_t = live.t = 0.3 + STILL_S
    assert channel._read(live)
    return live, channel


def test_a_milestone_over_an_unreadable_cell_matches_and_the_timeline_shows_the_cell(tmp_path):
    live, _ = boot(tmp_path, "^ExitBootServices OK$")
    assert [h.name for h in live.matcher.hits] == ["ebs"] and live.matcher.hits[0].line == "ExitBootServices OK"
    assert live.events == ["screen: ebs matched 'ExitBootSer\ufffdices OK' with 1 unreadable cell (column 12 as 'v')"]


def test_a_screen_milestone_that_times_out_over_unreadable_cells_is_the_labs_with_its_screenshot(tmp_path):
    live, channel = boot(tmp_path, "^ExitBootServices (FAILED|done)$")
    live.t = 1.5
    live.matcher.poll(live.t)
    channel.tick(live, live.t)
    assert (tmp_path / "screen-ebs.png").read_bytes().startswith(b"\x89PNG")
    o = judge(live.matcher, BootFacts(screen_unreadable=channel.unreadable))
    assert (o.verdict, o.culprit) == (Verdict.ERROR, Culprit.LAB)
    assert re.search(r"^no ebs within 1s, but the lab could not read 8 screen cells on lines 2, 3, 5, .*'ExitBootSer\ufffdices OK'"
                     r".* \(see screen-ebs\.png\)", o.reason), o.reason


def test_a_prompt_whose_cursor_the_reader_cannot_place_is_an_open_line():
    """Linux's lower-half cursor (`ESC [ ? 4 c`) hides half the cell after `~ # `: no glyph."""
    text = ScreenReader().read(frame("linux-vga8x16-prompt"))
    assert text.lines[8] == "~ # \ufffd" and text.cursor is None
    lines = ScreenFeed().update(text)
    assert lines.open_line == "~ # " and lines.lines[-1] == "~!@#$%^&*()_+{}|:<>?`-=[]\\\\;,./"


def test_the_channel_knows_the_specs_font_and_the_learned_ones_and_says_which_it_cannot_read(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOTLAB_STATE", str(tmp_path / "state"))
    learned = tmp_path / "state" / "fonts"
    learned.mkdir(parents=True)
    (learned / "broken.glyphs").write_text("font broken 8x2\nglyph U+0041\n#.\n")
    spec = tmp_path / "s.yaml"
    spec.write_text(f"name: s\nscreen_font: {GOHA}\nmilestones:\n  - {{name: a, channel: screen, regex: '^a'}}\n")
    live = Live(BootMatcher(load_spec(spec)), tmp_path)
    assert [f.name for f in ScreenChannel()._fonts(live)] == ["Ethiopian-Goha16"]
    assert live.events == [f"screen: font not used: {learned / 'broken.glyphs'}:2: glyph U+0041 needs 2 rows of 8 '.'/'#'"]


def test_a_picture_is_no_unreadable_text_and_a_hang_under_it_stays_the_kernels():
    lines = ScreenReader().read(frame("drawn-rustux-logo")).lines
    assert any("\ufffd" * 8 in line for line in lines)  # the logo, cell by cell
    assert unreadable(lines) is None
    assert unreadable(["ExitBootSer\ufffdices OK", "\ufffd\ufffd\ufffd"]).rows == (0,)


def test_a_logo_is_no_grid_to_keep_and_no_unreadable_text():
    """Seen on a real boot: OVMF's logo read as a grid of Uni2-Fixed14 (its solid cells are
    `▄` or `_` somewhere), kept for the kernel's next frame, which then read `mini—e\ufffdi`."""
    frames = CORPUS.parent / "frames"
    reader = ScreenReader()
    logo = reader.read(frame_from_rgb(*decode_png((frames / "ovmf-logo.png").read_bytes())))
    assert unreadable(logo.lines) is None
    text = reader.read(frame_from_rgb(*decode_png((frames / "mini-efi-console.png").read_bytes())))
    assert text.lines[:2] == ("mini-efi screen console", "input: PS/2 keyboard and COM1") and text.unknown == 0
