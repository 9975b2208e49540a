"""The screen as a channel: keys for the keyboard, frames to lines, a conversation on the screen.

The frames are drawn from the kernel's font (lab/screen/render.py) and read by the real
reader, then fed to the real matcher the way workers/qemu/screen.py feeds it; real QEMU
screens and keyboards are in tests/integration/test_screen_boot.py.
"""
import json
import re
import socket

import pytest

from rustux_bootlab.lab.boardview import board_view
from rustux_bootlab.lab.echo import EchoFilter
from rustux_bootlab.lab.keymap import KeymapError, chords
from rustux_bootlab.lab.keys import Key, parse_keys
from rustux_bootlab.lab.milestones import BootMatcher, load_spec
from rustux_bootlab.lab.screen.feed import ScreenFeed
from rustux_bootlab.lab.screen.reader import ScreenReader, ScreenText, known_fonts
from rustux_bootlab.lab.screen.render import GREEN, GREY, WHITE, Canvas
from rustux_bootlab.lab.screen.wanted import screen_wanted
from rustux_bootlab.lab.spec import STREAMS
from rustux_bootlab.lab.verdict import Culprit, Verdict
from rustux_bootlab.workers.input.ports import InputError
from rustux_bootlab.workers.qemu.keyboard import QmpKeyboard
from rustux_bootlab.workers.qemu.qmp import QmpClient

from captures import FIXTURES, spec_error

SPEC = (FIXTURES / "specs" / "screen-conversation.yaml").read_text()


def test_text_becomes_us_keyboard_chords():
    assert chords(parse_keys("echo A!<enter>")) == (
        ("e",), ("c",), ("h",), ("o",), ("spc",), ("shift", "a"), ("shift", "1"), ("ret",))
    assert chords((Key("ctrl-c"), "\t~\\", Key("f12"), Key("pageup"))) == (
        ("ctrl", "c"), ("tab",), ("shift", "grave_accent"), ("backslash",), ("f12",), ("pgup",))
    assert chords(("\x03",)) == (("ctrl", "c"),)
    with pytest.raises(KeymapError, match="'é' cannot be typed on a US keyboard"):
        chords(("café",))


