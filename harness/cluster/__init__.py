"""The lab's shared state and its masters as real processes: PostgreSQL, crossbar (the WAMP
router) and two Buildbot masters, `engine` and `ui` (docs/multi-master.md says why two
roles and not two equal masters).

    python -m rustux_bootlab.harness.cluster create DIR --inventory INV [--db-addr A --db-port P ...]
    python -m rustux_bootlab.harness.cluster start DIR [db|router|engine|ui|all]
    python -m rustux_bootlab.harness.cluster stop DIR [db|router|engine|ui|all]
    python -m rustux_bootlab.harness.cluster status DIR        # JSON: each part's pid and address
    python -m rustux_bootlab.harness.cluster show DIR          # JSON: cluster.json, the addresses and ports

Layout under DIR:
    cluster.json                 addresses and ports, nothing secret (layout.py)
    secrets/                     0700: users, worker-<name>, db-password, pgpass (files 0600)
    db/data, db/run, db/postgres.log                 PostgreSQL 15 (db.py)
    router/.crossbar/config.json, router/node.log    crossbar (router.py)
    masters/engine/, masters/ui/                     Buildbot basedirs + supervisor (masters.py)
Each part binds only to the address given at `create`: run `start` inside a host's network
namespace (`ip netns exec`) and the daemon it leaves stays there.
"""
