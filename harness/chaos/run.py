"""One chaos soak: a lab across hosts, kernel builds forced back to back, the nemesis injecting
the seed's faults meanwhile, then the checker over everything that went in (bench/chaos.py
prints it; tests/integration/test_hosts_chaos.py runs the short form).

The lab: the two-master cluster, QEMU hosts (qemu-1 also builds the kernel; the last one has a
scratch disk of its own to fill), the board controller with vboard-1 (PXE from the controller's
dnsmasq, SOL, IPMI behind its BMC guard). Each kernel build fans out to the four x86 QEMU
targets and the board. Every `bad_every`-th build is the known-bad commit (the triple-fault path
on by default) of a scratch kernel repository, which must come out FAIL/code.
"""
from __future__ import annotations

import math
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from rustux_bootlab.lab.contract import KERNEL_BUILDER
from rustux_bootlab.harness import hostnet
from rustux_bootlab.harness.chaos import checker
from rustux_bootlab.harness.chaos.checker import Counts, Recovery, Window
from rustux_bootlab.harness.chaos.nemesis import Nemesis, NemesisError, release_scratch, scratch_disk, victims
from rustux_bootlab.harness.chaos.observe import Observer, orphans_after_stop
from rustux_bootlab.harness.chaos.schedule import Fault, describe, plan
from rustux_bootlab.steps.auth import load_users
from rustux_bootlab.harness.host_lab import PORTS, VENV_BIN, HostLab, create, start, stop
from rustux_bootlab.harness.local_lab import REPO_ROOT, wait_for_workers

TARGETS = ("q35-pflash", "pc-pflash", "q35-bios", "pc-bios")
BOARD = "vboard-1"
GOOD = "known-good"
RECOVERY_LIMIT_S = 600


@dataclass
class FaultRun:
    fault: Fault
    started: float = 0.0  # epoch seconds
    healed: float = 0.0
    recovered: float | None = None
    noticed_s: float | None = None
    error: str | None = None

    def recovery(self) -> Recovery:
        # a kill is counted from the kill (its part restarts by itself, or by its service
        # manager after the hold); every other fault from its heal
        since = self.started if self.fault.kind == "kill" else self.healed
        return Recovery(self.fault.kind, None if self.recovered is None else self.recovered - since, self.noticed_s)

    def describe(self) -> str:
        r = self.recovery()
        back = "NOT RECOVERED" if r.seconds is None else f"back in {r.seconds:5.1f}s"
        seen = f", noticed in {self.noticed_s:.0f}s" if self.noticed_s is not None else ""
        return f"{self.fault.describe()}: {self.error or back}{seen}"


@dataclass
class ChaosResult:
    seed: int
    counts: Counts
    faults: list[FaultRun]
    planned: list[Fault]
    wall_s: float
    kernel_builds: int
    known_bad: int = 0
    notes: list[str] = field(default_factory=list)


def kernel_repo(path: Path) -> None:
    """This checkout's kernel as a repository of its own, on branch `known-good`."""
    for part in ("kernel", "userspace", "scripts"):
        shutil.copytree(REPO_ROOT / part, path / part, ignore=shutil.ignore_patterns("target"))
    shutil.copy2(REPO_ROOT / ".gitignore", path)
    git = ["git", "-C", str(path), "-c", "user.name=Rustux Lab", "-c", "user.email=lab@example.org"]
    subprocess.run([*git, "init", "-q", "-b", GOOD], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "the kernel as it is"], check=True)


