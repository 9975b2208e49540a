"""A warm boot's start: restore the firmware from a snapshot, let the resident loader start the image.

An attachment (workers/qemu/attach.py) of an otherwise ordinary boot: QEMU starts paused
with `-incoming defer` on the snapshot's own machine (workers/warm/loader.py: the loader as
`-kernel`, no boot disk, RAM mapped privately from the snapshot's RAM file) plus the boot's
ESP image as fw_cfg's `opt/rustux/esp`; QMP turns x-ignore-shared on and reads the stream
(device state only: the RAM is the file's). Once the stream is in (and its sha256, computed while QEMU reads it, matches the manifest) the
guest resumes; the loader in it reads the ESP, mounts it as a RAM disk and starts the boot file
(lab/warmlaunch.py reads what it says). From then on the boot is judged like a cold one.
Anything that goes wrong before the start is the warm lane's failure (`failure`, with
`snapshot_bad` when the snapshot itself is to blame): the boot is ended and the caller
(workers/warm/boot.py) boots cold instead.
"""
from __future__ import annotations

import hashlib
import shlex
import threading
import time
from pathlib import Path

from rustux_bootlab.lab.snapshot import content_mismatch
from rustux_bootlab.lab.warmlaunch import LaunchState, LoaderLaunch
from rustux_bootlab.workers.qemu.attach import Attachment, LiveBoot
from rustux_bootlab.workers.qemu.qmp import QmpError
from rustux_bootlab.workers.warm.store import Snapshot
from rustux_bootlab.workers.warm.loader import IGNORE_SHARED, RAM_FILE, ram_backend, warm_devices

RESTORE_TIMEOUT_S = 30.0
POLL_S = 0.005


class WarmStart(Attachment):
    def __init__(self, snapshot: Snapshot, esp: Path, memory_mb: int, arch: str = "x86_64") -> None:
        self.snapshot = snapshot
        self.memory_mb = memory_mb
        self.arch = arch  # which build of the loader the snapshot holds
        self.esp = esp  # the boot's FAT image, served to the loader through fw_cfg
        self.failure: str | None = None
        self.snapshot_bad = False  # the failure condemns the snapshot (drop it)
        self.restored_s: float | None = None  # on the boot's clock
        self.resumed_s: float | None = None
        self.launch: LoaderLaunch | None = None
        self._sha: list[str] = []
        # Hash while QEMU reads the stream: both from the page cache, on the other core.
        self._hasher = threading.Thread(target=self._hash, daemon=True)
        self._hasher.start()

    # -- hooks ------------------------------------------------------------------------------
    def qemu_args(self, work: Path) -> tuple[str, ...]:
        return (*warm_devices(self.esp, self.arch), *ram_backend(self.snapshot.dir / RAM_FILE, self.memory_mb, shared=False),
                "-S", "-incoming", "defer")

    def started(self, live: LiveBoot) -> None:
        if live.qmp is None:  # most often QEMU exiting at once on a stream it cannot load
            return self._fail(live, "restore failed: QEMU closed QMP before the restore", snapshot_bad=True)
        try:
            live.qmp.execute("migrate-set-capabilities", IGNORE_SHARED)
            live.qmp.execute("migrate-incoming", {"uri": f"exec:cat {shlex.quote(str(self.snapshot.stream))}"})
            if not self._restore(live):
                return
            live.qmp.execute("cont")
        except QmpError as exc:
            # QEMU exits when the stream does not load ("load of migration failed"): see qemu.log.
            return self._fail(live, f"restore failed: {exc}", snapshot_bad=True)
        self.resumed_s = live.now()
        self.launch = LoaderLaunch(start=self.resumed_s)
        live.event("warm: guest resumed; the resident loader fetches the ESP through fw_cfg")

    def received(self, live: LiveBoot, channel: str, data: bytes) -> None:
        if self.launch is None or self.launch.done:
            return
        if channel == "debugcon":
            self.launch.image_spoke(live.now())
        elif channel == "serial":
            self.launch.feed(data, live.now())
        self._check(live)

    def tick(self, live: LiveBoot, t: float) -> None:
        if self.launch is not None and not self.launch.done:
            self.launch.poll(t)
            self._check(live)

    def ended(self, live: LiveBoot) -> str | None:
        return None if self.failure is None else f"warm start failed: {self.failure}"

    def problem(self) -> str | None:
        """Why this boot did not run warm, once it is over: a failure seen, or a guest never
        resumed (QEMU died before it connected QMP: `started` never ran)."""
        if self.failure is None and self.resumed_s is None:
            self.failure, self.snapshot_bad = "restore failed: QEMU exited before it connected QMP", True
        return self.failure

    # -- the record -------------------------------------------------------------------------
    def describe(self) -> dict[str, object]:
        return {
            "snapshot": self.snapshot.describe(),
            "restored_s": _rounded(self.restored_s),
            "resumed_s": _rounded(self.resumed_s),
            "started_s": _rounded(self.launch.started_at if self.launch else None),  # the loader started the image
            "launched_s": _rounded(self.launch.launched_at if self.launch else None),  # None: the image never wrote to the debug console
        }

    # -- steps ------------------------------------------------------------------------------
    def _restore(self, live: LiveBoot) -> bool:
        assert live.qmp is not None
        deadline = time.monotonic() + RESTORE_TIMEOUT_S
        while True:
            status = live.qmp.execute("query-migrate").get("status")
            if status == "completed":
                break
            if status in ("failed", "cancelled"):
                self._fail(live, f"restore failed: migration {status}", snapshot_bad=True)
                return False
            if time.monotonic() >= deadline:
                self._fail(live, f"restore did not finish within {RESTORE_TIMEOUT_S:g}s", snapshot_bad=False)
                return False
            time.sleep(POLL_S)
        self.restored_s = live.now()
        live.event(f"warm: snapshot {self.snapshot.manifest.digest} restored")
        self._hasher.join()
        problem = content_mismatch(self.snapshot.manifest, self._sha[0] if self._sha else "unreadable")
        if problem is not None:
            self._fail(live, problem, snapshot_bad=True)
            return False
        return True

    def _check(self, live: LiveBoot) -> None:
        assert self.launch is not None
        if self.launch.state is LaunchState.FAILED:
            self._fail(live, self.launch.failure or "launch failed", snapshot_bad=self.launch.blames_snapshot)
        elif self.launch.state is LaunchState.LAUNCHED:
            live.event("warm: the resident loader started the boot file from the ESP in fw_cfg")

    def _fail(self, live: LiveBoot, reason: str, snapshot_bad: bool) -> None:
        self.failure = reason
        self.snapshot_bad = snapshot_bad
        live.event(f"warm: {reason}: ending this boot, it runs cold instead")

    def _hash(self) -> None:
        digest = hashlib.sha256()
        try:
            with self.snapshot.stream.open("rb") as f:
                while chunk := f.read(4 << 20):
                    digest.update(chunk)
        except OSError:
            return
        self._sha.append(digest.hexdigest())


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
