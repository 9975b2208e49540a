"""QEMU as a child process that can never outlive the runner.

QEMU runs in its own session and process group, so teardown can kill the whole group,
and with `PR_SET_PDEATHSIG` = SIGKILL, so a runner killed by SIGKILL (or crashing) takes
QEMU with it: the kernel delivers the signal when the runner's thread that forked
QEMU exits. `stop()` is safe to call any number of times.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time

from rustux_bootlab.workers.lifeline import die_with_parent


class QemuStartError(Exception):
    """QEMU could not be executed at all (binary missing, not executable)."""


class QemuProcess:
    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        self._popen: subprocess.Popen[bytes] | None = None
        self.started_at: float | None = None

    def start(self) -> None:
        parent = os.getpid()
        try:
            self._popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=lambda: die_with_parent(signal.SIGKILL, parent),
            )
        except OSError as exc:
            raise QemuStartError(f"cannot run {self.argv[0]}: {exc.strerror}: install qemu-system-x86") from exc
        self.started_at = time.monotonic()
        os.set_blocking(self.output.fileno(), False)

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen else None

    @property
    def output(self):  # QEMU's stdout+stderr, the `qemu` channel
        assert self._popen is not None and self._popen.stdout is not None
        return self._popen.stdout

    def poll(self) -> int | None:
        return self._popen.poll() if self._popen else None

    def running(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def wait(self, timeout: float) -> int | None:
        if self._popen is None:
            return None
        try:
            return self._popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, grace: float = 3.0) -> int | None:
        """Give QEMU `grace` seconds to exit (after a QMP quit), then SIGKILL its group; reap.

        Returns QEMU's exit status, negative for a signal, None if it never ran."""
        if self._popen is None:
            return None
        if self._popen.returncode is None:
            self.wait(grace)
        if self._popen.returncode is None:
            # Only while QEMU is unreaped: its pid (= the group id) cannot have been reused.
            try:
                os.killpg(self._popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        status = self._popen.wait()
        if self._popen.stdout is not None and not self._popen.stdout.closed:
            self._popen.stdout.close()
        return status
