"""What runs on a worker host: the boot run over a machine, its drivers and the `bootlab` CLI.

`run` (the one boot loop) over a `machine` (the protocols: power, console, deploy):
`boot` (a QEMU target), `board/` (a board: its session, parts, lock); the drivers in
`power/`, `console/`, `deploy/`; `qemu/` (command lines, process, QMP, attachments: screen,
keyboard, early start); `triage` and `lastpass` (baseline and sibling boots); `passes`
(learned deadlines' history); `capture` (raw logs, timeline); `progress`; `vboard/` (virtual
boards); `snapshot/`, `warm/` (warm boots); `bootlab/` (the CLI, a module per command).
Never imports Buildbot: a worker host needs no master code (tests/unit/test_layering.py).
"""
