"""The matrix: one row per kernel revision (push, try, forced), one column per target on each
environment it booted on, and per board: image x target x environment.

A cell is the newest boot of that row's kernel on that column (a RETRY re-queues a boot, so a
row can hold two builds of one builder: the later one counts). A target booted on hosts of two
distributions (their QEMU and firmware differ) has a column for each; a boot that does not say
where it ran counts on the target's inventory environment. Columns are the inventory's order
(a target's inventory environment first), then anything booted that the inventory no longer
lists.

Where one image fails on a lane (target x environment) and passes on another of the same
machine type, the row carries the comparison and the lab's decision about it
(lab/environments.py), from the golden image's newest boot on the failing lane (the nightly
compatibility build's, `golden/<target>`) when there is one.
"""
from __future__ import annotations

from dataclasses import dataclass

from rustux_bootlab.lab.environments import Lane, judge_each
from rustux_bootlab.lab.verdict import Outcome, Verdict
from rustux_bootlab.steps.dashboard.facts import Boot, KernelRun


@dataclass(frozen=True)
class Decision:
    """One lane of a comparison: the boot's own verdict and what the comparison made of it."""

    lane: str  # `q35-pflash (debian13, 10.0.13)`
    own: str  # the boot's headline, `FAIL/code`
    decided: Outcome


@dataclass(frozen=True)
class Comparison:
    """One machine type of a row where the image passed on a lane and failed on another."""

    machine: str
    decisions: tuple[Decision, ...]


@dataclass(frozen=True)
class Row:
    run: KernelRun
    cells: tuple[Boot | None, ...]
    comparisons: tuple[Comparison, ...] = ()

    @property
    def label(self) -> str:
        """`try 1a2b3c4d`, `push 1a2b3c4d`, `forced`."""
        rev = (self.run.revision or "")[:8]
        return f"{self.run.kind} {rev}".strip()


@dataclass(frozen=True)
class Matrix:
    columns: tuple[str, ...]  # the subject of each column (a target twice when it ran on two environments)
    rows: tuple[Row, ...]
    environments: tuple[str | None, ...] = ()  # each column's environment (None: a board, or not known)
    qemus: tuple[str | None, ...] = ()  # the QEMU version its newest boot ran

    @property
    def running(self) -> bool:
        return any(not r.run.complete or any(c is not None and not c.complete for c in r.cells) for r in self.rows)


def build_matrix(runs: list[KernelRun], known: list[str], environments: dict[str, str] | None = None,
                 machines: dict[str, str] | None = None, golden: list[Boot] | None = None) -> Matrix:
    """`runs` newest first; `known`: the inventory's targets then boards, in its order;
    `environments`, `machines`: each target's inventory environment and machine type; `golden`:
    golden-image boots, newest first."""
    environments, machines = environments or {}, machines or {}

    def where(boot: Boot) -> tuple[str, str | None]:
        return boot.subject, boot.environment or environments.get(boot.subject)

    boots = [b for run in runs for b in run.boots]
    seen = {where(b) for b in boots}
    keys = []
    for subject in list(known) + sorted({s for s, _ in seen} - set(known)):
        own = environments.get(subject)
        keys += [(subject, own)] + sorted(((s, e) for s, e in seen if s == subject and e != own), key=lambda k: k[1] or "")
    rows = []
    for run in runs:
        newest: dict[tuple[str, str | None], Boot] = {}
        for boot in sorted(run.boots, key=lambda b: b.buildid):
            newest[where(boot)] = boot
        cells = tuple(newest.get(k) for k in keys)
        rows.append(Row(run, cells, _comparisons(cells, keys, machines, golden or [], where)))
    qemus = tuple(next((b.qemu for b in boots if where(b) == k and b.qemu), None) for k in keys)
    return Matrix(tuple(s for s, _ in keys), tuple(rows), tuple(e for _, e in keys), qemus)


def _comparisons(cells, keys, machines: dict[str, str], golden: list[Boot], where) -> tuple[Comparison, ...]:
    by_machine: dict[str, list[tuple[Boot, Outcome]]] = {}
    for key, cell in zip(keys, cells):
        if cell is not None and key[0] in machines and (outcome := cell.outcome) is not None:
            by_machine.setdefault(machines[key[0]], []).append((cell, outcome))
    found = []
    for machine, booted in by_machine.items():
        verdicts = {o.verdict for _, o in booted}
        if Verdict.PASS not in verdicts or verdicts == {Verdict.PASS}:
            continue
        lanes = [Lane(b.subject, where(b)[1] or "environment unknown", b.qemu, o, _golden_on(where(b), golden, where))
                 for b, o in booted]
        found.append(Comparison(machine, tuple(Decision(lane.label, b.headline, decided)
                                               for lane, (b, _), decided in zip(lanes, booted, judge_each(lanes)))))
    return tuple(found)


def _golden_on(key, golden: list[Boot], where) -> Outcome | None:
    """The newest verdict of the golden image on the lane (the same target and environment)."""
    return next((b.outcome for b in golden if where(b) == key and b.outcome is not None), None)
