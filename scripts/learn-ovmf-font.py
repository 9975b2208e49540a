#!/usr/bin/env python3
"""Learn EDK2's console glyphs (8x19) from real OVMF screens whose text is known.

Boots Debian's OVMF (q35, pflash, TCG) on an ESP with no boot file, so OVMF starts its
EFI shell, which draws on the GOP framebuffer what it echoes on COM1. After `cls`, each
line of LINES is typed on COM1 and the screen dumped over QMP: row 0 then reads
"Shell> " + line, at the grid EDK2 uses (text mode 100x31 centred in 1280x800: cells of
8x19 from (240,105)). Each cell's ink (pixels not of the cell's top-left colour) is the
glyph of the character typed there; a character seen twice with different ink is an
error, never averaged. Writes lab/screen/fonts/ovmf-8x19.glyphs and the screens with
their true text into tests/fixtures/screens/ (ovmf-*.png, ovmf-*.txt).
Usage (from the repository root, about 40 s): .venv/bin/python scripts/learn-ovmf-font.py
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rustux_bootlab.lab.screen.font import Font, format_glyphs  # noqa: E402
from rustux_bootlab.workers.qemu.png import encode_png, read_ppm  # noqa: E402
from rustux_bootlab.workers.qemu.qmp import QmpClient  # noqa: E402

LINES = [
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz 0123456789",
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    "The quick brown fox jumps over the lazy dog. [PS/2] v0.1 (x+y)*2 >= 10% ok",
]
PROMPT = "Shell> "
X0, Y0, CW, CH = 240, 105, 8, 19
ROOT = Path(__file__).resolve().parents[1]
FONT_OUT = ROOT / "lab" / "screen" / "fonts" / "ovmf-8x19.glyphs"
CORPUS = ROOT / "tests" / "fixtures" / "screens"
HEADER = """EDK2's GraphicsConsole glyphs (8x19), learned from Debian OVMF 2022.11 screens by
scripts/learn-ovmf-font.py: the EFI shell's prompt and typed lines of known text, each
cell's ink taken as the glyph typed there. Covers printable ASCII; other characters
read as U+FFFD."""


class Guest:
    """QEMU (q35, OVMF, TCG, 1280x800 GOP) booting `boot` (QEMU options), COM1 and QMP on sockets."""

    def __init__(self, work: Path, boot: list[str], memory_mb: int = 256) -> None:
        shutil.copyfile("/usr/share/OVMF/OVMF_VARS_4M.fd", work / "vars.fd")
        listeners = {}
        for name in ("qmp", "serial"):
            s = socket.socket(socket.AF_UNIX)
            s.bind(str(work / f"{name}.sock"))
            s.listen(1)
            listeners[name] = s
        self.qemu = subprocess.Popen([
            "qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-m", str(memory_mb), "-nodefaults",
            "-vga", "std", "-display", "none", "-no-reboot",
            "-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
            "-drive", f"if=pflash,format=raw,file={work / 'vars.fd'}", *boot,
            "-chardev", f"socket,id=serial,path={work / 'serial.sock'}", "-serial", "chardev:serial",
            "-chardev", f"socket,id=qmp,path={work / 'qmp.sock'}", "-mon", "chardev=qmp,mode=control",
        ])
        self.qmp = QmpClient(listeners["qmp"].accept()[0])
        self.serial = listeners["serial"].accept()[0]
        self.qmp.handshake()
        self.serial.settimeout(0.2)
        self.seen = b""
        self.work = work

    def read(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                self.seen += self.serial.recv(65536)
            except TimeoutError:
                pass

    def wait_for(self, text: bytes, seconds: float) -> None:
        end = time.monotonic() + seconds
        while text not in self.seen:
            if time.monotonic() > end:
                raise SystemExit(f"no {text!r} on COM1 within {seconds}s")
            self.read(0.3)

    def type(self, text: str) -> None:
        for ch in text:
            self.serial.sendall(ch.encode())
            time.sleep(0.05)
        self.read(1.5)

    def screen(self) -> np.ndarray:
        ppm = self.work / "screen.ppm"
        self.qmp.execute("screendump", {"filename": str(ppm)})
        width, height, rgb = read_ppm(ppm.read_bytes())
        return np.frombuffer(rgb, dtype=np.uint8).reshape(height, width, 3)

    def quit(self) -> None:
        self.qmp.execute("quit")
        self.qemu.wait(10)


def cell_ink(frame: np.ndarray, row: int, col: int) -> bytes:
    cell = frame[Y0 + row * CH : Y0 + (row + 1) * CH, X0 + col * CW : X0 + (col + 1) * CW]
    ink = (cell != cell[0, 0]).any(axis=2)
    return np.packbits(ink, axis=1).tobytes()


def save(name: str, frame: np.ndarray, truth: list[str]) -> None:
    height, width, _ = frame.shape
    (CORPUS / f"{name}.png").write_bytes(encode_png(width, height, frame.tobytes()))
    (CORPUS / f"{name}.txt").write_text("\n".join(truth) + "\n")


def main() -> None:
    glyphs: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="learn-ovmf-") as tmp:
        work = Path(tmp)
        (work / "esp" / "EFI" / "BOOT").mkdir(parents=True)
        guest = Guest(work, ["-drive", f"format=raw,file=fat:rw:{work / 'esp'}"])
        try:
            guest.wait_for(b"Shell>", 120)
            guest.read(1.0)
            guest.type("cls\r")
            for n, line in enumerate(LINES, 1):
                guest.type(line)
                frame = guest.screen()
                for col, char in enumerate(PROMPT + line):
                    bits = cell_ink(frame, 0, col)
                    if glyphs.setdefault(char, bits) != bits:
                        raise SystemExit(f"{char!r} drawn two ways (line {n}, column {col}): the grid assumption is wrong")
                echoed = len(PROMPT + line)
                if any(cell_ink(frame, 0, col) != bytes(CH) for col in range(echoed + 1, 100)):
                    raise SystemExit(f"line {n}: the shell drew more than was typed: check ovmf-typed-{n}.png")
                save(f"ovmf-typed-{n}", frame, [PROMPT + line])
                guest.type("\b" * len(line))
        finally:
            guest.quit()
    glyphs.pop(" ", None)
    font = Font("ovmf", CW, CH, glyphs)
    FONT_OUT.write_text(format_glyphs(font, HEADER))
    missing = [chr(c) for c in range(0x21, 0x7F) if chr(c) not in glyphs]
    print(f"{FONT_OUT.relative_to(ROOT)}: {len(glyphs)} glyphs; missing: {''.join(missing) or 'none'}")


if __name__ == "__main__":
    main()
