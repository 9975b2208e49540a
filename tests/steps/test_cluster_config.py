"""Two masters' configuration (steps/settings.py, steps/config.py) and the cluster's plain
parts (harness/cluster/layout.py, the supervisor's rules): no process runs here."""
from __future__ import annotations

from pathlib import Path

import pytest
from buildbot.process.results import RETRY

from rustux_bootlab.lab.inventory import load_inventory
from rustux_bootlab.steps.auth import load_users
from rustux_bootlab.harness.cluster.layout import Cluster, Endpoint, crossbar_config, load_cluster, pg_hba_conf, pgpass_line
from rustux_bootlab.harness.cluster.masters import _error_excerpt, restart_delay
from rustux_bootlab.steps import sqlite
from rustux_bootlab.steps.config import build_config
from rustux_bootlab.steps.parent import lost_parent
from rustux_bootlab.steps.settings import settings_from_env

REPO = Path(__file__).resolve().parents[2]
PG = "postgresql+psycopg2://bootlab@10.0.0.2:5432/bootlab"
MQ = "ws://10.0.0.3:8080/ws"


def config_for(tmp_path: Path, **env: str) -> dict:
    (tmp_path / "users").write_text("dev developer pw1\nops operator pw2\n")
    (tmp_path / "users").chmod(0o600)
    settings = settings_from_env(REPO, {"BOOTLAB_SECRETS": str(tmp_path), "BOOTLAB_POLL_S": "60", **env})
    return build_config(load_inventory(settings.inventory), settings, load_users(tmp_path), tmp_path)


def scheduler_names(cfg: dict) -> set[str]:
    return {s.name for s in cfg["schedulers"]}


def test_the_default_is_one_master_on_sqlite_with_every_scheduler(tmp_path):
    cfg = config_for(tmp_path)
    assert "multiMaster" not in cfg and "mq" not in cfg
    assert cfg["db"] == {"db_url": "sqlite:///state.sqlite", "engine_kwargs": sqlite.engine_kwargs()}
    assert cfg["protocols"] == {"pb": {"port": "tcp:9989:interface=127.0.0.1"}}
    assert {"force-kernel", "try", "push", "nightly-golden", "boot-q35-pflash"} <= scheduler_names(cfg)
    assert cfg["buildbotURL"] == "http://localhost:8010/"


def test_each_scheduler_is_on_one_master_only_people_on_ui_the_lab_on_engine(tmp_path):
    cluster = {"BOOTLAB_DB_URL": PG, "BOOTLAB_MQ_URL": MQ}
    engine = config_for(tmp_path, BOOTLAB_MASTER_ROLE="engine", BOOTLAB_BIND="10.0.0.4", **cluster)
    ui = config_for(tmp_path, BOOTLAB_MASTER_ROLE="ui", BOOTLAB_BIND="10.0.0.5", **cluster)
    assert not scheduler_names(engine) & scheduler_names(ui), "a scheduler on both could add a buildset twice"
    assert {"force-kernel", "force-golden", "board-action", "try"} == scheduler_names(ui)
    assert {"push", "nightly-golden", "nightly-bmc-check", "boot-q35-pflash", "bisect-q35-pflash"} <= scheduler_names(engine)
    assert ui["change_source"] == [] and engine["change_source"], "the git poller runs on the engine"
    for cfg in (engine, ui):
        assert cfg["multiMaster"] is True
        assert cfg["mq"] == {"type": "wamp", "router_url": MQ, "realm": "bootlab"}
        assert cfg["db"] == {"db_url": PG, "engine_kwargs": {"pool_pre_ping": True}}
        # the same builders and workers on both, so either can add and collapse requests
        assert [b.name for b in cfg["builders"]] == [b.name for b in engine["builders"]]
    assert engine["protocols"] == {"pb": {"port": "tcp:9989:interface=10.0.0.4"}}
    assert ui["protocols"] == {"null": {}}, "no worker connects to the ui master"
    assert ui["www"]["port"] == "tcp:8010:interface=10.0.0.5" and ui["buildbotURL"] == "http://10.0.0.5:8010/"


@pytest.mark.parametrize("env, message", [
    ({"BOOTLAB_MASTER_ROLE": "both"}, "BOOTLAB_MASTER_ROLE='both': expected one of single, engine, ui"),
    ({"BOOTLAB_MASTER_ROLE": "engine", "BOOTLAB_DB_URL": PG}, "needs the WAMP router: set BOOTLAB_MQ_URL"),
    ({"BOOTLAB_MASTER_ROLE": "ui", "BOOTLAB_MQ_URL": MQ}, "masters cannot share SQLite"),
    ({"BOOTLAB_MQ_URL": "tcp://x:1"}, "expected the WAMP router's ws://HOST:PORT/ws"),
])
def test_a_cluster_setting_that_cannot_work_says_what_to_set(env, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("[", r"\[")):
        settings_from_env(REPO, env)


