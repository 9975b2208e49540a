"""The demo and the tests' harness: a lab of real processes (a master, workers, virtual
boards: `local_lab`; across network-namespace hosts: `host_lab`, `hostnet`,
`hostfirewall`, `pidfile`; two masters on PostgreSQL and crossbar: `cluster/`), a REST
client of the master (`rest`) and a soak's statistics (`soakstats`). Nothing here runs in
a master."""
