"""What went in against what came out: the chaos soak's counts (pure; bench/chaos.py feeds it).

A kernel build fans out one boot per target and board; each boot request ends with builds, of
which those not RETRY or CANCELLED are final. For each (kernel build, target) it fanned out to:
  lost        no final build, or a final build that gave no verdict; also a kernel build that
              ended without fanning out (its boots never ran)
  duplicated  every final build past the first, and a boot of a target it never fanned out to
The boots of a kernel build that was itself retried (RETRY: a master lost it) are superseded:
its request's last kernel build reports; they are counted apart, and must not FAIL/code either.
  false_fail  FAIL/code for a known-good kernel
  missed_bad  a known-bad kernel that passed (it must still come out FAIL/code)
  stuck       a build request or build still pending or running at the end, a board left
              powered on or locked, a fault the lab never recovered from
  orphans     a QEMU, ipmi_sim, dnsmasq or bootlab process left behind
`lab_errors_quiet`: ERROR verdicts of boots that overlapped no fault (the goal: at most 0.5 %).
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field

SKIPPED, RETRY, CANCELLED = 3, 5, 6  # Buildbot's results codes: not a final build


@dataclass(frozen=True)
class KernelRun:
    buildid: int | None  # None: the kernel build never ran to an end
    known_bad: bool
    fanned_out: tuple[str, ...]  # targets and boards it triggered (empty: it failed first)
    results: int | None


@dataclass(frozen=True)
class BootRun:
    kernel_buildid: int
    known_bad: bool
    target: str
    results: int | None  # None: still running
    verdict: str | None
    culprit: str | None
    started_at: float
    complete_at: float | None


@dataclass(frozen=True)
class Window:
    """A fault, from its injection to the lab's recovery (epoch seconds)."""

    start: float
    end: float


@dataclass
class Counts:
    lost: int = 0
    duplicated: int = 0
    false_fail: int = 0
    missed_bad: int = 0
    stuck: int = 0
    orphans: int = 0
    boots: int = 0
    collapsed: int = 0
    superseded: int = 0
    lab_errors: int = 0
    lab_errors_quiet: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.false_fail or self.missed_bad or self.stuck or self.orphans)

    def line(self) -> str:
        return (f"lost={self.lost} duplicated={self.duplicated} false_fail={self.false_fail} "
                f"stuck={self.stuck} orphans={self.orphans}")


def check(kernels: list[KernelRun], boots: list[BootRun], pending: list[str], orphans: list[str],
          boards_left: list[str], faults: list[Window], unrecovered: list[str]) -> Counts:
    c = Counts()
    by_kernel: dict[int, dict[str, list[BootRun]]] = {}
    known_bad = {b.kernel_buildid: b.known_bad for b in boots}
    for b in boots:
        by_kernel.setdefault(b.kernel_buildid, {}).setdefault(b.target, []).append(b)
    for k in kernels:
        if k.buildid is None and k.results == SKIPPED:  # Buildbot merged it into an equal request: no build owed
            c.collapsed += 1
            continue
        if k.buildid is None or not k.fanned_out:
            if k.known_bad and k.results == 2:  # a known-bad commit may not even build: that is its FAIL
                continue
            c.lost += 1
            c.problems.append(f"kernel build {k.buildid}: ended ({k.results}) without fanning out its boots")
            continue
        runs = by_kernel.pop(k.buildid, {})
        for target in k.fanned_out:
            _judge_target(c, k, target, runs.pop(target, []), faults)
        for target, extra in runs.items():
            c.duplicated += len(extra)
            c.problems.append(f"kernel build {k.buildid}: {len(extra)} boot(s) of {target}, never fanned out to")
    for kernel_buildid, runs in by_kernel.items():  # boots of a kernel build retried since: its retry reports
        for r in (r for rs in runs.values() for r in rs):
            c.superseded += 1
            if r.verdict == "FAIL" and r.culprit == "code" and not known_bad.get(kernel_buildid, False):
                c.false_fail += 1
                c.problems.append(f"kernel build {kernel_buildid} (retried) on {r.target}: FAIL/code for a known-good kernel")
    c.stuck += len(pending) + len(boards_left) + len(unrecovered)
    c.problems += [f"pending at the end: {p}" for p in pending] + [f"board left: {b}" for b in boards_left]
    c.problems += [f"not recovered: {u}" for u in unrecovered]
    c.orphans = len(orphans)
    c.problems += [f"left behind: {o}" for o in orphans]
    return c


def _judge_target(c: Counts, k: KernelRun, target: str, runs: list[BootRun], faults: list[Window]) -> None:
    final = [r for r in runs if r.results is not None and r.results not in (RETRY, CANCELLED)]
    where = f"kernel build {k.buildid} on {target}"
    if not final:
        c.lost += 1
        c.problems.append(f"{where}: no final verdict ({len(runs)} build(s), none final)")
        return
    if len(final) > 1:
        c.duplicated += len(final) - 1
        c.problems.append(f"{where}: {len(final)} final verdicts: {[r.verdict for r in final]}")
    run = final[0]
    if run.verdict is None:
        c.lost += 1
        c.problems.append(f"{where}: its build ended ({run.results}) without a verdict")
        return
    c.boots += 1
    c.verdicts[run.verdict] = c.verdicts.get(run.verdict, 0) + 1
    if run.verdict == "FAIL" and run.culprit == "code" and not k.known_bad:
        c.false_fail += 1
        c.problems.append(f"{where}: FAIL/code for a known-good kernel")
    if k.known_bad and run.verdict == "PASS":
        c.missed_bad += 1
        c.problems.append(f"{where}: PASS for the known-bad kernel")
    if run.verdict == "ERROR":
        c.lab_errors += 1
        if not any(_overlaps(r, w) for r in runs for w in faults):
            c.lab_errors_quiet += 1
            c.problems.append(f"{where}: ERROR/{run.culprit} with no fault under way")


def _overlaps(run: BootRun, w: Window) -> bool:
    end = run.complete_at if run.complete_at is not None else float("inf")
    return run.started_at <= w.end and w.start <= end


@dataclass(frozen=True)
class Recovery:
    kind: str
    seconds: float | None  # None: not recovered
    noticed_s: float | None = None  # a silent partition: when the master saw the worker gone


def recovery_table(recoveries: list[Recovery]) -> str:
    """Per fault kind: how many, recovered, median and max seconds from heal to a whole lab."""
    rows = ["| fault | count | recovered | median s | max s | noticed (median / max s) |", "|---|---|---|---|---|---|"]
    for kind in sorted({r.kind for r in recoveries}):
        of = [r for r in recoveries if r.kind == kind]
        back = [r.seconds for r in of if r.seconds is not None]
        seen = [r.noticed_s for r in of if r.noticed_s is not None]
        rows.append(f"| {kind} | {len(of)} | {len(back)} | {_num(statistics.median(back) if back else None)} | "
                    f"{_num(max(back) if back else None)} | "
                    f"{f'{statistics.median(seen):.0f} / {max(seen):.0f}' if seen else '-'} |")
    return "\n".join(rows)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"
