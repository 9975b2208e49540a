"""The cluster as real processes on loopback: PostgreSQL 15, crossbar, the engine and ui masters
(steps.cluster), one QEMU worker on the engine. A build forced on the ui master runs on the
engine and is visible through both masters' REST APIs; the database password is in no
process's command line or environment, no log and no web page. Wall time: ~2 min (most of it
the first kernel build and one TCG boot)."""
from __future__ import annotations

import os
from pathlib import Path

import psycopg2
import pytest

from steps.cluster import db, masters
from tests.integration.cluster_support import TARGET, cluster_root, down, processes_of, up

pytestmark = [pytest.mark.hosts, pytest.mark.slow, pytest.mark.qemu]


@pytest.fixture(scope="module")
def cluster():
    root = cluster_root()
    cluster, worker = up(root)
    try:
        yield cluster
    finally:
        down(cluster, worker)
        left = processes_of(root)
        assert not left, f"left running: {left}"


@pytest.fixture(scope="module")
def forced(cluster):
    return masters.client(cluster, "ui", "developer").force_and_wait("force-kernel", timeout_s=900)


def test_a_build_forced_on_the_ui_master_runs_on_the_engine_and_both_show_it(cluster, forced):
    assert forced.kernel_result == "success", forced.kernel_state
    assert [(b["target"], b["verdict"]) for b in forced.boots] == [(TARGET, "PASS")]
    engine, ui = masters.client(cluster, "engine"), masters.client(cluster, "ui")
    names = {m["masterid"]: m["name"] for m in engine.get("masters")["masters"]}
    assert sorted(n.rsplit("/", 1)[-1] for n in names.values()) == ["engine", "ui"]
    for build in (forced.kernel_buildid, forced.boots[0]["buildid"]):
        seen = [c.get(f"builds/{build}")["builds"][0] for c in (engine, ui)]
        assert seen[0] == seen[1], "both masters read the same build from the shared database"
        assert names[seen[0]["masterid"]].endswith("/engine"), "every build runs on the engine"
    boot = forced.boots[0]["buildid"]
    assert ui.properties(boot)["verdict"] == engine.properties(boot)["verdict"] == "PASS"


def test_the_database_password_is_in_no_argv_environment_log_or_page(cluster, forced):
    password = cluster.db_password.read_text().strip()
    assert len(password) >= 24
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            for what in ("cmdline", "environ"):
                try:
                    assert password.encode() not in (proc / what).read_bytes(), f"{proc.name} {what}"
                except (FileNotFoundError, PermissionError, ProcessLookupError):
                    pass
    for log in cluster.root.rglob("*.log"):
        assert password not in log.read_text(errors="replace"), log
    for name in ("engine", "ui"):
        client = masters.client(cluster, name)
        for page in ("masters", f"builds/{forced.kernel_buildid}/properties", "workers", "schedulers"):
            assert password not in str(client.get(page)), (name, page)
    modes = {p.name: p.stat().st_mode & 0o777 for p in cluster.secrets_dir.iterdir()}
    assert modes["pgpass"] == modes["db-password"] == 0o600 and cluster.secrets_dir.stat().st_mode & 0o777 == 0o700


def test_postgresql_lets_the_lab_in_only_with_its_password(cluster):
    db.connect(cluster).close()
    no_passfile = {"host": cluster.db.addr, "port": cluster.db.port, "user": "bootlab", "dbname": "bootlab",
                   "passfile": os.devnull, "connect_timeout": 5}
    with pytest.raises(psycopg2.OperationalError, match="password"):
        psycopg2.connect(**no_passfile)
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(**no_passfile, password="not-the-password")
    with pytest.raises(psycopg2.OperationalError):  # the superuser has no login over TCP
        psycopg2.connect(**{**no_passfile, "user": "postgres", "dbname": "postgres"}, password="")
