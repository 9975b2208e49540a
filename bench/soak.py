"""make soak: N boots fanned out over the lab across hosts (network namespaces: the two masters on
PostgreSQL and crossbar, QEMU worker hosts), with 1, 2 and 4 QEMU hosts, as a table.

Per host count: a fresh lab (harness/host_lab.py --cluster) whose inventory holds WIDTH QEMU targets
(copies of the lab's four, so each kernel build fans out WIDTH boots), one warm-up build (the
kernel builder's first cargo build), then kernel builds forced back to back until N boots ran.
Prints boots per minute, the scheduling overhead per boot (trigger -> boot step start, boot
end -> verdict: harness/soakstats.py, from the builds' step timestamps via the REST API), the
master side's CPU share (engine, ui, PostgreSQL, crossbar) of the machine's busy CPU, and checks
zero lab-caused ERRORs and zero processes left behind. Needs root. Not a test: numbers.

Usage: .venv/bin/python bench/soak.py [--boots 100] [--hosts 1,2,4] [--width 8]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rustux_bootlab.harness import hostnet  # noqa: E402
from rustux_bootlab.harness.host_lab import create, start, stop  # noqa: E402
from rustux_bootlab.harness.local_lab import wait_for_workers  # noqa: E402
from rustux_bootlab.harness.soakstats import SoakSummary, boot_timing, summarize  # noqa: E402

MASTER_SIDE = ("db", "router", "engine", "ui")
CLK = os.sysconf("SC_CLK_TCK")


def soak_inventory(path: Path, width: int) -> Path:
    base = yaml.safe_load((REPO / "lab-inventory.yaml").read_text())
    originals = list(base["targets"].items())
    base["targets"] = {f"{name}-{i // len(originals) + 1}": dict(t) for i, (name, t) in
                       ((i, originals[i % len(originals)]) for i in range(width))}
    base["boards"] = {}
    base["workers"] = {n: w for n, w in base["workers"].items() if w["kind"] == "qemu"}
    path.write_text(yaml.safe_dump(base))
    return path


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        except OSError:
            pass
    return total


def side_ticks(lab, host: str) -> int:
    """CPU used so far by the host's processes (PostgreSQL's backends come and go: a backend
    that exited is counted in its parent's children time)."""
    return cpu_ticks(hostnet.pids(lab.plan.namespace(host)))


def machine_busy_ticks() -> int:
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields) - fields[3] - fields[4]  # all but idle and iowait


def kernel_boots(client, bsid: int) -> list:
    request = client.get(f"buildrequests?buildsetid={bsid}")["buildrequests"][0]
    kernel = client.builds_of_request(request["buildrequestid"])[-1]
    trigger = next(s for s in client.steps(kernel["buildid"]) if s["name"] == "boot")
    names = {b["builderid"]: b["name"] for b in client.get("builders")["builders"]}
    workers = {w["workerid"]: w["name"] for w in client.get("workers")["workers"]}
    timings = []
    for bs in client.get(f"buildsets?parent_buildid={kernel['buildid']}")["buildsets"]:
        for br in client.get(f"buildrequests?buildsetid={bs['bsid']}")["buildrequests"]:
            for child in client.builds_of_request(br["buildrequestid"]):
                t = boot_timing(trigger, child, client.steps(child["buildid"]), client.properties(child["buildid"]),
                                names[br["builderid"]], workers[child["workerid"]])
                if t is not None:
                    timings.append(t)
    return timings