def try_checkout(lab: HostLab) -> tuple[Path, Path]:
    """A developer's checkout of the kernel with the known-bad change in its working tree (the
    triple-fault path on by default: a real bug in the code), and the HOME whose try options
    hold the developer's try login (mode 600). Sent with `bootlab try`: a patched build, which
    the lab never bisects (lab/bisect_start.py rule 1) and which must come out FAIL/code."""
    checkout, home = lab.root / "try-checkout", lab.root / "try-home"
    subprocess.run(["git", "clone", "-q", "-b", GOOD, str(lab.root / "kernel-repo"), str(checkout)], check=True)
    cargo = checkout / "kernel/Cargo.toml"
    cargo.write_text(cargo.read_text().replace("[features]\n", "[features]\ndefault = [\"triple-fault\"]\n", 1))
    (home / ".buildbot").mkdir(parents=True)
    password = next(u.password for u in load_users(lab.master_secrets) if u.name == "developer")
    options = home / ".buildbot" / "options"
    options.touch(mode=0o600)
    options.write_text(f"try_username = 'developer'\ntry_passwd = {password!r}\n")
    return checkout, home


def chaos_inventory(root: Path, repo: Path) -> Path:
    base = yaml.safe_load((REPO_ROOT / "lab-inventory.yaml").read_text())
    base["lab"]["kernel"] = {"repo": str(repo), "branch": GOOD}  # the known-bad kernel comes by try
    base["targets"] = {t: base["targets"][t] for t in TARGETS}
    base["boards"] = {BOARD: base["boards"][BOARD]}
    base["workers"] = {n: w for n, w in base["workers"].items() if w["kind"] == "qemu" or n == base["boards"][BOARD]["worker"]}
    path = root / "base-inventory.yaml"
    path.write_text(yaml.safe_dump(base))
    return path


def build_lab(root: Path, qemu_hosts: int) -> HostLab:
    repo = root / "kernel-repo"
    kernel_repo(repo)
    return create(root, qemu_hosts, chaos_inventory(root, repo), cluster=True)


def prepare(lab: HostLab, qemu_hosts: int) -> None:
    scratch_disk(lab, f"qemu-{qemu_hosts}")
    repo = lab.root / "kernel-repo"
    # The kernel builder's checkout and, beside it, cargo's target dir warm, as a lab keeps them
    builder = lab.worker_dir("qemu-1") / KERNEL_BUILDER
    subprocess.run(["git", "clone", "-q", "-b", GOOD, str(repo), str(builder / "build")], check=True)
    subprocess.run(["cp", "-a", str(REPO_ROOT / "build/cargo"), str(builder / "cargo")], check=True)


class FaultLoop(threading.Thread):
    """The nemesis' clock: each fault at its time (or as soon as the previous one recovered)."""

    def __init__(self, lab: HostLab, faults: list[Fault], t0: float, log) -> None:
        super().__init__(daemon=True)
        self.nemesis, self.observer = Nemesis(lab), Observer(lab)
        self.faults, self.t0, self.log = faults, t0, log
        self.done = threading.Event()
        self.runs: list[FaultRun] = []
        self.hosts_workers = {h.name: h.workers for h in lab.plan.hosts}

    def run(self) -> None:
        for fault in self.faults:
            if self.done.wait(max(0.0, self.t0 + fault.at_s - time.time())):
                return
            run = FaultRun(fault)
            self.runs.append(run)
            self._one(run)
            self.log(run.describe())

    def _one(self, run: FaultRun) -> None:
        fault = run.fault
        run.started = time.time()
        try:
            self.nemesis.inject(fault)
        except (NemesisError, RuntimeError, subprocess.SubprocessError) as e:
            run.error, run.healed, run.recovered = f"not injected: {e}", time.time(), time.time()
            return
        watched = self.hosts_workers.get(fault.victim, ()) if fault.kind == "partition" else ()
        while time.time() < run.started + fault.hold_s:
            if watched and run.noticed_s is None and not self.observer.connected(watched):
                run.noticed_s = time.time() - run.started
            time.sleep(0.5)
        try:
            self.nemesis.heal(fault)
        except (NemesisError, RuntimeError, subprocess.SubprocessError) as e:  # told, and the lab not whole: unrecovered
            run.error = f"heal failed: {e}"
        run.healed = time.time()
        while time.time() < run.healed + RECOVERY_LIMIT_S:
            if not self.observer.unhealthy():
                run.recovered = time.time()
                return
            time.sleep(1)


