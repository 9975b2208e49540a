"""Making a snapshot: OVMF starts the resident loader, which waits; then saved with QMP.

The machine is the warm boot's own (the same command line minus `-incoming`, so the restore
finds every device it saved): the loader as `-kernel`, which OVMF starts with no disk and no
shell, and a placeholder for the ESP the restoring QEMU will serve in fw_cfg
(workers/warm/loader.py). Once the loader says it waits for the ESP, QMP `stop`s the guest and
`migrate`s it to a file, RAM left out (x-ignore-shared: it is in the snapshot's RAM file). The flash's content travels in
the stream (QEMU keeps pflash in RAM), so the restored machine only needs a fresh VARS copy
of the same size; what the guest writes to it is dropped with the boot's work directory.
"""
from __future__ import annotations

import shlex
import shutil
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from rustux_bootlab.lab.cleaning import clean_block
from rustux_bootlab.lab.esp import sha256_file
from rustux_bootlab.lab.signatures import BUILTIN_INFRASTRUCTURE
from rustux_bootlab.lab.snapshot import Manifest, SnapshotKey
from rustux_bootlab.lab.warmlaunch import ERROR, LAUNCH, WAITING
from rustux_bootlab.workers.qemu.machine import VARS_COPY
from rustux_bootlab.workers.capture import Streams
from rustux_bootlab.workers.qemu.command import CONSOLES, QMP
from rustux_bootlab.workers.qemu.process import QemuProcess, QemuStartError
from rustux_bootlab.workers.qemu.qmp import QmpClient, QmpError
from rustux_bootlab.workers.warm.store import CREATION_LOG, STREAM, Snapshot, SnapshotStore
from rustux_bootlab.workers.warm.loader import IGNORE_SHARED, PLACEHOLDER, PLACEHOLDER_BYTES, RAM_FILE
from rustux_bootlab.workers.workdir import workdir

# The lab's signatures of a QEMU that cannot run the firmware at all (a KVM internal error).
HOST_SIGNATURES = tuple(s for s in BUILTIN_INFRASTRUCTURE if "qemu" in s.channels)
CREATE_TIMEOUT_S = 90.0  # OVMF starts the loader in ~3 s under TCG on an idle host


class SnapshotCreateError(Exception):
    """The snapshot could not be made: says why (the boot then runs cold)."""


def ensure_snapshot(store: SnapshotStore, key: SnapshotKey, command: Callable[[Path], list[str]],
                    vars_template: Path | None, timeout_s: float = CREATE_TIMEOUT_S) -> tuple[Snapshot, bool]:
    """The snapshot for `key`, made now if there is none; True if this call made it.

    `command(work)` is the warm machine's QEMU command line for a work directory holding the
    console sockets `<name>.sock`, `qmp.sock` and, for pflash, `vars.fd`."""
    with store.creating(key) as staging:
        found, _ = store.lookup(key)  # another boot may have made it while we waited
        if found is not None:
            return found, False
        started = time.monotonic()
        _make(staging, command, vars_template, timeout_s)
        stream = staging / STREAM
        manifest = Manifest(
            key=key, digest=key.digest, sha256=sha256_file(stream), size=stream.stat().st_size,
            created=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            creation_s=time.monotonic() - started, launch=LAUNCH,
        )
        return store.commit(staging, manifest), True


def _make(staging: Path, command: Callable[[Path], list[str]], vars_template: Path | None, timeout_s: float) -> None:
    with workdir("snap") as work:
        if vars_template is not None:
            shutil.copyfile(vars_template, work / VARS_COPY)
        (work / PLACEHOLDER).write_bytes(PLACEHOLDER_BYTES)
        # The command names the work dir (masked in the key); QEMU would spin on a dangling link, so the file exists.
        (staging / RAM_FILE).touch()
        (work / RAM_FILE).symlink_to(staging / RAM_FILE)
        streams = Streams()
        qmp: list[QmpClient] = []
        qemu = QemuProcess(command(work))
        log = bytearray()
        try:
            for name in CONSOLES:
                streams.listen(name, work / f"{name}.sock")
            streams.listen(QMP, work / f"{QMP}.sock", on_accept=lambda conn: qmp.append(QmpClient(conn)))
            try:
                qemu.start()
            except QemuStartError as exc:
                raise SnapshotCreateError(str(exc)) from exc
            deadline = time.monotonic() + timeout_s
            _to_loader(qemu, streams, log, deadline, timeout_s)
            if not qmp:
                raise SnapshotCreateError("QEMU never connected its QMP socket")
            _save(qmp[0], qemu, staging / STREAM, deadline)
        finally:
            (staging / CREATION_LOG).write_bytes(bytes(log))
            qemu.stop(grace=0)  # the stream and the flash are complete: nothing to shut down cleanly
            for client in qmp:
                client.close()
            streams.close()


def _to_loader(qemu: QemuProcess, streams: Streams, log: bytearray, deadline: float, timeout_s: float) -> None:
    """Serial until the loader says it waits for the ESP."""
    said = b""  # QEMU's own output (the `qemu` channel)
    while True:
        text = clean_block(bytes(log))
        if WAITING in text:
            return
        if ERROR in text:
            raise SnapshotCreateError(f"the resident loader failed before the snapshot: "
                                      f"{text[text.index(ERROR):].splitlines()[0]}")
        if time.monotonic() >= deadline:
            tail = clean_block(bytes(log[-300:])).strip().splitlines()
            raise SnapshotCreateError(f"the resident loader did not say it waits on COM1 within {timeout_s:g}s "
                                      f"(last: {tail[-1] if tail else 'nothing'!r}): this firmware cannot be snapshotted")
        running = qemu.running()
        said += _read_output(qemu)
        if not running:
            tail = said.decode("utf-8", "replace").strip().splitlines()
            raise SnapshotCreateError(f"QEMU exited with status {qemu.poll()} before the loader waited: "
                                      f"{tail[-1] if tail else 'no output'}")
        broken = next((sig for sig in HOST_SIGNATURES if sig.regex.search(said.decode("utf-8", "replace"))), None)
        if broken is not None:  # QEMU stays up after a KVM internal error: waiting for the loader is waiting for nothing
            raise SnapshotCreateError(f"QEMU said {broken.name} before the loader waited: {broken.hint}")
        for channel, data in streams.wait(0.05):
            if channel == "serial":
                log += data


def _save(qmp: QmpClient, qemu: QemuProcess, stream: Path, deadline: float) -> None:
    try:
        qmp.handshake(timeout=5.0)
        qmp.execute("stop")
        qmp.execute("migrate-set-capabilities", IGNORE_SHARED)  # the RAM stays in its file (workers/warm/loader.py)
        qmp.execute("migrate", {"uri": f"exec:cat > {shlex.quote(str(stream))}"})
        while time.monotonic() < deadline:
            status = qmp.execute("query-migrate").get("status")
            if status == "completed":
                return
            if status in ("failed", "cancelled"):
                raise SnapshotCreateError(f"QMP migrate to {stream} {status}")
            time.sleep(0.01)
    except QmpError as exc:
        raise SnapshotCreateError(f"saving the firmware failed: {exc}") from exc
    raise SnapshotCreateError(f"QMP migrate to {stream} did not finish in time")


def _read_output(qemu: QemuProcess) -> bytes:
    try:
        return qemu.output.read() or b""  # non-blocking: None when nothing is there
    except (OSError, ValueError):
        return b""
