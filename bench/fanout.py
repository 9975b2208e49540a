"""A kernel build's fan-out and `bootlab try` through a real master (issue 18's goals). Not a
test: numbers, from one run.

A local lab (harness/local_lab.py: a real master and QEMU worker) whose inventory pushes the four
x86 QEMU targets, then:
  1. a first forced kernel build: the worker's first cargo build and each target's snapshot
     (the warm boots' one-time cost; its numbers are printed, not judged),
  2. a second forced build: the last of the four verdicts after the kernel step ended (goal
     <= 3 s, on the master's millisecond stamps), and the path each boot took,
  3. `bootlab try` from a clone, once with a one-line change in userspace/ (hello's greeting:
     a FAIL, so the triage boot of the last good image is included) and once with a one-line
     change in kernel/ (a comment: a PASS): the first verdict after the command, as `bootlab
     try` prints it (goal <= 6 s on a worker that has built before).
Prints each number against its goal, the host's load, and exits 1 if a goal is missed.

Usage: .venv/bin/python bench/fanout.py [--no-try]
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rustux_bootlab.harness.local_lab import LocalLab, create, free_port, start, stop, wait_for_workers  # noqa: E402
from rustux_bootlab.lab.contract import KERNEL_BUILDER, KERNEL_BUILT_AT, VERDICT_AT  # noqa: E402

BOOTLAB = Path(sys.executable).parent / "bootlab"
TARGETS = ("q35-pflash", "pc-pflash", "q35-bios", "pc-bios")
FANOUT_S = 3.0
TRY_S = 6.0
HELLO = "userspace/programs/src/bin/hello.rs"
KERNEL_LINE = "kernel/src/main.rs"


def inventory(root: Path) -> Path:
    inv = yaml.safe_load((REPO / "lab-inventory.yaml").read_text())
    for name, target in inv["targets"].items():
        target["enabled"] = name in TARGETS
        target["milestones"] = str(REPO / "kernel/milestones.yaml")
    inv["boards"] = {}
    inv["workers"] = {n: w for n, w in inv["workers"].items() if w["kind"] == "qemu"}
    path = root / "inventory.yaml"
    path.write_text(yaml.safe_dump(inv))
    return path


def forced(lab: LocalLab) -> tuple[float, list[dict], float]:
    """A forced kernel build: the last verdict after the kernel step ended (the master's
    millisecond stamps, lab.contract's KERNEL_BUILT_AT and VERDICT_AT), its boots (each with its
    steps' whole seconds, where the time goes), and its wall."""
    client = lab.client("developer")
    started = time.monotonic()
    run = client.force_and_wait("force-kernel", timeout_s=1800)
    wall = time.monotonic() - started
    kernel_steps = client.steps(run.kernel_buildid)
    kernel_end = next(s["complete_at"] for s in kernel_steps if s["name"] == "kernel")
    built_at = float(client.properties(run.kernel_buildid)[KERNEL_BUILT_AT])
    after = [f"{s['name']} {s['complete_at'] - s['started_at']}" for s in kernel_steps
             if s["started_at"] and s["complete_at"] and s["started_at"] >= kernel_end]
    print(f"    after the kernel step, the kernel build's steps (s): {', '.join(after)}", flush=True)
    verdicts = []
    for boot in run.boots:
        steps = client.steps(boot["buildid"])
        step = next(s for s in steps if s["name"] == "boot")
        verdicts.append(float(client.properties(boot["buildid"])[VERDICT_AT]) - built_at)
        record = _record(client, step["stepid"])
        boot["path"] = str(record.get("boot_path", "?"))
        print(f"    {_record_line(record)}", flush=True)
        spans = ", ".join(f"{s['name']} {s['complete_at'] - s['started_at']}" for s in steps if s["complete_at"])
        print(f"    {boot['target']}: verdict {verdicts[-1]:.2f} s after the kernel step; starts "
              f"{steps[0]['started_at'] - kernel_end} s after it; {spans}", flush=True)
    return max(verdicts), run.boots, wall


def _record(client, stepid: int) -> dict:
    """The boot record the step attached ({} if none)."""
    logs = client.get(f"steps/{stepid}/logs")["logs"]
    record = next((log for log in logs if log["name"] == "result.json"), None)
    return json.loads(client.raw_log(record["logid"])) if record else {}


def _record_line(record: dict) -> str:
    """A boot as its record says it: target, verdict, path and seconds, and its triage's verdict."""
    line = (f"{record.get('target')}: {record.get('verdict')} {record.get('boot_path')} in {record.get('duration_s')} s"
            f" ({record.get('boot_path_reason')})")
    baseline = (record.get("triage") or {}).get("baseline")
    return line + (f"; triage's baseline {baseline.get('verdict')}" if baseline else "")


def try_change(lab: LocalLab, work: Path, name: str, path: str, change) -> tuple[float, str]:
    """`bootlab try` of `change` to `path` in a fresh clone: (first verdict s, exit line)."""
    clone = work / f"clone-{name}"
    subprocess.run(["git", "clone", "-q", "--branch", "main", str(REPO), str(clone)], check=True)
    for key, value in (("user.name", "Bench"), ("user.email", "bench@example.org")):
        subprocess.run(["git", "config", key, value], cwd=clone, check=True)
    source = clone / path
    source.write_text(change(source.read_text()))
    home = work / f"home-{name}"
    (home / ".buildbot").mkdir(parents=True)
    options = home / ".buildbot" / "options"
    options.write_text(f"try_username = 'developer'\ntry_passwd = {lab.password('developer')!r}\n"
                       f"try_master = '127.0.0.1:{lab.env['BOOTLAB_TRY_PORT']}'\nbootlab_web = {lab.web_url!r}\n")
    options.chmod(0o600)
    done = subprocess.run([str(BOOTLAB), "try", "--inventory", lab.env["BOOTLAB_INVENTORY"]], cwd=clone,
                          env={**os.environ, "HOME": str(home)}, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=1800)
    output = done.stdout + done.stderr
    first = re.search(r"first verdict after ([\d.]+) s", output)
    if first is None:
        sys.exit(f"bootlab try ({name}) printed no first verdict (exit {done.returncode}):\n{output[-2000:]}")
    last = [line for line in output.splitlines() if line.startswith("try: ")][-1]
    client = lab.client(None)
    builderid = client.get(f"builders?name={KERNEL_BUILDER}")["builders"][0]["builderid"]
    build = client.get(f"builders/{builderid}/builds?order=-number&limit=1")["builds"][0]
    steps = client.steps(build["buildid"])
    print(f"    try of a {name}/ change, its kernel build's steps (s): "
          + ", ".join(f"{s['name']} {s['complete_at'] - s['started_at']} ({s['state_string']})"
                      for s in steps if s["complete_at"] and s["started_at"]), flush=True)
    for child in client.child_builds(build["buildid"]):
        boot = next(s for s in client.steps(child["buildid"]) if s["name"] == "boot")
        print(f"    {_record_line(_record(client, boot['stepid']))}; boot step {boot['complete_at'] - boot['started_at']} s", flush=True)
    return float(first[1]), last


def main() -> int:
    for image in ("esp",):
        if not (REPO / "build" / image / "EFI" / "BOOT" / "BOOTX64.EFI").is_file():
            sys.exit("build/esp has no kernel: run make kernel loader")
    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as tmp:
        work = Path(tmp)
        os.environ.update(BOOTLAB_SNAPSHOTS=str(work / "snapshots"))  # the lab's workers inherit it
        lab = create(work / "lab", inventory=inventory(work),
                     ports={"web": free_port(), "pb": free_port(), "try": free_port()})
        try:
            start(lab)
            wait_for_workers(lab.client(None))
            print(f"bench/fanout.py: {', '.join(TARGETS)} through a real master (load {os.getloadavg()[0]:.1f})", flush=True)
            first_s, first_boots, first_wall = forced(lab)
            print(f"  first build (cargo's first build, snapshots made): {first_wall:.1f} s, last verdict "
                  f"{first_s:.1f} s after the kernel step; paths {', '.join(b['path'] for b in first_boots)}", flush=True)
            fanout_s, boots, wall = forced(lab)
            print(f"  second build: {wall:.1f} s forced to done, last verdict {fanout_s:.2f} s after the kernel step; "
                  + ", ".join(f"{b['target']} {b['verdict']} {b['path']}" for b in boots), flush=True)
            if "--no-try" in sys.argv:
                return 0
            user_s, user_last = try_change(lab, work, "userspace", HELLO,
                                           lambda text: text.replace('b"Hello from userspace!\\n"', 'b"Hallo from userspace!\\n"', 1))
            print(f"  try of a userspace/ change: first verdict after {user_s:.1f} s; {user_last}", flush=True)
            kernel_s, kernel_last = try_change(lab, work, "kernel", KERNEL_LINE, lambda text: text + "// bench: a one-line change\n")
        finally:
            stop(lab)
    print(f"  (load {os.getloadavg()[0]:.1f} at the end)")
    rows = (("last verdict after the kernel step (s)", fanout_s, FANOUT_S, "the master's clock, to the millisecond"),
            ("bootlab try, userspace/ change: first verdict", user_s, TRY_S, user_last),
            ("bootlab try, kernel/ change: first verdict", kernel_s, TRY_S, kernel_last))
    missed = 0
    for name, value, goal, note in rows:
        missed += value > goal
        print(f"  {name:<48} {value:6.1f}  goal <= {goal:g} {'ok' if value <= goal else 'MISSED'}  {note}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
