"""The matrix: one row per kernel revision (push, try, forced), one column per target and board.

A cell is the newest boot of that row's kernel on that column (a RETRY re-queues a boot, so a
row can hold two builds of one builder: the later one counts). Columns are the inventory's
order, then anything booted that the inventory no longer lists.
"""
from __future__ import annotations

from dataclasses import dataclass

from steps.dashboard.facts import Boot, KernelRun


@dataclass(frozen=True)
class Row:
    run: KernelRun
    cells: tuple[Boot | None, ...]

    @property
    def label(self) -> str:
        """`try 1a2b3c4d`, `push 1a2b3c4d`, `forced`."""
        rev = (self.run.revision or "")[:8]
        return f"{self.run.kind} {rev}".strip()


@dataclass(frozen=True)
class Matrix:
    columns: tuple[str, ...]
    rows: tuple[Row, ...]

    @property
    def running(self) -> bool:
        return any(not r.run.complete or any(c is not None and not c.complete for c in r.cells) for r in self.rows)


def build_matrix(runs: list[KernelRun], known: list[str]) -> Matrix:
    """`runs` newest first; `known`: the inventory's targets then boards, in its order."""
    booted = [b.subject for run in runs for b in run.boots]
    columns = list(known) + sorted(set(booted) - set(known))
    rows = []
    for run in runs:
        newest: dict[str, Boot] = {}
        for boot in sorted(run.boots, key=lambda b: b.buildid):
            newest[boot.subject] = boot
        rows.append(Row(run, tuple(newest.get(c) for c in columns)))
    return Matrix(tuple(columns), tuple(rows))
