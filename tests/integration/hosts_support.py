"""A lab across hosts (network namespaces) for the `hosts` tests: bring-up, and the checks
that nothing is left behind and that each host holds only its own secrets."""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from rustux_bootlab.harness import hostnet
from rustux_bootlab.harness.cluster import router
from rustux_bootlab.harness.host_lab import HostLab, create, start, stop
from rustux_bootlab.harness.local_lab import wait_for_workers
from tests.integration.polling import wait_until

# crossbar's venv is this machine's (installed once): fixed before conftest moves XDG_CACHE_HOME
os.environ.setdefault("BOOTLAB_CROSSBAR_VENV", str(router.venv_dir()))


@contextmanager
def host_lab(qemu_hosts: int = 2, inventory: Path | None = None, cluster: bool = False,
             distributions: dict[str, str] | None = None):
    """A lab in a temp dir of its own (pytest's are 0700: PostgreSQL's `postgres` user could not
    reach its data), removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="bootlab-hosts-"))
    lab = create(root, qemu_hosts, inventory, cluster, distributions)
    try:
        start(lab)
        wait_for_workers(lab.client(None), timeout_s=120)
        yield lab
    finally:
        killed = stop(lab)
        assert not killed, f"a clean stop left these running (namespace, pid): {killed}"
        assert_nothing_left(lab)
    shutil.rmtree(root, ignore_errors=True)  # kept when a test failed: the masters' and workers' logs


def assert_nothing_left(lab: HostLab) -> None:
    assert not [ns for ns in hostnet.namespaces() if ns.startswith(f"rbl{lab.plan.tag}-")]
    assert not Path(f"/sys/class/net/{lab.plan.bridge}").exists()
    assert not processes_mentioning(str(lab.root)), "a process of the lab outlived it"


def processes_mentioning(text: str) -> list[str]:
    found = []
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            found.append(f"{pid}: {cmdline[:200]}")
    return found


def host_processes(lab: HostLab, host: str) -> list[int]:
    return hostnet.pids(lab.plan.namespace(host))


def process_text(pid: int) -> bytes:
    """argv and environment: what `ps e` shows of a process."""
    out = b""
    for part in ("cmdline", "environ"):
        try:
            out += Path(f"/proc/{pid}/{part}").read_bytes()
        except OSError:
            pass
    return out


def files_holding(root: Path, needle: bytes) -> list[Path]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            try:
                if needle in path.read_bytes():
                    hits.append(path)
            except OSError:
                pass
    return hits


__all__ = ["wait_until"]  # tests/integration/polling.py's, for the hosts tests that import it from here
