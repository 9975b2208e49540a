"""The cluster's PostgreSQL: Debian's postgresql-15, one cluster under DIR/db, run by pg_ctl.

PostgreSQL refuses to run as root: as root we run it as the `postgres` user the Debian
package creates, and hand it DIR/db; as anyone else it runs as ourselves. The lab's role
`bootlab` gets a generated password, set as a SCRAM verifier computed here, so the
password itself never reaches the server, a log or a command line; the masters read it
from a pgpass file (PGPASSFILE).
"""
from __future__ import annotations

import os
import pwd
import secrets
import subprocess
import time
from pathlib import Path

from rustux_bootlab.harness.cluster.layout import DB_NAME, DB_USER, Cluster, pg_hba_conf, pgpass_line, postgresql_conf

PG_BIN = Path("/usr/lib/postgresql/15/bin")
RUN_AS = "postgres"


class DatabaseError(RuntimeError):
    pass


def _owner() -> pwd.struct_passwd | None:
    """The user PostgreSQL runs as: `postgres` when we are root, else None (ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(RUN_AS)
    except KeyError:
        raise DatabaseError(f"no `{RUN_AS}` user to run PostgreSQL as (it refuses root): "
                            "install Debian's postgresql-15 (scripts/install-deps.sh)") from None


def _pg(cluster: Cluster, tool: str, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    exe = PG_BIN / tool
    if not exe.exists():
        raise DatabaseError(f"{exe} is missing: install Debian's postgresql-15 (scripts/install-deps.sh)")
    owner = _owner()
    argv = [str(exe), *args]
    if owner is not None:
        argv = ["runuser", "-u", owner.pw_name, "--", *argv]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=cluster.db_dir)
    if check and proc.returncode != 0:
        raise DatabaseError(f"{tool} {args[0] if args else ''} failed ({proc.returncode}): "
                            f"{(proc.stderr or proc.stdout).strip()[-800:]} (log: {log_file(cluster)})")
    return proc


def data_dir(cluster: Cluster) -> Path:
    return cluster.db_dir / "data"


def socket_dir(cluster: Cluster) -> Path:
    return cluster.db_dir / "run"


def log_file(cluster: Cluster) -> Path:
    return cluster.db_dir / "postgres.log"


def _check_reachable(path: Path, owner: pwd.struct_passwd | None) -> None:
    if owner is None:
        return
    for parent in [path, *path.parents]:
        st = parent.stat()
        if st.st_uid != owner.pw_uid and not st.st_mode & 0o001:
            raise DatabaseError(f"{parent}: the `{owner.pw_name}` user that runs PostgreSQL cannot reach "
                                f"{path}: make {parent} searchable (chmod o+x {parent}) or put the cluster elsewhere")


def create(cluster: Cluster) -> None:
    """initdb, the lab's config, role and database; the password into secrets/. Once."""
    if (data_dir(cluster) / "PG_VERSION").exists():
        return
    owner = _owner()
    for d in (cluster.db_dir, socket_dir(cluster)):
        d.mkdir(parents=True, exist_ok=True)
    socket_dir(cluster).chmod(0o700)
    _check_reachable(cluster.db_dir, owner)
    if owner is not None:
        for d in (cluster.db_dir, socket_dir(cluster)):
            os.chown(d, owner.pw_uid, owner.pw_gid)
    _pg(cluster, "initdb", "-D", str(data_dir(cluster)), "-U", "postgres", "-E", "UTF8",
        "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256")
    conf = data_dir(cluster) / "postgresql.conf"
    with conf.open("a") as f:
        f.write("\n# rustux boot lab (harness/cluster/db.py)\n" + postgresql_conf(cluster.db, socket_dir(cluster)))
    (data_dir(cluster) / "pg_hba.conf").write_text(pg_hba_conf([cluster.engine_web.addr, cluster.ui_web.addr, cluster.db.addr]))
    password = secrets.token_urlsafe(24)
    _write_secret(cluster.db_password, password + "\n")
    _write_secret(cluster.pgpass, pgpass_line(cluster.db, password))
    _pg(cluster, "pg_ctl", "start", "-D", str(data_dir(cluster)), "-l", str(log_file(cluster)), "-w", "-t", "60")
    _create_role(cluster, password)
    wait_for_login(cluster)
    stop(cluster)  # `create` leaves nothing running; `start` starts it


def _write_secret(path: Path, text: str) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def _admin(cluster: Cluster):
    import psycopg2  # the masters' driver; imported here so a single-master lab needs none

    return psycopg2.connect(host=str(socket_dir(cluster)), port=cluster.db.port, user="postgres", dbname="postgres")


def _create_role(cluster: Cluster, password: str) -> None:
    from psycopg2 import extensions, sql

    conn = _admin(cluster)
    conn.autocommit = True
    try:
        # the server gets the SCRAM verifier only: the password is in no statement it could log
        verifier = extensions.encrypt_password(password, DB_USER, conn, "scram-sha-256")
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD %s").format(sql.Identifier(DB_USER)), (verifier,))
            cur.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(DB_NAME), sql.Identifier(DB_USER)))
    finally:
        conn.close()


def running(cluster: Cluster) -> bool:
    if not (data_dir(cluster) / "PG_VERSION").exists():
        return False
    return _pg(cluster, "pg_ctl", "status", "-D", str(data_dir(cluster)), check=False).returncode == 0


def pid(cluster: Cluster) -> int | None:
    pidfile = data_dir(cluster) / "postmaster.pid"
    try:
        return int(pidfile.read_text().split()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None


def start(cluster: Cluster) -> None:
    if running(cluster):
        return
    if not (data_dir(cluster) / "PG_VERSION").exists():
        raise DatabaseError(f"{data_dir(cluster)}: no database cluster: run `python -m rustux_bootlab.harness.cluster create` first")
    _pg(cluster, "pg_ctl", "start", "-D", str(data_dir(cluster)), "-l", str(log_file(cluster)), "-w", "-t", "60")
    wait_for_login(cluster)


def stop(cluster: Cluster, mode: str = "fast") -> None:
    if running(cluster):
        _pg(cluster, "pg_ctl", "stop", "-D", str(data_dir(cluster)), "-m", mode, "-w", "-t", "60")


def restart(cluster: Cluster) -> None:
    """What an operator's restart does: every session is cut (fast shutdown), then back."""
    _pg(cluster, "pg_ctl", "restart", "-D", str(data_dir(cluster)), "-m", "fast", "-l", str(log_file(cluster)),
        "-w", "-t", "60")
    wait_for_login(cluster)


def connect(cluster: Cluster):
    """A connection as the lab's role over TCP, the way the masters log in (pgpass)."""
    import psycopg2

    return psycopg2.connect(host=cluster.db.addr, port=cluster.db.port, user=DB_USER, dbname=DB_NAME,
                            passfile=str(cluster.pgpass), connect_timeout=5)


def wait_for_login(cluster: Cluster, timeout_s: float = 60) -> None:
    import psycopg2

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            connect(cluster).close()
            return
        except psycopg2.OperationalError as e:
            if time.monotonic() > deadline:
                raise DatabaseError(f"PostgreSQL at {cluster.db} refuses the lab's login after {timeout_s:.0f} s: "
                                    f"{str(e).strip()} (log: {log_file(cluster)})") from None
            time.sleep(0.3)
