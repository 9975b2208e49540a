"""Reading a boot's record back from the worker into the master's memory (text logs,
screenshots), in one transfer.

One `uploadDirectory` of the record rather than a file upload per log: each remote command is a
round trip through the master (~30-50 ms quiet, more loaded), and a boot step read back eight or
more files while holding its worker's QEMU lock. Buildbot's own `getFileContentFromWorker`
decodes strictly as UTF-8; console captures are raw bytes (firmware escapes, half-written
lines), so the step decodes them itself and a stray byte does not lose the log.
"""
from __future__ import annotations

import io
import tarfile
from collections.abc import Iterable

from buildbot.worker.protocols.base import FileWriterImpl

# Large enough for a verbose firmware log, small enough that a runaway console cannot
# fill the master's memory: each file is cut there, the whole record at MAX_RECORD_BYTES.
MAX_LOG_BYTES = 8 * 1024 * 1024
MAX_RECORD_BYTES = 64 * 1024 * 1024


class _BytesWriter(FileWriterImpl):
    def __init__(self) -> None:
        self.data = bytearray()

    def remote_write(self, data) -> None:
        self.data += data.encode() if isinstance(data, str) else data

    def remote_utime(self, accessed_modified) -> None:
        pass

    def remote_unpack(self) -> None:
        pass

    def remote_close(self) -> None:
        pass


def top_files(archive: bytes, wanted: Iterable[str]) -> dict[str, bytes]:
    """The `wanted` regular files at the top of a tar archive, each cut at MAX_LOG_BYTES. An
    archive cut at MAX_RECORD_BYTES (or none at all) yields the files that came whole."""
    wanted = set(wanted)
    files: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
            for member in tar:
                name = member.name.removeprefix("./")
                body = tar.extractfile(member) if member.isfile() and name in wanted else None
                if body is not None:
                    files[name] = body.read(MAX_LOG_BYTES)
    except (tarfile.TarError, EOFError):
        pass
    return files


def read_worker_files(step, path: str, names: Iterable[str]):
    """Deferred: {name: bytes} of the `names` at the top of the worker's directory `path`,
    those present; {} when the directory is absent."""
    step.checkWorkerHasCommand("uploadDirectory")
    writer = _BytesWriter()
    args = {
        "workdir": step.workdir,
        "workersrc": path,
        "writer": writer,
        "maxsize": MAX_RECORD_BYTES,
        "blocksize": 256 * 1024,
        "compress": None,
    }
    return step.runRemoteCommand("uploadDirectory", args, abandonOnFailure=False,
                                 evaluateCommand=lambda cmd: top_files(bytes(writer.data), names))
