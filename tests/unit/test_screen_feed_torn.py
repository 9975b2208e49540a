"""Frames taken mid-draw: `ScreenFeed.torn` and the screen channel that holds them.

A screendump races the guest: the frame may show a scroll half done (rows above moved, rows
below not yet), rows moved but not yet blanked, a cell half drawn. Such a frame is not read
until it holds still; a console's next frame (a scroll with new rows, keys typed in place, a
line added below) is read at once. The real race, on the real kernel, is
tests/integration/test_screen_torn.py; here each shape is drawn, the way the kernel does.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from rustux_bootlab.lab.milestones import BootMatcher, load_spec
from rustux_bootlab.lab.screen.feed import ScreenFeed
from rustux_bootlab.lab.screen.reader import ScreenText, known_fonts
from rustux_bootlab.lab.screen.render import Canvas
from rustux_bootlab.workers.qemu import screen

REPLACEMENT = "\ufffd"
BEFORE = ("[sh] ready", "rustux$ echo hello", "hello", "rustux$ echo M$?", "M0", "rustux$ ls /bin")


def text(*rows: str, cursor: tuple[int, int] | None = None) -> ScreenText:
    return ScreenText(tuple(rows), None, 0, cursor)


def after(feed: ScreenFeed, first: ScreenText, then: ScreenText) -> bool:
    feed.update(first)
    return feed.torn(then)


# (name, the frame read before, the frame now, torn?)
CASES = [
    ("a key typed at the prompt", BEFORE, BEFORE[:-1] + ("rustux$ ls /bin/",), False),
    ("a scroll by two with the answer", BEFORE, BEFORE[2:] + ("burn", "cat"), False),
    ("lines added below, the screen not full", ("boot", "rustux$ ls", "", "", "", ""),
     ("boot", "rustux$ ls", "burn", "cat", "rustux$", ""), False),
    ("the same lines again, a scroll later", BEFORE, BEFORE[2:] + BEFORE[3:5], False),
    ("a command run at the last row's prompt, the next prompt on that row", BEFORE[:-1] + ("rustux$",),
     BEFORE[2:5] + ("rustux$ echo hi", "hi", "rustux$"), False),
    ("rows above moved, rows below not yet (CI's stale prompt)", BEFORE, BEFORE[2:4] + BEFORE[2:], True),
    ("rows above not yet moved, rows below moved", BEFORE, BEFORE[:3] + BEFORE[5:] + ("burn", "cat"), True),
    ("moved, the last row not yet blanked", BEFORE, BEFORE[1:] + BEFORE[-1:], True),
    ("lines drawn since the last frame read, the last one doubled by a scroll not yet blanked", BEFORE,
     BEFORE[3:] + ("burn", "cat", "cat"), True),
    ("lines drawn since the last frame read, one doubled at the edge of a scroll's copy", BEFORE,
     BEFORE[4:] + ("burn", "burn", "cat", "dmesg"), True),
    ("the same, two rows moved and one blanked behind them", ("a", "b", "c", "d", "e", "f", "g", "$ ls"),
     ("e", "f", "g", "$ ls", "x", "y", "", "y"), True),
    ("a line printed twice at the bottom looks the same (read once it holds still)", BEFORE,
     BEFORE[2:] + ("cat", "cat"), True),
    ("a cell half drawn in a new row", BEFORE, BEFORE[2:] + ("b" + REPLACEMENT + "rn", "cat"), True),
    ("a cell half drawn where the scroll copies", BEFORE, ("rustux$ e" + REPLACEMENT + "ho hello",) + BEFORE[2:] + ("burn",), True),
    ("a cleared screen redrawn (a menu)", BEFORE, ("Boot Manager", "", "> Rustux", "  EFI shell", "", ""), True),
]


@pytest.mark.parametrize("before, now, torn", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_frame_is_torn_unless_it_follows_from_the_last_one_read(before, now, torn):
    assert after(ScreenFeed(), text(*before), text(*now)) is torn


def test_the_first_frame_may_be_torn_and_a_cursor_row_may_change():
    feed = ScreenFeed()
    assert feed.torn(text("boot ok", "mini>", cursor=(1, 6)))
    assert not after(feed, text("boot ok", "mini>", cursor=(1, 6)), text("boot ok", "mini> ec", cursor=(1, 8)))
    assert feed.torn(text("mini> ec", "boot ok", cursor=(0, 8)))  # the row above the cursor moved down


# -- the channel ---------------------------------------------------------------------------

SPEC = "name: torn\nmilestones:\n  - {name: never, channel: screen, regex: '^never printed$', timeout: 600}\n"


class _Qmp:
    closed = False

    def __init__(self) -> None:
        self.canvas: Canvas | None = None
        self.dumps = 0

    def execute(self, command: str, arguments: dict, timeout: float = 10.0) -> dict:
        assert command == "screendump" and self.canvas is not None
        height, width, _ = self.canvas.pixels.shape
        Path(arguments["filename"]).write_bytes(b"P6\n%d %d\n255\n" % (width, height) + self.canvas.pixels.tobytes())
        self.dumps += 1
        return {}


class _Live:
    def __init__(self, out: Path) -> None:
        (out / "spec.yaml").write_text(SPEC)
        self.out, self.qmp, self.matcher = out, _Qmp(), BootMatcher(load_spec(out / "spec.yaml"))
        self.t = 0.0
        self.fed: list[str] = []
        self.events: list[str] = []

    def now(self) -> float:
        return self.t

    def feed(self, channel: str, data: bytes, t: float | None = None) -> None:
        self.fed += data.decode().split("\n")[:-1]

    def event(self, text: str) -> None:
        self.events.append(text)

    def show(self, canvas: Canvas) -> None:
        self.qmp.canvas = canvas

    def tick(self, channel: screen.ScreenChannel, t: float) -> None:
        self.t = t
        channel.tick(self, t)


def console(*rows: str) -> Canvas:
    canvas = Canvas(320, 112, known_fonts()[0])  # 40x7 cells of the kernel's font
    for row, line in enumerate(rows):
        canvas.text(row, 0, line)
    return canvas


def scroll_caught(before: Canvas, done: Canvas, at_y: int) -> Canvas:
    """`done` over the rows the scroll copied, `before` from `at_y` down: a memmove half done."""
    torn = console()
    torn.pixels[:] = done.pixels
    torn.tear(before, at_y)
    return torn


def test_a_frame_caught_mid_scroll_is_never_read_and_the_next_one_is(tmp_path):
    live, channel = _Live(tmp_path), screen.ScreenChannel()
    first = console(*BEFORE)
    live.show(first)
    live.tick(channel, 0.0)
    assert live.fed == []  # the first frame waits to hold still
    live.tick(channel, screen.STILL_S)
    assert live.fed == list(BEFORE)
    done = console(*BEFORE[2:], "burn", "cat")
    live.show(scroll_caught(first, done, at_y=37))  # through the third row's cells
    live.tick(channel, 0.2)
    assert live.fed == list(BEFORE)  # nothing said from the torn frame
    live.show(done)
    live.tick(channel, 0.2 + screen.STILL_S)
    assert live.fed == [*BEFORE, "burn", "cat"]
    assert live.events == []


def test_a_redraw_is_read_once_it_holds_still(tmp_path):
    live, channel = _Live(tmp_path), screen.ScreenChannel()
    live.show(console(*BEFORE))
    live.tick(channel, 0.0)
    live.tick(channel, screen.STILL_S)
    menu = ("Boot Manager", "", "> Rustux", "  EFI shell")
    live.show(console(*menu))
    live.tick(channel, 0.5)
    live.tick(channel, 0.5 + screen.STILL_S / 2)
    assert live.fed == list(BEFORE)  # not still long enough yet
    live.tick(channel, 0.5 + screen.STILL_S)
    assert live.fed == [*BEFORE, "Boot Manager", "> Rustux", "  EFI shell"]


def test_a_screen_that_never_holds_still_is_read_after_a_while_and_said_so(tmp_path):
    live, channel = _Live(tmp_path), screen.ScreenChannel()
    live.show(console(*BEFORE))
    live.tick(channel, 0.0)
    live.tick(channel, screen.STILL_S)
    n = 0
    while not live.events:
        t = 0.5 + n * screen.STILL_S
        assert t < 0.5 + 2 * screen.HOLD_MAX_S, "the moving screen was never read"
        live.show(console(f"frame {n}", *BEFORE[n % 3:n % 3 + 3]))  # never twice the same
        live.tick(channel, t)
        n += 1
    assert t - 0.5 >= screen.HOLD_MAX_S - 1e-9
    assert live.events == [f"screen: the screen did not hold still for {screen.HOLD_MAX_S:g}s: read a frame that may be torn"]
    assert live.fed[len(BEFORE):] == [f"frame {n - 1}", *BEFORE[(n - 1) % 3:(n - 1) % 3 + 3]]
