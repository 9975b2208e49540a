"""Faults a fleet meets, on the lab across hosts (network namespaces): a QEMU host's worker killed
mid-boot, the board controller lost mid board boot, a worker host's link down for a while.
Real masters, workers, QEMU, ipmi_sim; each test prints what the fault cost. Needs root.

The lab: the two-master cluster (PostgreSQL, crossbar, the engine that runs builds and the ui
master that takes force and serves the REST API these tests read), QEMU hosts qemu-1 (builds the
kernel) and qemu-2, the board controller with vboard-2 (USB deploy); two targets, so each QEMU
host gets one boot of every build. The masters' own faults: tests/integration/test_cluster.py.
"""
from __future__ import annotations

import fcntl
import os
import signal
import time
from pathlib import Path

import pytest
import yaml

from rustux_bootlab.harness import hostnet
from rustux_bootlab.harness.host_lab import VENV_BIN, start_worker
from rustux_bootlab.harness.local_lab import wait_for_workers
from tests.integration.hosts_support import host_lab, host_processes, wait_until

pytestmark = [pytest.mark.hosts, pytest.mark.slow, pytest.mark.qemu]

REPO = Path(__file__).resolve().parents[2]
TARGETS = ("pc-bios", "q35-bios")
BOARD = "vboard-2"
FAULTY = "qemu-2"  # never the kernel builder's host (qemu-1): the kernel build would be lost too
KERNEL_BUILD_S = 1800  # as `python -m rustux_bootlab.harness.host_lab boot` allows it


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    base = yaml.safe_load((REPO / "lab-inventory.yaml").read_text())
    base["targets"] = {t: base["targets"][t] for t in TARGETS}
    base["boards"] = {BOARD: base["boards"][BOARD]}
    base["workers"] = {n: w for n, w in base["workers"].items() if w["kind"] == "qemu" or n == base["boards"][BOARD]["worker"]}
    path = tmp_path_factory.mktemp("faults") / "inventory.yaml"
    path.write_text(yaml.safe_dump(base))
    with host_lab(qemu_hosts=2, inventory=path, cluster=True) as lab:
        yield lab


def force(lab) -> int:
    """A forced build whose kernel is built and whose boots are requested. The kernel build's
    time (a cold cargo build on a loaded machine can take minutes) is not the fault's to wait for."""
    bsid, _ = lab.client("developer").force("force-kernel")
    client = lab.client(None)

    def boots_requested():
        request = client.get(f"buildrequests?buildsetid={bsid}")["buildrequests"][0]
        return any(client.get(f"buildsets?parent_buildid={b['buildid']}")["buildsets"]
                   for b in client.builds_of_request(request["buildrequestid"]))
    wait_until(boots_requested, KERNEL_BUILD_S, "the forced kernel built and its boots requested")
    return bsid


def boot_builds(lab, bsid: int, timeout_s: float = 600) -> dict[str, list[dict]]:
    """Once the forced buildset is complete: every build of each boot request, by target."""
    client = lab.client(None)
    client.wait_buildset(bsid, timeout_s)
    request = client.get(f"buildrequests?buildsetid={bsid}")["buildrequests"][0]
    kernel = client.builds_of_request(request["buildrequestid"])[-1]
    names = {b["builderid"]: b["name"].split("/", 1)[-1] for b in client.get("builders")["builders"]}
    workers = {w["workerid"]: w["name"] for w in client.get("workers")["workers"]}
    out = {}
    for bs in client.get(f"buildsets?parent_buildid={kernel['buildid']}")["buildsets"]:
        for br in client.get(f"buildrequests?buildsetid={bs['bsid']}")["buildrequests"]:
            builds = sorted(client.builds_of_request(br["buildrequestid"]), key=lambda b: b["number"])
            for b in builds:
                b["worker"] = workers[b["workerid"]]
                b["props"] = client.properties(b["buildid"])
                b["steps"] = [(s["name"], s["results"], s["state_string"]) for s in client.steps(b["buildid"])]
            out[names[br["builderid"]]] = builds
    assert kernel["results"] == 0, (kernel["state_string"], {t: [(b["worker"], b["results"], b["props"].get("reason"))
                                                                 for b in bs] for t, bs in out.items()})
    return out


