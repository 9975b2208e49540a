"""The screen read while the kernel scrolls it: every line fed is a line the kernel wrote, in order.

A screendump races the guest's drawing: QEMU copies the framebuffer while the kernel's memmove
that scrolls it is half done, so a frame may show the rows above moved and the rows below not
yet, or a row half drawn. Read as it is, such a frame says old lines again (a stale
`rustux$ echo hello` taken for the prompt of the next command: a false FAIL seen in CI).
`ScreenFeed.torn` holds such a frame until it holds still (workers/qemu/screen.py).

The real kernel on q35 + OVMF under TCG, commands typed over QMP, and the lab's ScreenChannel
taking a frame on every turn instead of every 0.1 s, so that many frames land mid-scroll. The
kernel mirrors its console on COM1: what the screen fed must be COM1's lines in order (a row
still being typed or drawn may come first as the start of its line)."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from bootlab_support import kernel_esp
from rustux_bootlab.lab.keys import parse_keys
from rustux_bootlab.lab.milestones import BootMatcher, load_spec
from rustux_bootlab.lab.screen.feed import ScreenFeed
from rustux_bootlab.workers.artifacts.esp import build_esp_image
from rustux_bootlab.workers.qemu import screen
from rustux_bootlab.workers.qemu.keyboard import QmpKeyboard
from rustux_bootlab.workers.qemu.qmp import QmpClient

pytestmark = [pytest.mark.qemu, pytest.mark.slow]

OVMF = Path("/usr/share/OVMF")
BOOT_S = 120.0  # OVMF and the kernel to its shell under TCG, on a loaded machine
COMMAND_S = 20.0
TORN_WANTED = 2  # frames met mid-draw before the run proves anything
COMMANDS = ("ls -lR /", "dmesg", "ps")  # 25 lines written one by one, 15 at once, 4: no two alike
MAX_COMMANDS = 80
SPEC = """name: torn
milestones:
  - {name: never, channel: screen, regex: '^never printed$', timeout: 600}
