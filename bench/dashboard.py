"""The dashboard's render time with 500 builds in a real master's database (issue 11: < 1 s a page).

How the builds get there: a real local lab (master, a QEMU worker, the virtual board) runs one
forced kernel build for real (kernel + boot/<target> + boot/<board>: 3 builds with their real
properties, steps and logs). With the master stopped, that run's rows (buildset, sourcestamp
link, build request, build, properties, steps, logs and log chunks) are copied in the master's
own SQLite database through SQLAlchemy until it holds `--builds` builds, each copy a new
kernel run whose boots are linked to it as the fan-out links them (buildsets.parent_buildid).
The master starts again on that database; each page is then fetched `--runs` times over HTTP
(server render, as the browser's first request gets it): the first request after the master
started (nothing known yet: every finished build is read from the database) and the median
and worst of the next ones (finished builds are kept, steps/dashboard/fetch.py's Finished).

    .venv/bin/python bench/dashboard.py [--builds 500] [--runs 5]
"""
from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import sqlalchemy as sa
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rustux_bootlab.steps.dashboard.app import NAME  # noqa: E402
from rustux_bootlab.harness.local_lab import create, free_port, start, stop, wait_for_workers  # noqa: E402

TARGET, BOARD = "q35-pflash", "vboard-1"
GOAL_S = 1.0


def inventory(root: Path) -> Path:
    inv = yaml.safe_load((REPO / "lab-inventory.yaml").read_text())
    for name, target in inv["targets"].items():
        target["enabled"] = name == TARGET
        target["milestones"] = str(REPO / "kernel/milestones.yaml")
    board = inv["boards"][BOARD]
    board["bmc"]["port"], board["virtual"]["serial_port"] = free_port(socket.SOCK_DGRAM), free_port()
    inv["boards"] = {BOARD: board}
    inv["workers"] = {n: w for n, w in inv["workers"].items() if n == board["worker"] or w["kind"] == "qemu"}
    path = root / "inventory.yaml"
    path.write_text(yaml.safe_dump(inv))
    return path


def _rows(conn, table: sa.Table, column: str, values) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(sa.select(table).where(table.c[column].in_(list(values))))]


def _insert(conn, table: sa.Table, row: dict, **changes) -> int:
    row = {k: v for k, v in {**row, **changes}.items() if k != "id"}
    return conn.execute(table.insert().values(**row)).inserted_primary_key[0]


def copy_runs(db: Path, total: int) -> int:
    """Copies the database's kernel runs (a kernel build and its boots) until it holds `total` builds."""
    engine = sa.create_engine(f"sqlite:///{db}")
    meta = sa.MetaData()
    meta.reflect(engine)
    t = meta.tables
    with engine.begin() as conn:
        builds = _rows(conn, t["builds"], "id", [r[0] for r in conn.execute(sa.select(t["builds"].c.id))])
        requests = {r["id"]: r for r in _rows(conn, t["buildrequests"], "id", {b["buildrequestid"] for b in builds})}
        sets = {r["id"]: r for r in _rows(conn, t["buildsets"], "id", {r["buildsetid"] for r in requests.values()})}
        kernels = [b for b in builds if sets[requests[b["buildrequestid"]]["buildsetid"]]["parent_buildid"] is None]
        children = {k["id"]: [b for b in builds if sets[requests[b["buildrequestid"]]["buildsetid"]]["parent_buildid"] == k["id"]]
                    for k in kernels}
        numbers = {b["builderid"]: max(x["number"] for x in builds if x["builderid"] == b["builderid"]) for b in builds}
        count = len(builds)
        while count < total:
            for kernel in kernels:
                new_kernel = _copy_build(conn, t, kernel, requests, sets, numbers, parent=None)
                count += 1
                for child in children[kernel["id"]]:
                    if count >= total:
                        break
                    _copy_build(conn, t, child, requests, sets, numbers, parent=new_kernel)
                    count += 1
                if count >= total:
                    break
    return count


