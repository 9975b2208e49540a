"""Buildbot's try protocol (PB) from bootlab: credentials, and one bounded submission.

`buildbot try` hangs when it is given no repository and branch, and waits without a bound on
an unreachable master; this client sends the job itself, with a deadline on every phase
(connect, login, submit). Twisted's reactor runs once per process: bootlab try submits once.
"""
from __future__ import annotations

import ast
import getpass
import sys
from dataclasses import dataclass
from pathlib import Path

OPTIONS = Path.home() / ".buildbot" / "options"


class TryError(Exception):
    """The job was not taken: one line saying what happened and what to do."""


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str

    def __repr__(self) -> str:  # a traceback or a log line never shows the password
        return f"Credentials(user={self.user!r}, password=<hidden>)"


@dataclass(frozen=True)
class TryJob:
    branch: str
    base: str
    patch: bytes
    repository: str
    builder: str
    author: str
    subject: str
    properties: dict[str, object]


def read_options(path: Path) -> dict[str, object]:
    """The literal `name = value` lines of Buildbot's options file (it is Python; nothing is run)."""
    if not path.exists():
        return {}
    try:
        tree = ast.parse(path.read_text(), str(path))
    except SyntaxError as e:
        raise TryError(f"{path} line {e.lineno}: not Python: fix it (lines like try_passwd = 'secret')") from e
    values = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue  # a computed value: Buildbot would run it, bootlab does not
    return values


def credentials(options: dict[str, object], path: Path) -> Credentials:
    """From the options file (`try_username`, `try_passwd`), else asked once at the terminal."""
    user, password = options.get("try_username"), options.get("try_passwd")
    if isinstance(user, str) and isinstance(password, str):
        return Credentials(user, password)
    if not sys.stdin.isatty():
        raise TryError(f"no try credentials: put try_username and try_passwd in {path} (chmod 600), "
                       "or run bootlab try at a terminal to be asked")
    if not isinstance(user, str):
        user = input("try user: ").strip()
    if not isinstance(password, str):
        password = getpass.getpass(f"try password for {user}: ")
    return Credentials(user, password)


def parse_master(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise TryError(f"try master {value!r}: give HOST:PORT (--master or try_master in {OPTIONS})")
    return host, int(port)


def submit(master: str, who: Credentials, job: TryJob, timeout_s: float) -> None:
    """Deliver the job to the master's Try_Userpass scheduler; raise TryError unless it was taken."""
    from twisted.cred import credentials as cred
    from twisted.cred.error import UnauthorizedLogin
    from twisted.internet import defer, error, reactor
    from twisted.spread import pb

    host, port = parse_master(master)
    outcome: dict[str, object] = {}

    @defer.inlineCallbacks
    def deliver():
        factory = pb.PBClientFactory()
        reactor.connectTCP(host, port, factory, timeout=timeout_s)
        try:
            login = factory.login(cred.UsernamePassword(who.user.encode(), who.password.encode()))
            perspective = yield login.addTimeout(timeout_s, reactor)
            call = perspective.callRemote(
                "try", job.branch, job.base, (1, job.patch), job.repository, "", [job.builder],
                job.author, job.subject, job.properties)
            outcome["status"] = yield call.addTimeout(timeout_s, reactor)
        except Exception as exc:  # sorted out below, outside the reactor
            outcome["failure"] = exc
        finally:
            factory.disconnect()
            reactor.callLater(0, reactor.stop)

    reactor.callWhenRunning(deliver)
    reactor.run(installSignalHandlers=False)  # type: ignore[call-arg,misc]  # typed as IReactorCore, whose run() takes none
    failure = outcome.get("failure")
    if failure is None and outcome.get("status") is None:
        raise TryError(f"the master at {master} takes no try jobs for builder {job.builder!r}: "
                       "check the try scheduler's builderNames in steps/config.py")
    if failure is None:
        return
    remote = getattr(failure, "remoteType", b"")  # pb.RemoteError: the master's exception, by name
    remote = remote.decode(errors="replace") if isinstance(remote, bytes) else str(remote)
    if isinstance(failure, UnauthorizedLogin) or remote.endswith("UnauthorizedLogin"):
        raise TryError(f"the master at {master} refused user {who.user!r}: check try_username/try_passwd "
                       f"in {OPTIONS} (the lab's users file must give {who.user} the developer role)")
    if isinstance(failure, (error.ConnectError, defer.TimeoutError, error.ConnectionLost)):
        raise TryError(f"cannot reach the try port {master} ({type(failure).__name__}): is the master "
                       f"running? pass --master HOST:PORT or set try_master in {OPTIONS}")
    raise TryError(f"the master at {master} did not take the job: {remote or type(failure).__name__}: {failure}")
