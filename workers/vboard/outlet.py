"""The virtual PDU's outlet: pdudaemon's `localcmdline` driver runs this to switch a virtual board.

`python -m rustux_bootlab.workers.vboard.outlet STATE_DIR on|off OUTLET`: on starts the board's QEMU (from
`machine.json`, as the IPMI board's supervisor would, booting its USB stick first), detached
in its own session with its pid in `qemu.pid`; off kills that process group, as pulling the
plug does. Both return at once, as a relay switching does. One board per virtual PDU: the
outlet number pdudaemon passes is not needed.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from rustux_bootlab.workers.vboard.machine import Machine, qemu_argv

OFF_TIMEOUT_S = 3.0


def running_pid(state: Path) -> int | None:
    try:
        pid = int((state / "qemu.pid").read_text())
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return None
    return pid if stat.rsplit(")", 1)[1].split()[0] != "Z" else None


def on(state: Path) -> None:
    if running_pid(state) is not None:
        return
    machine = Machine.load(state / "machine.json")
    vars_copy = state / "vars.fd"
    shutil.copyfile(machine.vars_template, vars_copy)  # fresh NVRAM: only bootindex decides
    with open(state / "qemu.log", "ab") as log:
        qemu = subprocess.Popen(qemu_argv(machine, "default", vars_copy), stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    (state / "qemu.pid").write_text(f"{qemu.pid}\n")


def off(state: Path) -> None:
    pid = running_pid(state)
    if pid is None:
        return
    os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + OFF_TIMEOUT_S
    while running_pid(state) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    (state / "qemu.pid").unlink(missing_ok=True)


def main(argv: list[str]) -> int:
    state, action = Path(argv[0]), argv[1]
    {"on": on, "off": off}[action](state)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