def qemus(lab, host: str) -> list[int]:
    return [p for p in host_processes(lab, host) if _cmdline(p).startswith("qemu-system")]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def kill_worker(lab, worker: str) -> float:
    pid = int((lab.worker_dir(worker) / "twistd.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    return time.monotonic()


def worker_connected(lab, worker: str) -> bool:
    return any(w["name"] == worker and w["connected_to"] for w in lab.client(None).get("workers")["workers"])


def force_until_a_boot_runs_on(lab, hosts: tuple[str, ...]) -> tuple[int, str]:
    """Force builds until one of `hosts` runs a boot's QEMU: the two boots of a build go to the two
    hosts (steps/placement.py), but a retried or queued boot can still leave one host without."""
    client = lab.client(None)
    for _ in range(4):
        bsid = force(lab)

        def running():
            on = [h for h in hosts if qemus(lab, h)]
            return on[0] if on else client.get(f"buildsets/{bsid}")["buildsets"][0]["complete"] and "none"
        host = wait_until(running, 300, f"a boot's QEMU on {' or '.join(hosts)}", step_s=0.2)
        if host != "none":
            return bsid, host
    raise AssertionError(f"4 builds and no boot on {hosts}")


def test_a_qemu_host_worker_killed_mid_boot_retries_the_boot_on_another_host(lab):
    bsid, _ = force_until_a_boot_runs_on(lab, (FAULTY,))
    time.sleep(1)  # the guest is booting
    killed_at = kill_worker(lab, FAULTY)
    wait_until(lambda: not host_processes(lab, FAULTY), 15, f"every process on {FAULTY} gone after its worker died", step_s=0.5)
    cleaned_s = time.monotonic() - killed_at
    builds = boot_builds(lab, bsid)
    for target, bs in builds.items():  # a build that was waiting on the dead host is retried too
        assert bs[-1]["results"] == 0 and bs[-1]["props"]["verdict"] == "PASS", (target, bs)
        assert all(b["results"] == 5 and b["worker"] == FAULTY for b in bs[:-1]), (target, bs)
    first, retry = next(bs[:2] for bs in builds.values() if bs[0]["props"].get("verdict") == "ERROR")
    assert (first["props"]["verdict"], first["props"]["culprit"]) == ("ERROR", "lab"), first
    assert "lost mid-boot" in first["props"]["reason"] and retry["worker"] != FAULTY, (first, retry)
    print(f"\nworker killed mid-boot: its host empty in {cleaned_s:.1f} s; the master ended the lost build "
          f"{first['complete_at'] - first['started_at']} s after it started; retried on {retry['worker']}, "
          f"which started it {retry['started_at'] - first['complete_at']} s after the loss "
          f"(behind its own boot) and passed in {retry['complete_at'] - retry['started_at']} s")
    start_worker(lab, FAULTY)  # its service manager would
    wait_until(lambda: worker_connected(lab, FAULTY), 60, f"{FAULTY} back", step_s=0.5)


def board_state(lab) -> tuple[str, bool]:
    """The board's power as its BMC says it (IPMI from the board controller) and whether a
    session holds it (its flock)."""
    proc = lab.run_on("boards", [str(VENV_BIN / "bootlab"), "boards", "--inventory", str(lab.inventory_path)])
    row = next(line.split() for line in proc.stdout.splitlines() if line.startswith(BOARD))
    lock = lab.host_dir("boards") / "state" / BOARD / "lock"
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held = False
        fcntl.flock(fd, fcntl.LOCK_UN)
    except BlockingIOError:
        held = True
    finally:
        os.close(fd)
    power = next(w for w in row if w in ("on", "off"))
    return power, held


def test_the_board_controller_lost_mid_board_boot_leaves_the_board_off_and_released(lab):
    controller = lab.plan.host("boards")
    worker = controller.workers[0]
    bsid = force(lab)
    board_qemu = lambda: [p for p in qemus(lab, "boards") if f"/{BOARD}/" in _cmdline(p)]  # noqa: E731
    wait_until(board_qemu, 300, f"{BOARD} powered on by its boot", step_s=0.2)
    time.sleep(2)  # firmware running
    killed_at = kill_worker(lab, worker)
    wait_until(lambda: board_state(lab) == ("off", False), 30, f"{BOARD} off and released after its controller died", step_s=0.5)
    released_s = time.monotonic() - killed_at
    wait_until(lambda: not [p for p in host_processes(lab, "boards") if "bootlab boot" in _cmdline(p)], 15,
               "the lost session's bootlab done (record written) and gone", step_s=0.5)
    start_worker(lab, worker)  # the controller comes back
    builds = boot_builds(lab, bsid)
    assert len(builds[BOARD]) == 2, [(b["results"], b["state_string"], b["props"].get("verdict"), b["props"].get("reason"))
                                     for b in builds[BOARD]]
    first, retry = builds[BOARD]
    assert first["results"] == 5 and (first["props"].get("verdict"), first["props"].get("culprit")) == ("ERROR", "lab"), first
    assert "lost mid-boot" in first["props"]["reason"] and "powers it off" in first["props"]["reason"]
    assert retry["results"] == 0 and retry["props"]["verdict"] == "PASS", retry
    print(f"\nboard controller lost mid-boot: {BOARD} off and released {released_s:.1f} s after; the lost build "
          f"said ERROR/lab (RETRY), and its retry passed once the controller was back "
          f"({retry['complete_at'] - retry['started_at']} s)")


def test_a_worker_host_cut_off_for_a_while_comes_back_by_itself(lab):
    """The cable of a QEMU host pulled mid-boot for 20 s: TCP keeps the connection (nothing is
    sent on it unanswered for long enough to give up), the boot's result arrives once the link
    is back, and nobody has to do anything."""
    wait_for_workers(lab.client(None), 60)
    bsid, cut_host = force_until_a_boot_runs_on(lab, ("qemu-1", FAULTY))  # qemu-1: the kernel build's too
    hostnet.set_link(lab.plan, cut_host, "down")
    cut_at = time.monotonic()
    try:
        time.sleep(20)
    finally:
        hostnet.set_link(lab.plan, cut_host, "up")
    builds = boot_builds(lab, bsid)
    back_s = time.monotonic() - cut_at
    for target, bs in builds.items():
        assert bs[-1]["results"] == 0 and bs[-1]["props"]["verdict"] == "PASS", (target, bs)
    assert worker_connected(lab, cut_host)
    cut = next(bs for bs in builds.values() if bs[0]["worker"] == cut_host)
    normal = [bs[-1] for bs in builds.values() if bs[0]["worker"] != cut_host and bs[0]["props"].get("boot_duration_s")]
    print(f"\nlink of {cut_host} down 20 s mid-boot: {len(cut)} build(s) for the cut host's boot "
          f"({', '.join(str(b['results']) for b in cut)}), its build took {cut[-1]['complete_at'] - cut[0]['started_at']} s "
          f"against {[b['complete_at'] - b['started_at'] for b in normal]} s elsewhere; all verdicts in "
          f"{back_s:.0f} s after the cut")
