"""What runs on a worker host: the QEMU runner and the `bootlab` CLI.

One concern per module: `qemu.command` (QEMU argv from a target profile), `qemu.process`
(QEMU in its own process group, dying with the runner), `qemu.qmp` (screendump, quit),
`png` (PPM to PNG), `kvm` (accel probe), `capture` (channel sockets, raw logs, timeline),
`record` (result.json), `boot` (one boot session), `triage` (baseline re-boot),
`progress` (terminal and machine-readable progress), `cli` (`bootlab`).
Never imports Buildbot: a worker host needs no master code.
"""