"""


class _Live:
    """What ScreenChannel needs of a boot: QMP, the matcher that wants the screen, the feed."""

    def __init__(self, out: Path, qmp: QmpClient, matcher: BootMatcher) -> None:
        self.out, self.qmp, self.matcher = out, qmp, matcher
        self.fed: list[bytes] = []
        self.events: list[str] = []
        self._t0 = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self._t0

    def feed(self, channel: str, data: bytes, t: float | None = None) -> None:
        self.fed.append(data)

    def event(self, text: str) -> None:
        self.events.append(text)


def _serial_lines(path: Path) -> list[str]:
    return [line.rstrip() for line in path.read_text(errors="replace").replace("\r", "").split("\n")]


def _where(block: list[str], serial: list[str]) -> int | None:
    """Where `block` first stands as consecutive lines of `serial`."""
    return next((i for i in range(len(serial) - len(block) + 1) if serial[i:i + len(block)] == block), None)


def _a_window(rows: tuple[str, ...], serial: list[str]) -> bool:
    """Whether the screen's rows down to the one before its last written row are consecutive
    lines of COM1 (the last row may be half typed)."""
    written = [r for r, row in enumerate(rows) if row.strip()]
    shown = [row.rstrip() for row in rows[:written[-1]]] if written else []
    return not shown or _where(shown, serial) is not None


def _out_of_order(frames: list[list[str]], serial: list[str]) -> list[str]:
    """The lines fed (`frames`: each frame's) that are not the kernel's next lines, nor the start
    of the next one (a row still being typed or drawn). The first frame's rows are where the
    screen stood in COM1's lines."""
    first = frames[0][:-1]  # its last row may be half typed
    j = _where(first, serial)
    if j is None:
        return frames[0]
    bad = []
    for line in (line for frame in frames for line in frame):
        if j < len(serial) and serial[j].startswith(line) and serial[j] != line:
            continue
        k = next((k for k in range(j, len(serial)) if serial[k] == line), None)
        if k is None:
            bad.append(line)
        else:
            j = k + 1
    return bad


def test_a_screen_read_while_the_kernel_scrolls_feeds_only_the_kernels_lines_in_order(tmp_path, monkeypatch):
    image = build_esp_image(kernel_esp(), tmp_path / "esp.img")
    shutil.copy(OVMF / "OVMF_VARS_4M.fd", tmp_path / "vars.fd")
    serial = tmp_path / "serial.log"
    qemu = subprocess.Popen(
        ["qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-m", "256", "-nodefaults", "-vga", "std",
         "-display", "none", "-no-reboot",
         "-drive", f"if=pflash,format=raw,readonly=on,file={OVMF / 'OVMF_CODE_4M.fd'}",
         "-drive", f"if=pflash,format=raw,file={tmp_path / 'vars.fd'}",
         "-drive", f"format=raw,file={image.path},snapshot=on",
         "-chardev", f"file,id=serial,path={serial}", "-serial", "chardev:serial",
         "-chardev", f"socket,id=qmp,path={tmp_path / 'qmp.sock'},server=on,wait=off",
         "-mon", "chardev=qmp,mode=control"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    qmp = None
    try:
        deadline = time.monotonic() + BOOT_S
        while not (tmp_path / "qmp.sock").exists():
            assert time.monotonic() < deadline and qemu.poll() is None, "QEMU did not open its QMP socket"
            time.sleep(0.05)
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(str(tmp_path / "qmp.sock"))
        qmp = QmpClient(sock)
        qmp.handshake()
        while "rustux$ " not in serial.read_text(errors="replace"):
            assert time.monotonic() < deadline and qemu.poll() is None, "the kernel's shell did not come up"
            time.sleep(0.1)

        (tmp_path / "spec.yaml").write_text(SPEC)
        live = _Live(tmp_path, qmp, BootMatcher(load_spec(tmp_path / "spec.yaml")))
        monkeypatch.setattr(screen, "FAST_S", 0.0)  # a frame on every turn: many land mid-scroll
        monkeypatch.setattr(screen, "SLOW_S", 0.0)
        # Frames the reader saw that are not a window of COM1's lines: taken mid-draw, by the
        # kernel's own account, whatever ScreenFeed.torn makes of them.
        torn: set[tuple[str, ...]] = set()
        judged = ScreenFeed.torn

        def watched(feed: ScreenFeed, text) -> bool:
            if not _a_window(text.lines, _serial_lines(serial)):
                torn.add(text.lines)
            return judged(feed, text)

        monkeypatch.setattr(ScreenFeed, "torn", watched)
        channel = screen.ScreenChannel()
        keyboard = QmpKeyboard(lambda: qmp)
        for n in range(MAX_COMMANDS):
            if len(torn) >= TORN_WANTED:
                break
            prompts, read = serial.read_text(errors="replace").count("rustux$ "), len(live.fed)
            keyboard.send(parse_keys(f"{COMMANDS[n % len(COMMANDS)]}<enter>"))
            end = time.monotonic() + COMMAND_S
            # until COM1 shows the next prompt and the screen was read down to it
            while (serial.read_text(errors="replace").count("rustux$ ") <= prompts
                   or not live.fed[read:] or not live.fed[-1].endswith(b"rustux$ ")):
                assert time.monotonic() < end, f"no prompt read after {COMMANDS[n % len(COMMANDS)]!r}"
                channel.tick(live, live.now())
    finally:
        if qmp is not None:
            qmp.close()
        qemu.kill()
        qemu.wait()

    assert len(torn) >= TORN_WANTED, f"only {len(torn)} frames were taken mid-draw in {MAX_COMMANDS} commands"
    frames = [[line.rstrip() for line in data.decode().split("\n")[:-1] if line.strip()] for data in live.fed]
    assert _out_of_order(frames, _serial_lines(serial)) == [], live.events
    fed = [line for frame in frames for line in frame]
    assert {"/bin:", "/etc:"} <= set(fed) and any(line.strip().endswith(" ps") for line in fed), fed[-40:]