def _copy_build(conn, t, build: dict, requests: dict, sets: dict, numbers: dict, parent: int | None) -> int:
    request, buildset = requests[build["buildrequestid"]], sets[requests[build["buildrequestid"]]["buildsetid"]]
    bsid = _insert(conn, t["buildsets"], buildset, parent_buildid=parent)
    for link in _rows(conn, t["buildset_sourcestamps"], "buildsetid", [buildset["id"]]):
        _insert(conn, t["buildset_sourcestamps"], link, buildsetid=bsid)
    for prop in _rows(conn, t["buildset_properties"], "buildsetid", [buildset["id"]]):
        conn.execute(t["buildset_properties"].insert().values(**{**prop, "buildsetid": bsid}))
    brid = _insert(conn, t["buildrequests"], request, buildsetid=bsid)
    for claim in _rows(conn, t["buildrequest_claims"], "brid", [request["id"]]):
        conn.execute(t["buildrequest_claims"].insert().values(**{**claim, "brid": brid}))
    numbers[build["builderid"]] += 1
    buildid = _insert(conn, t["builds"], build, buildrequestid=brid, number=numbers[build["builderid"]])
    for prop in _rows(conn, t["build_properties"], "buildid", [build["id"]]):
        value = prop["value"]
        if prop["name"] == "buildnumber":
            value = str(numbers[build["builderid"]])
        conn.execute(t["build_properties"].insert().values(**{**prop, "buildid": buildid, "value": value}))
    for step in _rows(conn, t["steps"], "buildid", [build["id"]]):
        stepid = _insert(conn, t["steps"], step, buildid=buildid)
        for log in _rows(conn, t["logs"], "stepid", [step["id"]]):
            logid = _insert(conn, t["logs"], log, stepid=stepid)
            for chunk in _rows(conn, t["logchunks"], "logid", [log["id"]]):
                conn.execute(t["logchunks"].insert().values(**{**chunk, "logid": logid}))
    return buildid


def timed(url: str, runs: int) -> tuple[float, float, int]:
    times, size = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=60) as reply:
            size = len(reply.read())
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times), size


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--builds", type=int, default=500)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        root = Path(tmp)
        lab = create(root / "lab", inventory=inventory(root),
                     ports={"web": free_port(), "pb": free_port(), "try": free_port()})
        try:
            start(lab)
            wait_for_workers(lab.client(None))
            run = lab.client("developer").force_and_wait("force-kernel", timeout_s=900)
            print(f"one real forced build: {run.kernel_result}; boots "
                  + ", ".join(f"{b['target']} {b['verdict']}" for b in run.boots))
            boot = next(b["buildid"] for b in run.boots if b["target"] == TARGET)
        finally:
            stop(lab)
        count = copy_runs(lab.master_dir / "state.sqlite", args.builds)
        print(f"database: {count} builds (copies of that run's rows, the master stopped)")
        try:
            start(lab)
            base = f"{lab.web_url}plugins/wsgi_dashboards/{NAME}/"
            pages = ["matrix", "boards", "trends", f"boot/{boot}", "matrix.json", "boards.json", "trends.json"]
            worst = 0.0
            for page in pages:
                first, _, _ = timed(base + page, 1)
                median, slowest, size = timed(base + page, args.runs)
                worst = max(worst, first, slowest)
                print(f"{page:<14} first {first * 1000:7.1f} ms  then median {median * 1000:7.1f} ms, "
                      f"worst {slowest * 1000:7.1f} ms  {size:>8} bytes")
            print(f"dashboard: slowest page {worst * 1000:.0f} ms with {count} builds "
                  f"(goal < {GOAL_S * 1000:.0f} ms): {'ok' if worst < GOAL_S else 'TOO SLOW'}")
            return 0 if worst < GOAL_S else 1
        finally:
            stop(lab)


if __name__ == "__main__":
    sys.exit(main())