def test_a_password_in_the_database_url_is_refused_without_repeating_it():
    with pytest.raises(ValueError, match="pgpass") as e:
        settings_from_env(REPO, {"BOOTLAB_DB_URL": "postgresql://bootlab:s3cret-pw@db/bootlab"})
    assert "s3cret-pw" not in str(e.value)


def cluster(tmp_path: Path) -> Cluster:
    return Cluster(root=tmp_path, inventory=tmp_path / "inv.yaml", db=Endpoint("10.0.0.2", 5432),
                   router=Endpoint("10.0.0.3", 8080), engine_web=Endpoint("10.0.0.4", 8010),
                   engine_pb=Endpoint("10.0.0.4", 9989), ui_web=Endpoint("10.0.0.5", 8010), ui_try=Endpoint("10.0.0.5", 8031))


def test_cluster_json_round_trips_and_the_masters_get_no_password(tmp_path):
    c = cluster(tmp_path)
    (tmp_path / "cluster.json").write_text(c.to_json())
    assert load_cluster(tmp_path) == c
    env = c.master_env("ui")
    assert env["BOOTLAB_DB_URL"] == "postgresql+psycopg2://bootlab@10.0.0.2:5432/bootlab"
    assert env["PGPASSFILE"] == str(tmp_path / "secrets" / "pgpass")
    assert (env["BOOTLAB_MASTER_ROLE"], env["BOOTLAB_BIND"], env["BOOTLAB_MQ_URL"]) == ("ui", "10.0.0.5", "ws://10.0.0.3:8080/ws")
    settings = settings_from_env(REPO, env)  # what the master will make of it
    assert (settings.role, settings.try_port, settings.pb_port) == ("ui", 8031, 9989)
    with pytest.raises(FileNotFoundError, match="python -m rustux_bootlab.harness.cluster create"):
        load_cluster(tmp_path / "nowhere")


def test_pgpass_escapes_what_libpq_would_split_on():
    assert pgpass_line(Endpoint("h", 1), "a:b\\c") == "h:1:bootlab:bootlab:a\\:b\\\\c\n"


def test_postgresql_admits_only_the_lab_role_over_tcp_and_the_router_binds_its_address():
    hba = [line.split() for line in pg_hba_conf(["10.0.0.4", "10.0.0.5", "10.0.0.2"]).splitlines()]
    assert all(line[4] == "scram-sha-256" and line[1:3] == ["bootlab", "bootlab"] for line in hba if line[0] == "host")
    assert [line[3] for line in hba if line[0] == "host"] == ["10.0.0.4/32", "10.0.0.5/32", "10.0.0.2/32"]
    transport = crossbar_config(Endpoint("10.0.0.3", 8080))["workers"][0]["transports"][0]
    assert transport["endpoint"] == {"type": "tcp", "interface": "10.0.0.3", "port": 8080}


def test_the_supervisor_backs_off_from_a_master_that_keeps_dying_young():
    delays, delay = [], 0.0
    for _ in range(7):
        delay = restart_delay(delay, lived_s=2)
        delays.append(delay)
    assert delays == [1, 2, 4, 8, 16, 30, 30]
    assert restart_delay(30, lived_s=600) == 1, "a master that ran a while comes back at once"


def test_a_startup_failure_is_told_by_its_own_line():
    config = ("2026 [-] Configuration Errors:\n2026 [-]   workers are configured, but c['protocols'] not\n"
              "2026 [-] Halting master.\n2026 [-] BuildMaster startup failed\n")
    assert _error_excerpt(config) == "workers are configured, but c['protocols'] not"
    crash = ("2026 [-] while starting BuildMaster\n\tTraceback (most recent call last):\n"
             "\t  File \"x.py\", line 1\n\tbuiltins.ModuleNotFoundError: No module named 'psycopg'\n"
             "2026 [-] BuildMaster startup failed\n")
    assert _error_excerpt(crash) == "builtins.ModuleNotFoundError: No module named 'psycopg'"


def test_a_boot_runs_only_while_the_kernel_build_that_triggered_it_runs():
    assert lost_parent(None) is None, "a boot forced by hand has no parent"
    assert lost_parent({"number": 7, "complete": False, "results": None}) is None
    why = lost_parent({"number": 7, "complete": True, "results": RETRY})
    assert why.startswith("kernel build 7 ended (retry) before this boot started")