def soak(seed: int, boots: int, scale: float = 1.0, bad_every: int = 5, qemu_hosts: int = 2,
         log=print, keep_failed: bool = True, minutes: float | None = None, min_faults: int = 0) -> ChaosResult:
    """`minutes`: no new kernel build after that long (a shared machine may not reach `boots`);
    what was triggered still runs to its end and is checked. `min_faults`: builds go on past
    `boots` until that many faults began (a fast machine would end before the schedule's)."""
    root = Path(tempfile.mkdtemp(prefix="bootlab-chaos-"))
    lab = build_lab(root, qemu_hosts)
    width = len(TARGETS) + 1
    builds = math.ceil(boots / width)
    killed: list[tuple[str, int]] = []
    try:
        prepare(lab, qemu_hosts)
        start(lab)
        wait_for_workers(lab.client(None), timeout_s=180)
        planned = plan(seed, victims(lab), horizon_s=builds * 120 + 3600, scale=scale)
        log(f"chaos: seed {seed}, {builds} kernel builds x {width} boots, faults scaled by {scale}")
        expected_s = builds * 120  # the schedule runs on while builds do; shown as far as a run is likely to go
        shown = [f for f in planned if f.at_s <= expected_s]
        log(f"schedule (replay: make chaos SEED={seed} BOOTS={boots} CHAOS_SCALE={scale}):\n{describe(shown)}\n"
            f"... {len(planned) - len(shown)} more planned should the run last past {expected_s} s")
        observer = Observer(lab, patience_s=900)
        trier = Trier(lab, observer)
        t0 = time.time()
        loop = FaultLoop(lab, planned, t0, log)
        loop.start()
        forced: list[tuple[int, bool]] = []
        i = 0
        while i < builds or len(loop.runs) < min_faults:
            if minutes is not None and time.time() - t0 > 60 * minutes:
                log(f"  {minutes:g} min up: no more kernel builds after {i}")
                break
            bad = bad_every > 0 and i % bad_every == bad_every - 1
            bsid, brid = trier.submit() if bad else observer.force()
            forced.append((bsid, bad))
            log(f"  kernel build {i + 1}/{builds}{' (known-bad)' if bad else ''}: buildset {bsid}")
            # the next once this one is claimed: Buildbot merges equal requests left pending together
            deadline = time.monotonic() + 1800
            while not observer.get(f"buildrequests/{brid}")["buildrequests"][0]["claimed"] and time.monotonic() < deadline:
                time.sleep(1)
            i += 1
        for bsid, _ in forced:
            _wait_complete(observer, bsid, 3600)
        loop.done.set()
        loop.join()
        trier.end()
        wall = time.time() - t0
        expected = (*TARGETS, BOARD)
        kernels, boot_runs = [], []
        for bsid, bad in forced:
            k, b = observer.kernel_run(bsid, bad, expected)
            kernels.append(k)
            boot_runs += b
        _settle(observer)
        pending, left_running, boards = observer.pending(), observer.boot_processes(), observer.boards_left()
        windows = [Window(r.started, r.recovered or time.time()) for r in loop.runs]
        unrecovered = [r.fault.describe() for r in loop.runs if r.recovered is None]
    finally:
        killed = stop(lab)
        release_scratch(lab)
    orphans = left_running + orphans_after_stop(root, killed)
    counts = checker.check(kernels, boot_runs, pending, orphans, boards, windows, unrecovered)
    left = [ns for ns in hostnet.namespaces() if ns.startswith(f"rbl{lab.plan.tag}-")]
    if left:
        counts.orphans += len(left)
        counts.problems.append(f"namespaces left: {left}")
    if counts.ok() or not keep_failed:
        shutil.rmtree(root, ignore_errors=True)
    else:
        counts.problems.append(f"the lab's files (logs, records) are kept in {root}")
    return ChaosResult(seed, counts, loop.runs, planned, wall, len(forced), sum(1 for _, b in forced if b))


