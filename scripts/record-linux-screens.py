#!/usr/bin/env python3
"""Record real screens of Linux's framebuffer console in the fonts built into Debian's Linux.

Boots Debian's Linux 6.1 (`-kernel`, OVMF on q35 under TCG, efifb at 1280x800) with a
busybox initramfs whose shell listens on COM1. Per screen: the console font is chosen by
`fbcon=font:` (VGA8x16 or TER16x32, the two Debian builds in), tty1 is cleared and real
commands' output is written there; the same bytes come back on COM1, which is the screen's
true text. The screen is dumped over QMP into tests/fixtures/screens/linux-*.png with its
.txt. (busybox's `loadfont` hung loading Debian's PSF files here: those screens are not
recorded yet.)

Needs (not the lab's dependencies: run by hand, about 30 s per boot):
  apt-get download linux-image-6.1.0-57-amd64 busybox-static
  dpkg-deb -x linux-image-*.deb K; dpkg-deb -x busybox-static_*.deb B
Usage: .venv/bin/python scripts/record-linux-screens.py K/boot/vmlinuz-* B/bin/busybox
"""
from __future__ import annotations

import importlib.util
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rustux_bootlab.workers.qemu.png import encode_png  # noqa: E402

# The QEMU guest of scripts/learn-ovmf-font.py (a file name with dashes: loaded by path).
_spec = importlib.util.spec_from_file_location("learn_ovmf_font", Path(__file__).with_name("learn-ovmf-font.py"))
assert _spec is not None and _spec.loader is not None
learn_ovmf_font = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(learn_ovmf_font)

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "fixtures" / "screens"
INIT = """#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
echo 0 > /sys/class/graphics/fbcon/cursor_blink
printf '\\033[?25l' > /dev/tty1
exec setsid sh -c 'while read -r line; do eval "$line"; done </dev/ttyS0 >/dev/ttyS0 2>&1'
"""
# The text of each screen: real commands' output (truth: the same bytes on COM1).
COMMANDS = "uname -s -m; echo 'Type \"help\" for available commands.'; echo 'ExitBootServices OK'; " \
           "busybox | sed -n 2,3p | cut -c1-60; ls -a / | head -8 | tr '\\n' ' '; echo; " \
           "echo 'fonts:'; echo '~!@#$%^&*()_+{}|:<>?`-=[]\\\\;,./'"
# name -> (kernel command line font, box drawing, cursor type: Linux's `ESC [ ? N c`)
SCREENS = {
    "linux-vga8x16": ("VGA8x16", True, None),
    "linux-ter16x32": ("TER16x32", True, None),
    "linux-vga8x16-prompt": ("VGA8x16", False, "4"),  # a prompt with a lower-half cursor after it
}
BOX = "printf '┌────┐\\n│ ok │\\n└────┘\\n'"


def cpio(files: dict[str, tuple[int, bytes]]) -> bytes:
    """A newc archive (the initramfs format): name -> (mode, contents)."""
    out = bytearray()
    for ino, (name, (mode, data)) in enumerate([*files.items(), ("TRAILER!!!", (0, b""))], 1):
        encoded = name.encode() + b"\0"
        fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(encoded), 0]
        out += b"070701" + "".join(f"{v:08x}" for v in fields).encode() + encoded
        out += bytes(-len(out) % 4)
        out += data + bytes(-len(data) % 4)
    return bytes(out)


class Linux(learn_ovmf_font.Guest):
    def __init__(self, work: Path, kernel: Path, initrd: Path, font: str) -> None:
        super().__init__(work, ["-kernel", str(kernel), "-initrd", str(initrd), "-append",
                                f"console=ttyS0 quiet loglevel=0 fbcon=font:{font} vt.global_cursor_default=0"], 512)

    def run(self, command: str, seconds: float = 90, again_s: float | None = None) -> str:
        """`command`'s output, from COM1 between two markers; sent again every `again_s`
        (bytes that reach COM1 before the shell opens it are lost)."""
        marker = f"M{time.monotonic_ns()}"
        line = f"echo {marker}A; {command}; echo {marker}B\n".encode()
        self.serial.sendall(line)
        end = time.monotonic() + seconds
        resend = time.monotonic() + (again_s or seconds)
        begin, finish = f"\n{marker}A\r\n".encode(), f"{marker}B\r\n".encode()  # finish: after begin
        while begin not in self.seen or finish not in self.seen.split(begin, 1)[1]:
            if time.monotonic() > end:
                raise SystemExit(f"no answer to {command!r} on COM1 within {seconds}s: {self.seen[-300:]!r}")
            if time.monotonic() > resend:
                self.serial.sendall(line)
                resend = time.monotonic() + (again_s or seconds)
            try:
                self.seen += self.serial.recv(65536)
            except TimeoutError:
                pass
        out = self.seen.split(begin, 1)[1].split(finish, 1)[0]
        self.seen = b""
        return out.decode().replace("\r\n", "\n").strip("\n")


def record(name: str, kernel: Path, busybox: Path) -> None:
    font, box, cursor = SCREENS[name]
    files = {"init": (0o100755, INIT.encode()), "bin": (0o40755, b""), "bin/busybox": (0o100755, busybox.read_bytes()),
             "proc": (0o40755, b""), "sys": (0o40755, b""), "dev": (0o40755, b""), "tmp": (0o40755, b"")}
    with tempfile.TemporaryDirectory(prefix="linux-screens-") as tmp:
        work = Path(tmp)
        (work / "initrd").write_bytes(cpio(files))
        linux = Linux(work, kernel, work / "initrd", font)
        try:
            linux.run("true", 120, again_s=2.0)  # the shell is up
            commands = COMMANDS + (f"; {BOX}" if box else "")
            text = linux.run(f"({commands}) > /tmp/out 2>&1; printf '\\033[H\\033[2J' > /dev/tty1; "
                             "sed 's/$/\\r/' /tmp/out > /dev/tty1; cat /tmp/out")
            truth = [line.rstrip(" ") for line in text.split("\n")]
            if cursor:
                linux.run(f"printf '~ # \\033[?25h\\033[?{cursor}c' > /dev/tty1")
                truth.append("~ # \ufffd")  # the cursor hides half the cell: no glyph is drawn so
            time.sleep(1.0)  # fbcon draws from a work queue: let it finish
            frame = linux.screen()
        finally:
            linux.quit()
    height, width, _ = frame.shape
    (CORPUS / f"{name}.png").write_bytes(encode_png(width, height, frame.tobytes()))
    (CORPUS / f"{name}.txt").write_text("\n".join(truth) + "\n")
    print(f"{name}: {width}x{height}, {len(truth)} lines")


def main() -> None:
    kernel, busybox = Path(sys.argv[1]), Path(sys.argv[2])
    for name in sys.argv[3:] or SCREENS:
        record(name, kernel, busybox)


if __name__ == "__main__":
    main()
