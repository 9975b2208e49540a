"""Launching the boot file from a restored firmware shell: the dialogue on COM1.

After a restore the UEFI shell sits at its prompt and the ESP has just been plugged in as a
USB stick. The shell is told `map -r` (it rescans and should now list FS0:, the stick), then
the boot file's short name: the snapshot's recipe set the shell's `path` to
`fs0:\\efi\\boot\\`, so `bootx64` runs FS0:\\EFI\\BOOT\\BOOTX64.EFI (7 characters instead of
25: the shell echoes every key, ~10 ms each under TCG). The boot file is then launched from
the stick, so the files beside it (an initrd) are on its own device.

The dialogue decides only whether the *lab* managed to launch the image: a shell that never
answers, a stick that never shows up, or a shell that refuses the command (its error, or its
prompt again) is a warm-lane failure (the boot falls back to cold), never the kernel's fault.
The image has run once it writes to the debug console (which the shell never does); until
then a prompt means the launch failed, however late it comes: no clock decides it, so a
slow host cannot turn a refusal into a kernel verdict. Everything else is judged as cold.
On a machine without a debug console (arm64 `virt`: `serial_only`) the image speaks on the
shell's own UART: it has run once a whole line follows the echoed command that is neither a
refusal nor the prompt (the shell prints nothing else when it starts an application).
Pure: bytes in, bytes to type and a state out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

from lab.cleaning import clean_block

PROMPT = "Shell> "
SHELL_PATH = "fs0:\\efi\\boot\\"  # set by the snapshot recipe (workers/snapshot/create.py)
LAUNCH = "bootx64"
MAP = "map -r"
# Failure detection only (the happy path never waits for them); generous for a loaded host,
# where the restored guest runs several times slower.
ANSWER_S = 15.0  # the restored shell echoes a key within ms; silence this long means it is dead
MAP_DEADLINE_S = 10.0  # the stick enumerates in ~0.3 s (idle); then give up on it
# What the shell says when it could not start the command (EDK II ShellPkg strings).
_REFUSALS = re.compile(r"is not recognized as an internal or external command|Command Error Status"
                       r"|Load Error|Not Found|Access Denied|Security Violation|Unsupported")
_BUFFER_LIMIT = 64 * 1024


class LaunchState(str, Enum):
    MAPPING = "mapping"  # `map -r` typed, waiting for the mapping table and the prompt
    LAUNCHING = "launching"  # the boot file's name typed, watching for a refusal
    LAUNCHED = "launched"  # the image wrote to the debug console: it runs
    FAILED = "failed"  # the lab could not launch the image: fall back to cold


@dataclass
class ShellLaunch:
    """The dialogue, started at `start` (s on the boot's clock) when the guest resumed."""

    start: float
    launch: str = LAUNCH
    state: LaunchState = LaunchState.MAPPING
    failure: str | None = None
    maps: int = 0
    launched_at: float | None = None
    typed_at: float | None = None  # when the launch command was typed
    serial_only: bool = False  # no debug console: the image's first line on serial says it runs
    _out: bytearray = field(default_factory=bytearray)
    _last_answer: float = 0.0

    def begin(self) -> bytes:
        """What to type first."""
        self._last_answer = self.start
        return self._type(MAP)

    def feed(self, data: bytes, t: float) -> bytes:
        """Serial bytes from the guest at `t`; returns what to type next (maybe nothing)."""
        if self.state not in (LaunchState.MAPPING, LaunchState.LAUNCHING) or not data:
            return b""
        self._last_answer = t
        self._out += data
        del self._out[:-_BUFFER_LIMIT]
        text = clean_block(bytes(self._out)).replace("\r", "")
        if self.state is LaunchState.MAPPING:
            if PROMPT not in text:
                return b""
            if "FS0:" in text:
                self.state = LaunchState.LAUNCHING
                self.typed_at = t
                return self._type(self.launch)
            if t - self.start >= MAP_DEADLINE_S:
                return self._fail(f"the firmware shell found no file system on the USB stick after {self.maps} `{MAP}`")
            return self._type(MAP)  # the stick is still enumerating: rescan
        refusal = _REFUSALS.search(text)
        if refusal or PROMPT in text:
            line = _line_at(text, refusal.start()) if refusal else "it came back to its prompt"
            return self._fail(f"the firmware shell did not launch `{self.launch}`: {line}")
        if self.serial_only and any(line.strip() for line in text.split("\n")[1:-1]):  # after the echo, whole lines
            self._launched(t)
        return b""

    def poll(self, t: float) -> None:
        """The passing of time: a shell silent too long while mapping is dead. (A silent
        image is not: once the launch is typed, silence is the image's, judged as cold.)"""
        if self.state is LaunchState.MAPPING and t - self._last_answer >= ANSWER_S:
            self._fail(f"the restored firmware did not answer on COM1 for {ANSWER_S:g}s")

    def image_spoke(self, t: float) -> None:
        """Output from the image itself (the debug console, which the shell never writes)."""
        if self.state is LaunchState.LAUNCHING:
            self._launched(t)

    @property
    def done(self) -> bool:
        return self.state in (LaunchState.LAUNCHED, LaunchState.FAILED)

    @property
    def typed(self) -> bool:
        """The launch command was typed and not refused (yet): the image may be running."""
        return self.state in (LaunchState.LAUNCHING, LaunchState.LAUNCHED)

    def _launched(self, t: float) -> None:
        self.state = LaunchState.LAUNCHED
        self.launched_at = t

    def _type(self, command: str) -> bytes:
        if command == MAP:
            self.maps += 1
        self._out.clear()
        return command.encode() + b"\r"

    def _fail(self, reason: str) -> bytes:
        self.state = LaunchState.FAILED
        self.failure = reason
        return b""


def _line_at(text: str, pos: int) -> str:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return text[start:end if end >= 0 else None].strip()
