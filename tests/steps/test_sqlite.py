"""The single master's SQLite engine (steps/sqlite.py), made the way Buildbot makes it
(its enginestrategy, a real database file): one connection kept, synced at checkpoints."""
from __future__ import annotations

import threading
from pathlib import Path

from buildbot.db import enginestrategy

from rustux_bootlab.steps import sqlite


def _engine(basedir: Path):
    return enginestrategy.create_engine("sqlite:///state.sqlite", basedir=str(basedir), **sqlite.engine_kwargs())


def _on_db_thread(fn):
    """Buildbot runs every SQLite query on one database thread, not the reactor's."""
    out: list = []
    thread = threading.Thread(target=lambda: out.append(fn()))
    thread.start()
    thread.join()
    return out[0]


def test_transactions_share_one_connection_in_wal_mode_synced_at_checkpoints(tmp_path: Path) -> None:
    engine = _engine(tmp_path)

    def work():
        seen = []
        with engine.begin() as conn:
            conn.exec_driver_sql("create table t (x integer)")
            seen.append(conn.connection.dbapi_connection)
        for x in range(3):
            with engine.begin() as conn:
                conn.exec_driver_sql(f"insert into t values ({x})")
                seen.append(conn.connection.dbapi_connection)
        with engine.connect() as conn:
            pragmas = (conn.exec_driver_sql("pragma journal_mode").scalar(), conn.exec_driver_sql("pragma synchronous").scalar())
        return seen, pragmas, (tmp_path / "state.sqlite-wal").exists()

    seen, pragmas, wal_kept = _on_db_thread(work)
    assert len({id(c) for c in seen}) == 1, "a connection per transaction: each close checkpoints the log"
    assert pragmas == ("wal", 1)  # 1: NORMAL
    assert wal_kept, "the write-ahead log was checkpointed and deleted between transactions"
    engine.dispose()  # from another thread than the connection's, as the master does at shutdown


def test_what_one_engine_committed_is_in_the_file_for_the_next(tmp_path: Path) -> None:
    engine = _engine(tmp_path)

    def write():
        with engine.begin() as conn:
            conn.exec_driver_sql("create table t (x integer)")
            conn.exec_driver_sql("insert into t values (7)")

    _on_db_thread(write)
    engine.dispose()
    again = _engine(tmp_path)
    with again.connect() as conn:
        assert conn.exec_driver_sql("select x from t").scalar() == 7
    again.dispose()
