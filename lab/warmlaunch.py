"""Starting the boot file in a restored firmware: what the resident loader says on COM1.

The snapshot holds our loader (loader/) polling fw_cfg for `opt/rustux/esp`, which only the
restoring QEMU serves (fw_cfg contents are not migrated). Restored, it reads the boot's ESP
with one DMA access into a RAM disk the firmware's FAT driver mounts, loads
`\\EFI\\BOOT\\BOOTX64.EFI` from it, says `rustux-loader: starting` and starts it; when it
cannot, it says `rustux-loader: error: ...` and stays.

The launch decides only whether the *lab* managed to start the image: a loader error before it
started the image, or no word from it within STARTED_S of the resume, is a warm-lane failure
(the boot falls back to cold), never the kernel's fault. Once the loader said it starts the
image, what follows (silence, an image that returns) is the image's, judged as cold. The image
has also run once it writes to the debug console (which the firmware and the loader never do).
Pure: bytes in, a state out.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from rustux_bootlab.lab.cleaning import clean_block

WAITING = "rustux-loader: waiting for opt/rustux/esp"  # the snapshot is taken once this is said
STARTING = "rustux-loader: starting"
ERROR = "rustux-loader: error: "
LAUNCH = "rustux-loader"  # the manifest's `launch`: how a snapshot starts its boots
# Failure detection only (the happy path never waits for it): the loader starts the image
# within ~10 ms of the resume; generous for a loaded host, where the guest runs slower.
STARTED_S = 15.0
_BUFFER_LIMIT = 64 * 1024
_SILENT = "the resident loader did not start the image"


class LaunchState(str, Enum):
    LOADING = "loading"  # resumed: the loader fetches the ESP and loads the boot file
    STARTED = "started"  # the loader said it starts the image: from here on it is the image's
    LAUNCHED = "launched"  # the image wrote to the debug console: it runs
    FAILED = "failed"  # the lab could not start the image: fall back to cold


@dataclass
class LoaderLaunch:
    """The launch, from `start` (s on the boot's clock) when the guest resumed."""

    start: float
    state: LaunchState = LaunchState.LOADING
    failure: str | None = None
    started_at: float | None = None  # the loader said it starts the image
    launched_at: float | None = None  # the image spoke on the debug console
    _out: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes, t: float) -> None:
        """Serial bytes from the guest at `t`."""
        if self.state is not LaunchState.LOADING or not data:
            return
        self._out += data
        del self._out[:-_BUFFER_LIMIT]
        text = clean_block(bytes(self._out)).replace("\r", "")
        if STARTING in text:
            self.state, self.started_at = LaunchState.STARTED, t
        elif ERROR in text and "\n" in text[text.index(ERROR):]:
            line = text[text.index(ERROR):].split("\n", 1)[0]
            self._fail(f"the resident loader could not start the image: {line.removeprefix(ERROR)}")

    def poll(self, t: float) -> None:
        """The passing of time: a loader silent too long after the resume is the lab's failure."""
        if self.state is LaunchState.LOADING and t - self.start >= STARTED_S:
            self._fail(f"{_SILENT} within {STARTED_S:g}s of the resume")

    def image_spoke(self, t: float) -> None:
        """Output from the image itself (the debug console)."""
        if self.state in (LaunchState.LOADING, LaunchState.STARTED):
            self.started_at = self.started_at if self.started_at is not None else t
            self.state, self.launched_at = LaunchState.LAUNCHED, t

    @property
    def blames_snapshot(self) -> bool:
        """A loader that never said a word after the resume: the restored machine is suspect."""
        return self.state is LaunchState.FAILED and self.failure is not None and self.failure.startswith(_SILENT)

    @property
    def done(self) -> bool:
        return self.state in (LaunchState.LAUNCHED, LaunchState.FAILED)

    def _fail(self, reason: str) -> None:
        self.state, self.failure = LaunchState.FAILED, reason