def soak(hosts: int, boots: int, width: int) -> tuple[SoakSummary, float, dict[str, float]]:
    root = Path(tempfile.mkdtemp(prefix="bootlab-soak-"))
    lab = create(root, hosts, soak_inventory(root / "base-inventory.yaml", width), cluster=True)
    try:
        start(lab)
        client = lab.client("developer")
        wait_for_workers(client, 120)
        client.force_and_wait("force-kernel", timeout_s=900)  # warm-up: the kernel builder's cold cargo build
        before = {h: side_ticks(lab, h) for h in MASTER_SIDE}
        busy0, t0 = machine_busy_ticks(), time.monotonic()
        builds = -(-boots // width)
        # The kernel builder takes them one by one, each fanning out `width` boots. The next is forced
        # once the previous one started: Buildbot collapses pending requests of the same source.
        bsids = []
        for _ in range(builds):
            bsid, brids = client.force("force-kernel")
            bsids.append(bsid)
            brid = next(iter(brids.values()))
            while not (client.get(f"buildrequests/{brid}")["buildrequests"][0]["claimed"]):
                time.sleep(0.5)
        for bsid in bsids:
            client.wait_buildset(bsid, 3600)
        wall = time.monotonic() - t0
        busy = machine_busy_ticks() - busy0
        used = {h: side_ticks(lab, h) - before[h] for h in MASTER_SIDE}
        share = {h: ticks / busy for h, ticks in used.items()} if busy else {}
        timings = [t for bsid in bsids for t in kernel_boots(client, bsid)]
        master_cpu_s = sum(used.values()) / CLK
        return summarize(timings, wall), master_cpu_s, share
    finally:
        stop(lab)
        left = [ns for ns in hostnet.namespaces() if ns.startswith(f"rbl{lab.plan.tag}-")]
        strays = _processes_mentioning(str(root))
        if left or strays:
            raise SystemExit(f"soak left things behind: namespaces {left}, processes {strays}")
        shutil.rmtree(root, ignore_errors=True)


def _processes_mentioning(text: str) -> list[str]:
    out = []
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            if text in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                out.append(pid)
        except OSError:
            pass
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--boots", type=int, default=int(os.environ.get("SOAK_BOOTS", 100)))
    p.add_argument("--hosts", default="1,2,4", help="QEMU host counts, comma-separated")
    p.add_argument("--width", type=int, default=8, help="QEMU targets per kernel build (copies of the four)")
    args = p.parse_args()
    if os.geteuid() != 0:
        print("bench/soak.py: network namespaces need root", file=sys.stderr)
        return 2
    rows = []
    for n in (int(x) for x in args.hosts.split(",")):
        print(f"soak: {args.boots} boots on {n} QEMU host(s) ...", flush=True)
        summary, master_cpu_s, share = soak(n, args.boots, args.width)
        rows.append((n, summary, master_cpu_s, share))
        print(f"  {summary.boots} boots in {summary.wall_s:.0f} s: {summary.boots_per_min:.1f} boots/min; "
              f"trigger -> boot start median {summary.to_start_median_s:.0f} s (p90 {summary.to_start_p90_s:.0f} s); "
              f"boot end -> verdict median {summary.to_verdict_median_s:.0f} s; per host {summary.per_worker}; "
              f"verdicts {summary.verdicts}; "
              f"master side CPU {master_cpu_s:.0f} s = {100 * sum(share.values()):.0f}% of the machine's busy CPU "
              f"({', '.join(f'{h} {100 * v:.1f}%' for h, v in share.items())})", flush=True)
    print(f"\n{'hosts':>5} {'boots':>5} {'boots/min':>9} {'boot s':>6} {'trig->start':>11} {'p90':>4} "
          f"{'end->verdict':>12} {'lab ERR':>7} {'not PASS':>8} {'master CPU':>10}")
    for n, s, _, share in rows:
        print(f"{n:>5} {s.boots:>5} {s.boots_per_min:>9.1f} {s.boot_median_s:>6.1f} {s.to_start_median_s:>11.0f} "
              f"{s.to_start_p90_s:>4.0f} {s.to_verdict_median_s:>12.0f} {s.lab_errors:>7} {s.not_pass:>8} "
              f"{100 * sum(share.values()):>9.0f}%")
    print("(whole seconds: Buildbot stamps steps so; trig->start includes waiting for a free host; "
          "nothing left running after each row: checked)")
    return 1 if any(s.lab_errors for _, s, _, _ in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