def test_the_spec_takes_screen_and_keyboard_and_refuses_untypable_keys(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(SPEC)
    spec = load_spec(p)
    assert spec.milestones[0].channels == {"screen"} and spec.fatal[0].channels == set(STREAMS)
    hello = spec.conversation.steps[0]
    assert (hello.input, hello.channel) == ("keyboard", "screen")
    error = spec_error(tmp_path / "bad.yaml", SPEC.replace("echo Hello", "echo Héllo"))
    assert re.search(r"bad.yaml:13: conversation.steps\[0\].send: 'é' cannot be typed on a US keyboard", error), error


def text(*lines, cursor=None):
    return ScreenText(tuple(lines), None, 0, cursor)


def test_frames_become_new_lines_scrolls_are_not_repeats_and_the_cursor_row_is_open():
    feed = ScreenFeed()
    assert feed.update(text("boot ok", "mini>", cursor=(1, 6))).lines == ("boot ok",)
    typed = feed.update(text("boot ok", "mini> echo hi", cursor=(1, 13)))
    assert typed.lines == () and typed.open_line == "mini> echo hi"
    answered = feed.update(text("boot ok", "mini> echo hi", "hi", "mini>", cursor=(3, 6)))
    assert answered.lines == ("mini> echo hi", "hi") and answered.open_line == "mini> "
    scrolled = feed.update(text("mini> echo hi", "hi", "mini> echo hi", "hi", "mini>", cursor=(4, 6)))
    assert scrolled.lines == ("mini> echo hi", "hi")  # the same line again on a new row: said again
    assert scrolled.data() == b"mini> echo hi\nhi\nmini> "
    no_cursor = feed.update(text("mini> echo hi", "hi", "mini> echo hi", "hi", "mini>"))
    assert no_cursor.lines == ("mini>",) and no_cursor.open_line == "mini> "  # the last row is both


class Screen:
    """A mini-efi-like console drawn frame by frame, read and fed like the runner does."""

    def __init__(self, spec, cursor=True):
        self.canvas = Canvas(640, 400, known_fonts()[0])
        self.draws_cursor = cursor
        self.row = 0
        self.reader, self.feed = ScreenReader(), ScreenFeed()
        self.m = BootMatcher(spec, marker="M")
        self.t = 0.0

    def say(self, line, colour=GREY):
        self.canvas.text(self.row, 0, line, colour)
        self.row += 1

    def prompt(self, typed=""):
        self.canvas.text(self.row, 0, "mini> ", GREEN)
        self.canvas.text(self.row, 6, typed + " ", GREY)
        if self.draws_cursor:
            self.canvas.cursor(self.row, 6 + len(typed), 2)

    def frame(self):
        self.t += 0.1
        lines = self.feed.update(self.reader.read(self.canvas.pixels))
        names = [h.name for h in self.m.feed("screen", lines.data(), self.t)]
        self.m.poll(self.t)
        return names

    def sends(self):
        out = self.m.conversation.take_sends()
        for s in out:
            self.m.conversation.sent(s, self.t)
        return [s.text for s in out]


@pytest.mark.parametrize("cursor", [True, False], ids=["cursor", "no-cursor"])
def test_a_conversation_on_the_screen_passes_and_fails_by_its_steps(tmp_path, cursor):
    p = tmp_path / "s.yaml"
    p.write_text(SPEC)
    screen = Screen(load_spec(p), cursor)
    screen.say("mini-efi screen console", WHITE)
    assert screen.frame() == ["console"]
    assert screen.sends() == []  # no prompt on the screen yet
    screen.prompt()
    screen.frame()
    assert screen.sends() == ["echo Hello, World!<enter>"]
    for n in range(1, len("echo Hello, World!") + 1):  # typed key by key, a frame in between
        screen.prompt("echo Hello, World!"[:n])
        assert screen.frame() == []
    screen.canvas.text(screen.row, 24, " ")  # the cursor moves to the next line
    screen.row += 1
    screen.say("Hello, World!")
    screen.prompt()
    assert screen.frame() == ["hello"]
    assert screen.sends() == ["frobnicate<enter>"]
    screen.prompt("frobnicate")
    screen.canvas.text(screen.row, 16, " ")
    screen.row += 1
    screen.say("unknown command: frobnicate")
    screen.prompt()
    screen.frame()
    outcome = screen.m.decided
    assert outcome.verdict is Verdict.FAIL and "bogus" in outcome.reason and "unknown command" in outcome.reason


def test_a_board_skips_and_lists_screen_milestones_and_keyboard_steps(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(SPEC.replace("fatal:\n", "  - {name: input, channel: serial, regex: '^input: '}\nfatal:\n"))
    view, skipped = board_view(load_spec(p))
    assert skipped == ["console", "hello", "bogus"]  # the screen milestone, the keyboard steps
    assert [m.name for m in view.milestones] == ["input"]
    assert [s.name for s in view.fatal] == ["panic"]  # the screen's own panic signature is dropped


def test_a_qmp_error_while_typing_is_the_labs_fault_never_the_kernels():
    """QEMU itself cannot be made to refuse a key event on purpose; its QMP socket's far end
    answers as QEMU does when it refuses one."""
    ours, qemus = socket.socketpair()
    with ours, qemus:
        qemus.sendall(b'{"error": {"class": "GenericError", "desc": "Invalid parameter \'shift\'"}}\n')
        keyboard = QmpKeyboard(lambda: QmpClient(ours))
        with pytest.raises(InputError) as refused:
            keyboard.send(("A",))
        assert refused.value.culprit is Culprit.LAB and "Invalid parameter" in refused.value.reason
        assert json.loads(qemus.recv(4096).split(b"\n")[0])["execute"] == "input-send-event"
    with pytest.raises(InputError, match="no QMP connection"):
        QmpKeyboard(lambda: None).send(("a",))


def test_the_screen_is_wanted_while_a_screen_milestone_or_step_waits(tmp_path, mini_spec):
    p = tmp_path / "s.yaml"
    p.write_text(SPEC.replace("milestones:\n", "milestones:\n  - {name: boot, channel: serial, regex: '^boot'}\n"))
    screen = Screen(load_spec(p))
    assert not screen_wanted(screen.m)  # a serial milestone is next
    screen.m.feed("serial", b"boot\n", 0.1)
    assert screen_wanted(screen.m)
    assert not screen_wanted(BootMatcher(mini_spec))


def test_on_a_screen_an_answer_that_names_the_command_is_not_its_echo():
    echo = EchoFilter("fault\n", "rustux$ ", redrawn=True)
    assert echo.peek("rustux$ ") == "" and echo.peek("rustux$ fau") == ""  # the old prompt, keys being drawn
    assert echo.line("rustux$ fault") == ""
    answer = "[rustux] fault: pid 11 (fault) killed: vector 14 (#PF)"
    assert echo.line(answer) == answer
    assert echo.peek("rustux$ ") == "rustux$ "  # the prompt again, after the echo: the command finished
