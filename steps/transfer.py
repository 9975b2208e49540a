"""Reading a file back from the worker into the master's memory (text logs, screenshots).

Buildbot's own `getFileContentFromWorker` decodes strictly as UTF-8; console captures are
raw bytes (firmware escapes, half-written lines), so a stray byte must not lose the log.
"""
from __future__ import annotations

from buildbot.worker.protocols.base import FileWriterImpl

# Large enough for a verbose firmware log, small enough that a runaway console cannot
# fill the master's memory.
MAX_LOG_BYTES = 8 * 1024 * 1024


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


def read_worker_file(step, path: str):
    """Deferred: the file's text (undecodable bytes replaced), or None if it is absent."""
    d = read_worker_bytes(step, path)
    d.addCallback(lambda data: None if data is None else data.decode("utf-8", errors="replace"))
    return d


def read_worker_bytes(step, path: str):
    """Deferred: the file's bytes, or None if it is absent."""
    step.checkWorkerHasCommand("uploadFile")
    writer = _BytesWriter()
    args = {
        "workdir": step.workdir,
        "workersrc": path,
        "writer": writer,
        "maxsize": MAX_LOG_BYTES,
        "blocksize": 32 * 1024,
    }

    def complete(cmd):
        if cmd.didFail():
            return None
        return bytes(writer.data)

    return step.runRemoteCommand("uploadFile", args, abandonOnFailure=False, evaluateCommand=complete)

