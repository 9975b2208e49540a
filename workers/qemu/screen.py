"""The `screen` channel and the record's screenshots, by QMP screendump (an attachment).

While the boot waits for the screen (`lab.screen.wanted`: a screen milestone is next or a
step is answered there) a frame is taken every `FAST_S`, slowing down to `SLOW_S` while it
stays the same; an unchanged frame (same hash) is not read again. A changed one is read
(`lab.screen.reader`) and its new lines fed as channel `screen`, on the boot's clock at
the frame, if it follows from the last frame read (`ScreenFeed.torn`: a screendump races
the guest's drawing, and a frame taken mid-scroll would say old lines again); one that may
be torn is taken again after `STILL_S` and read once it held still that long, or, if the
screen never holds still, after `HOLD_MAX_S`, the timeline saying so. Otherwise a frame is
taken every `IDLE_S` and only hashed and kept: the last frame of a guest that ends QEMU
itself (debug-exit, faster than the runner can ask) still reaches the record, at most
`IDLE_S` old. (A screendump holds the runner's loop for tens of ms, more on a loaded host:
that is the price, about 1% of the loop's time.)

The record keeps `screen.png`, the last frame: taken when the boot is decided (on the
deciding line, before the runner quits QEMU and before the guest's own exit can win the
race), again while QEMU is being stopped if the boot went on after the decision (a held
conversation) for more than `FRESH_S`, else the last frame taken; and `screen-<name>.png`
for each milestone or step matched on the screen, the frame it was read from, and for a
screen milestone that timed out, the last frame read.

Unreadable cells (no known font explains them; the reader knows the lab's fonts, Linux's
as Debian installs them, the spec's `screen_font` and those `bootlab screen learn-font`
taught, in $BOOTLAB_STATE/fonts): a new line that crosses some may still match what the
boot waits for on the screen (lab.screen.wildcard); the line is fed as filled, and the
timeline says so with the line as read. The last frame read while the screen was awaited
keeps its unreadable cells in `unreadable`, for the judge (lab/judge.py row 12a). The record's
PNGs are compressed fast (zlib level 1: ~10 ms for a full text screen, against ~37 ms at the
default 6, for a file ~1.7 times larger), since they are written while the verdict waits.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from rustux_bootlab.lab.conversation import StepHit
from rustux_bootlab.lab.matcher import MilestoneHit
from rustux_bootlab.lab.screen.feed import ScreenFeed, ScreenLines
from rustux_bootlab.lab.screen.unreadable import REPLACEMENT, Unreadable, unreadable
from rustux_bootlab.lab.screen.wanted import awaited_on_screen, screen_wanted
from rustux_bootlab.lab.screen.wildcard import wild_search
from rustux_bootlab.lab.spec import SCREEN
from rustux_bootlab.workers.qemu.png import PpmError, encode_png, read_ppm
from rustux_bootlab.workers.qemu.attach import Attachment, LiveBoot
from rustux_bootlab.workers.qemu.qmp import QmpError
from rustux_bootlab.workers.state import state_root

if TYPE_CHECKING:
    from rustux_bootlab.lab.screen.font import Font
    from rustux_bootlab.lab.screen.reader import ScreenReader, ScreenText

SCREEN_PNG = "screen.png"
FAST_S = 0.1  # between frames while the screen is awaited and changing
SLOW_S = 0.2  # ... and while it stays the same
STILL_S = 0.05  # a frame that may be torn is read once it is unchanged this much later
HOLD_MAX_S = 1.0  # ... or once the screen has not held still this long
IDLE_S = 2.0  # between frames kept only for screen.png
DUMP_TIMEOUT_S = 5.0
FRESH_S = 0.5  # a frame this young at QEMU's stop is the last screen: no second dump
PNG_LEVEL = 1
LEARNED_FONTS = "fonts"  # under $BOOTLAB_STATE: what `bootlab screen learn-font` taught


@dataclass(frozen=True)
class _Held:
    """A frame that may be torn, waiting to hold still."""

    hash: bytes
    since: float  # when it was first taken
    text: ScreenText
    unread_since: float  # when the first frame not read since the last one read was taken


class ScreenChannel(Attachment):
    channels = (SCREEN,)

    def __init__(self) -> None:
        self.reader: ScreenReader | None = None  # made on the first frame read, see _read
        self.feed = ScreenFeed()
        self._due = 0.0
        self._interval = FAST_S
        self._frame: bytes | None = None  # the last PPM taken
        self._frame_t = 0.0  # when it was taken (the boot's clock)
        self._hash: bytes | None = None
        self._read_hash: bytes | None = None  # the last frame read
        self._read_frame: bytes | None = None  # ... its PPM
        self._held: _Held | None = None  # a changed frame not read yet: it may be torn
        self.unreadable: Unreadable | None = None  # its unreadable cells, while the screen was awaited
        self._decided_shot = False
        self._broken = False  # screendump failed once: say so once, stop asking

    def tick(self, live: LiveBoot, t: float) -> None:
        if live.matcher.decided is not None:
            self._final(live)
            return
        if live.qmp is None or self._broken or t < self._due:
            return
        wanted = screen_wanted(live.matcher)
        if not self._take(live):
            return
        if not wanted:
            self.unreadable = None  # what a screen milestone saw is no evidence for the next one
            self._held = None
            self._due = t + IDLE_S
            return
        if self._hash == self._read_hash:
            self._held = None
            self._interval = min(self._interval * 1.5, SLOW_S)
        elif self._read(live):
            self._interval = FAST_S
        else:  # held: a torn frame is gone within milliseconds, look again soon
            assert self._held is not None
            self._due = self._held.since + STILL_S
            return
        self._due = t + self._interval

    def hit(self, live: LiveBoot, hit: MilestoneHit | StepHit) -> None:
        if hit.channel == SCREEN and self._frame is not None:
            self._save(live, f"screen-{hit.name}.png", self._frame)
        if live.matcher.decided is not None:
            self._final(live)

    def stopping(self, live: LiveBoot) -> None:
        if self._decided_shot and self._frame is not None and live.now() - self._frame_t < FRESH_S:
            return
        if self._take(live):
            self._save(live, SCREEN_PNG, self._frame)

    def finished(self, live: LiveBoot) -> None:
        if not (live.out / SCREEN_PNG).exists() and self._frame is not None:
            self._save(live, SCREEN_PNG, self._frame)

    # -- frames -------------------------------------------------------------------------
    def _final(self, live: LiveBoot) -> None:
        if not self._decided_shot:
            self._decided_shot = True
            missed = live.matcher.timeout
            if missed is not None and self.unreadable is not None and self._read_frame is not None:
                shot = f"screen-{missed.missing}.png"
                self.unreadable = replace(self.unreadable, shot=shot)
                self._save(live, shot, self._read_frame)
            if self._take(live):
                self._save(live, SCREEN_PNG, self._frame)

    def _take(self, live: LiveBoot) -> bool:
        """A screendump into `_frame`; False (and a timeline note, once) if there is none."""
        if live.qmp is None or live.qmp.closed or self._broken:
            return False
        ppm = live.out / ".screen.ppm"
        try:
            asked = live.now()
            live.qmp.execute("screendump", {"filename": str(ppm)}, timeout=DUMP_TIMEOUT_S)
            self._frame, self._frame_t = ppm.read_bytes(), asked
        except (QmpError, OSError) as exc:
            if not live.qmp.closed:  # a QEMU that just exited is not a broken screen
                self._broken = True
                live.event(f"screen: no screendump: {exc}")
            return False
        finally:
            ppm.unlink(missing_ok=True)
        self._hash = hashlib.blake2b(self._frame, digest_size=16).digest()
        return True

    def _read(self, live: LiveBoot) -> bool:
        """Read the frame taken last and feed its new lines; False if it may be torn and is held."""
        assert self._frame is not None and self._hash is not None
        held = self._held
        if held is not None and held.hash == self._hash:
            text, still = held.text, self._frame_t >= held.since + STILL_S
        else:
            try:
                width, height, rgb = read_ppm(self._frame)
            except PpmError as exc:
                self._read_hash = self._hash
                live.event(f"screen: unreadable screendump: {exc}")
                return True
            # The reader (numpy, the fonts' tables) costs ~0.1 s to import and build: only a
            # boot that waits for its screen pays it, not every boot that keeps a screen.png.
            from rustux_bootlab.lab.screen.reader import frame_from_rgb

            text, still = self._reader(live).read(frame_from_rgb(width, height, rgb)), False
        if not still and self.feed.torn(text):
            if held is None or held.hash != self._hash:
                held = self._held = _Held(self._hash, self._frame_t, text,
                                          held.unread_since if held is not None else self._frame_t)
            if self._frame_t - held.unread_since < HOLD_MAX_S:
                return False
            live.event(f"screen: the screen did not hold still for {HOLD_MAX_S:g}s: read a frame that may be torn")
        self._held = None
        self._read_hash = self._hash
        self._read_frame = self._frame
        self.unreadable = unreadable(text.lines)
        live.feed(SCREEN, self._filled(live, self.feed.update(text)).data(), self._frame_t)
        return True

    def _reader(self, live: LiveBoot) -> ScreenReader:
        from rustux_bootlab.lab.screen.reader import ScreenReader

        if self.reader is None:
            self.reader = ScreenReader(first=self._fonts(live))
        return self.reader

    def _fonts(self, live: LiveBoot) -> tuple[Font, ...]:
        """The spec's `screen_font`, then the fonts the lab learned; a font file that cannot be
        read is said on the timeline and left out (the spec checked that the file exists)."""
        paths = [Path(live.matcher.spec.screen_font)] if live.matcher.spec.screen_font else []
        paths += sorted((state_root() / LEARNED_FONTS).glob("*.glyphs"))
        from rustux_bootlab.lab.screen.font import FontError, load_font

        fonts = []
        for path in paths:
            try:
                fonts.append(load_font(path))
            except FontError as exc:
                live.event(f"screen: font not used: {exc}")
        return tuple(fonts)

    def _filled(self, live: LiveBoot, lines: ScreenLines) -> ScreenLines:
        """`lines` with each one that crosses unreadable cells filled where that makes it match
        what the boot waits for (and the timeline told)."""
        if not any(REPLACEMENT in line for line in lines.lines):
            return lines
        awaited = awaited_on_screen(live.matcher)
        out = []
        for line in lines.lines:
            found = next(((name, m) for name, regex in awaited if REPLACEMENT in line and not regex.search(line)
                          and (m := wild_search(regex, line)) is not None), None)
            if found is not None:
                live.event(f"screen: {found[0]} {found[1].describe()}")
                line = found[1].filled
            out.append(line)
        return ScreenLines(tuple(out), lines.open_line)

    def _save(self, live: LiveBoot, name: str, ppm: bytes | None) -> None:
        if ppm is None:
            return
        try:
            width, height, rgb = read_ppm(ppm)
            (live.out / name).write_bytes(encode_png(width, height, rgb, PNG_LEVEL))
        except (PpmError, OSError) as exc:
            live.event(f"screen: no {name}: {exc}")
