"""The cluster's two Buildbot masters, each under a supervisor that brings it back by itself.

`engine` and `ui` are the repository's master.cfg with the cluster's settings
(Cluster.master_env): multiMaster, PostgreSQL, the WAMP router. A master that dies is
started again; so is one that stops itself, which Buildbot 4.3 does when it loses the
router ("Guru meditation! We have been disconnected from wamp server": it stops every
service but the process stays), and so is one whose database query failed (Buildbot retries
none on PostgreSQL, and a lost step end leaves a build waiting forever). Before each start the supervisor waits for PostgreSQL and
the router to accept connections, since a master started without its router waits forever.

    DIR/masters/NAME/supervisor.pid, supervisor.log   the supervisor
    DIR/masters/NAME/master.pid, twistd.log           the master it runs (buildbot start --nodaemon)
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from rustux_bootlab.harness.cluster.layout import Cluster, Endpoint
from rustux_bootlab.harness.rest import RestClient

REPO_ROOT = Path(__file__).resolve().parents[2]
STOPPED_ITSELF = "BuildMaster is stopped"  # twistd.log, after a stop nobody asked for
LOST_ROUTER = "Guru meditation!"  # Buildbot's own line when the WAMP connection drops
# Buildbot 4.3 retries no PostgreSQL error: a query made while the database was away is lost
# (a log line, a step's end), and a build can wait forever for a step that has ended.
LOST_DATABASE = "sqlalchemy.exc.OperationalError"
GRACE_S = 5.0  # for a master going down by itself to mark its builds before it is killed
STARTUP_FAILED = "BuildMaster startup failed"


class MasterError(RuntimeError):
    pass


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def process_env(cluster: Cluster, name: str) -> dict[str, str]:
    env = dict(os.environ, **cluster.master_env(name))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["BOOTLAB_BOOTLAB"] = _bin("bootlab")
    return env


def create(cluster: Cluster, name: str) -> None:
    """The master's basedir; the first one creates the schema in PostgreSQL, the second finds it."""
    basedir = cluster.master_dir(name)
    if (basedir / "buildbot.tac").exists():
        return
    basedir.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([_bin("buildbot"), "create-master", "-q", "-c", str(REPO_ROOT / "master.cfg"),
                           "--db", cluster.db_url, str(basedir)],
                          env=process_env(cluster, name), capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise MasterError(f"buildbot create-master {name} failed ({proc.returncode}): {(proc.stdout + proc.stderr)[-1500:]}")


def _pid(path: Path) -> int | None:
    try:
        value = int(path.read_text().strip())
        os.kill(value, 0)
        return value
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None


def supervisor_pid(cluster: Cluster, name: str) -> int | None:
    return _pid(cluster.master_dir(name) / "supervisor.pid")


def master_pid(cluster: Cluster, name: str) -> int | None:
    return _pid(cluster.master_dir(name) / "master.pid")


def client(cluster: Cluster, name: str, user: str | None = None) -> RestClient:
    from rustux_bootlab.steps.auth import load_users

    password = next((u.password for u in load_users(cluster.secrets_dir) if u.name == user), None)
    return RestClient(cluster.web_url(name), user, password)


def answers(cluster: Cluster, name: str) -> bool:
    try:
        client(cluster, name).get("masters")
        return True
    except Exception:  # not up yet: refused, reset, 5xx while it starts
        return False


def start(cluster: Cluster, name: str, timeout_s: float = 180) -> None:
    """The supervisor, detached (its own session, so it outlives the caller), then wait for the
    master's REST API. A master that cannot start (its config, its database) is stopped again
    and its error raised: a supervisor must not retry a mistake forever."""
    create(cluster, name)
    if supervisor_pid(cluster, name) is not None:
        wait_until_answers(cluster, name, timeout_s)
        return
    basedir = cluster.master_dir(name)
    log = _LogTail(basedir / "twistd.log")
    with (basedir / "supervisor.log").open("ab") as out:
        subprocess.Popen([sys.executable, "-m", "rustux_bootlab.harness.cluster", "supervise", str(cluster.root), name],
                         stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=REPO_ROOT,
                         env=process_env(cluster, name), start_new_session=True)
    try:
        wait_until_answers(cluster, name, timeout_s, log)
    except MasterError:
        stop(cluster, name)
        raise


def wait_until_answers(cluster: Cluster, name: str, timeout_s: float = 180, log: _LogTail | None = None) -> float:
    """Seconds until the master's REST API answers; `log`: fail at once on a startup failure in it."""
    started = time.monotonic()
    seen = ""
    while not answers(cluster, name):
        if log is not None:
            seen += log.new_text()
            if STARTUP_FAILED in seen:
                raise MasterError(f"master {name} failed to start: {_error_excerpt(seen)} "
                                  f"(all of it: {log.path})")
        if time.monotonic() - started > timeout_s:
            raise MasterError(f"master {name} not answering on {cluster.web_url(name)} after {timeout_s:.0f} s: "
                              f"see {cluster.master_dir(name) / 'twistd.log'} and supervisor.log")
        time.sleep(0.5)
    return time.monotonic() - started


def _error_excerpt(log_text: str) -> str:
    """The lines that say why: a configuration error's, or a traceback's last line."""
    lines = [ln.split("[-] ", 1)[-1].strip() for ln in log_text.splitlines()]
    failed = lines.index(STARTUP_FAILED)
    if "Configuration Errors:" in lines[:failed]:
        errors = lines[lines.index("Configuration Errors:") + 1:failed]
        return "; ".join(ln for ln in errors if ln and not ln.startswith("Halting"))
    return next((ln for ln in reversed(lines[:failed]) if ln and not ln.startswith("File ")), "see the log")


def restart_delay(previous_s: float, lived_s: float) -> float:
    """1 s after a master that ran a while; doubling, to 30 s, while it keeps dying young."""
    return 1.0 if lived_s > 60 or previous_s <= 0 else min(30.0, previous_s * 2)


def stop(cluster: Cluster, name: str, timeout_s: float = 60) -> None:
    """SIGTERM to the supervisor, which stops its master first; SIGKILL to both after `timeout_s`."""
    sup = supervisor_pid(cluster, name)
    if sup is None:
        _kill(master_pid(cluster, name))
        return
    os.kill(sup, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and _alive(sup):
        time.sleep(0.2)
    if _alive(sup):
        _kill(master_pid(cluster, name))
        _kill(sup)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a child of ours that exited stays a zombie until reaped: not alive
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def _kill(pid: int | None) -> None:
    if pid is not None:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _accepts(end: Endpoint) -> bool:
    try:
        with socket.create_connection((end.addr, end.port), timeout=1):
            return True
    except OSError:
        return False


class Supervisor:
    """Runs one master in the foreground and starts it again whenever it ends or stops itself."""

    def __init__(self, cluster: Cluster, name: str) -> None:
        self.cluster, self.name = cluster, name
        self.basedir = cluster.master_dir(name)
        self.stopping = False
        self.child: subprocess.Popen | None = None

    def log(self, text: str) -> None:
        print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} supervisor {self.name}: {text}", flush=True)

    def _term(self, signum, frame) -> None:
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._term)
        signal.signal(signal.SIGINT, self._term)
        (self.basedir / "supervisor.pid").write_text(f"{os.getpid()}\n")
        delay = 0.0
        try:
            while not self.stopping:
                if not self._wait_for_dependencies():
                    break
                started = time.monotonic()
                reason = self._run_once()
                delay = restart_delay(delay, time.monotonic() - started)
                if not self.stopping:
                    self.log(f"master {reason}: starting it again in {delay:.0f} s")
                    self._sleep(delay)
        finally:
            (self.basedir / "supervisor.pid").unlink(missing_ok=True)
        return 0

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(0.2)

    def _wait_for_dependencies(self) -> bool:
        waited = False
        while not self.stopping and not (_accepts(self.cluster.db) and _accepts(self.cluster.router)):
            if not waited:
                self.log(f"waiting for PostgreSQL ({self.cluster.db}) and the router ({self.cluster.router})")
                waited = True
            time.sleep(0.5)
        return not self.stopping

    def _run_once(self) -> str:
        twistd_log = _LogTail(self.basedir / "twistd.log")
        self.child = subprocess.Popen([_bin("buildbot"), "start", "--nodaemon", str(self.basedir)],
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                      env=process_env(self.cluster, self.name))
        (self.basedir / "master.pid").write_text(f"{self.child.pid}\n")
        self.log(f"master started (pid {self.child.pid})")
        try:
            while True:
                if self.stopping:
                    self._end_child(signal.SIGTERM)
                    return "stopped"
                code = self.child.poll()
                if code is not None:
                    return f"exited ({code})"
                text = twistd_log.new_text()
                if STOPPED_ITSELF in text or LOST_ROUTER in text:
                    # Its own shutdown can hang (a build waiting on the lost router) and SIGTERM
                    # would wait on the same: a moment to mark its builds, then kill.
                    self._wait_for_stop(twistd_log, already=STOPPED_ITSELF in text)
                    return "stopped itself (see twistd.log: lost the router)"
                if LOST_DATABASE in text:
                    # Started again, it marks its builds RETRY and runs their requests afresh.
                    self._end_child(signal.SIGKILL)
                    return "lost a database operation (see twistd.log)"
                time.sleep(0.5)
        finally:
            (self.basedir / "master.pid").unlink(missing_ok=True)

    def _wait_for_stop(self, log: _LogTail, already: bool) -> None:
        deadline = time.monotonic() + GRACE_S
        while not already and time.monotonic() < deadline and self.child.poll() is None:
            already = STOPPED_ITSELF in log.new_text()
            time.sleep(0.2)
        self._end_child(signal.SIGKILL)

    def _end_child(self, sig: int, timeout_s: float = 30) -> None:
        assert self.child is not None
        if self.child.poll() is None:
            self.child.send_signal(sig)
            try:
                self.child.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait()


class _LogTail:
    """What a log file gained since the last look (from its end when made)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = path.stat().st_size if path.exists() else 0

    def new_text(self) -> str:
        try:
            with self.path.open("rb") as f:
                if f.seek(0, os.SEEK_END) < self.offset:  # rotated by twistd
                    self.offset = 0
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return ""
        self.offset += len(data)
        return data.decode(errors="replace")
