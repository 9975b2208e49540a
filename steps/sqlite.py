"""The single master's SQLite database: one connection kept open, commits synced at checkpoints.

Buildbot opens SQLite with no pool (a new connection per transaction) behind one database
thread. Closing the only connection checkpoints the write-ahead log and deletes it, and every
commit waits for an fsync: a fan-out's few hundred small transactions (build starts, steps,
log chunks) queue behind that one thread on the boots' critical path. Kept open, the WAL is
checkpointed as it grows; `synchronous = normal` in WAL mode keeps the database consistent
through a killed master and loses at most the last transactions on a power cut.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import event, pool


class LabSqlitePool(pool.SingletonThreadPool):
    """One connection per thread; the master's SQLite access runs on one database thread."""


@event.listens_for(LabSqlitePool, "connect")
def _sync_at_checkpoints(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("pragma synchronous = normal")


def engine_kwargs() -> dict:
    # check_same_thread off: the pool is closed from the reactor thread at shutdown.
    return {"poolclass": LabSqlitePool, "connect_args": {"check_same_thread": False}}
