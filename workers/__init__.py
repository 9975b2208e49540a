"""What runs on a worker host: the boot run over a machine, its drivers and the `bootlab` CLI.

`run` (the one boot loop) over a `machine` (the protocols: power, console, deploy):
`qemu/` (a QEMU target: `machine`, its command line, process, QMP, KVM probe, attachments:
screen, keyboard, early start) and `board/` (a board: its session, parts, lock); a board's
drivers in `power/`, `console/`, `deploy/`; what a boot is given in `artifacts/` (ESP images
and their cache, firmware scans); what a conversation types in `input/`; `warm/` (warm boots
and their snapshots); `triage` and `lastpass` (baseline and sibling boots); `passes` (learned
deadlines' history); `capture` (raw logs, timeline); `progress`; `interrupt` (signals as a
flag); `vboard/` (virtual boards); `tryjob/` (`bootlab try` without its command line);
`bootlab/` (the CLI, a module per command).
Never imports Buildbot: a worker host needs no master code (tests/unit/test_layering.py).
"""