class Trier:
    """`bootlab try` of the known-bad change, as a developer runs it (it follows its build)."""

    def __init__(self, lab: HostLab, observer: Observer) -> None:
        self.lab, self.observer = lab, observer
        self.checkout, self.home = try_checkout(lab)
        self.procs: list[subprocess.Popen] = []
        self.kernel_builder = next(b["builderid"] for b in observer.get("builders")["builders"] if b["name"] == KERNEL_BUILDER)

    def submit(self) -> tuple[int, int]:
        """The try's buildset and kernel build request, once the master took it (a try that
        found the ui master down is sent again)."""
        seen = {r["buildrequestid"] for r in self._kernel_requests()}
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            proc = self._send()
            while proc.poll() is None or proc.returncode != 2:
                new = [r for r in self._kernel_requests() if r["buildrequestid"] not in seen]
                if new:
                    return new[0]["buildsetid"], new[0]["buildrequestid"]
                if time.monotonic() > deadline:
                    break
                time.sleep(1)
            time.sleep(5)  # refused or unreachable: the ui master is down for now
        raise TimeoutError("bootlab try: no kernel build request from the try port for 900 s")

    def _send(self) -> subprocess.Popen:
        ui = self.lab.plan.host("ui").address
        log = (self.lab.root / "try.log").open("ab")
        proc = subprocess.Popen([str(VENV_BIN / "bootlab"), "try", "--inventory", str(self.lab.inventory_path),
                                 "--master", f"{ui}:{PORTS['try']}", "--web", self.lab.web_url, "--timeout", "7200"],
                                cwd=self.checkout, env={**os.environ, "HOME": str(self.home)}, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.procs.append(proc)
        return proc

    def _kernel_requests(self) -> list[dict]:
        return self.observer.get(f"buildrequests?builderid={self.kernel_builder}")["buildrequests"]

    def end(self) -> None:
        """Every try followed to its end by now; one still following (its web answer lost) is stopped."""
        for proc in self.procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.terminate()
                proc.wait(timeout=30)


def _wait_complete(observer: Observer, bsid: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if observer.get(f"buildsets/{bsid}")["buildsets"][0]["complete"]:
            return
        time.sleep(2)


def _settle(observer: Observer, timeout_s: float = 120) -> None:
    """Once every build is done, a boot's last processes (a record written) get a moment to end."""
    deadline = time.monotonic() + timeout_s
    while (observer.pending() or observer.boot_processes()) and time.monotonic() < deadline:
        time.sleep(2)


def report(result: ChaosResult) -> str:
    c = result.counts
    lines = [f"seed {result.seed}: {result.kernel_builds} kernel builds ({result.known_bad} known-bad), "
             f"{c.boots} boots with a verdict in {result.wall_s / 60:.1f} min; verdicts {c.verdicts}; "
             f"{len(result.faults)} faults; boots superseded by a retried kernel build {c.superseded}; "
             f"collapsed requests {c.collapsed}",
             f"lab ERRORs: {c.lab_errors}, of which with no fault under way: {c.lab_errors_quiet} "
             f"({100 * c.lab_errors_quiet / max(c.boots, 1):.2f} % of boots); known-bad that passed: {c.missed_bad}",
             "faults run:", *(f"  {r.describe()}" for r in result.faults),
             "recovery (kill: from the SIGKILL; the rest: from the heal; noticed: a partition seen by the engine):",
             checker.recovery_table([r.recovery() for r in result.faults])]
    if c.problems:
        lines += [f"PROBLEMS (replay: SEED={result.seed} with the same BOOTS and CHAOS_SCALE):",
                  *(f"  {p}" for p in c.problems), "the faults of this run, in order:",
                  describe([r.fault for r in result.faults])]
    lines.append(c.line())
    return "\n".join(lines)

