"""Where the master finds its inputs: environment variables with the demo's defaults.

Ports are configurable so tests can run a master beside a demo; everything secret lives
in the secrets directory, never in the environment or on a command line. The defaults are
one master on SQLite; BOOTLAB_MASTER_ROLE `engine` or `ui` makes it one of two masters
sharing PostgreSQL and a WAMP router (docs/multi-master.md, harness/cluster/).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROLES = ("single", "engine", "ui")  # engine: workers, builds, engine schedulers; ui: web, force, try


@dataclass(frozen=True)
class MasterSettings:
    repo_root: Path
    inventory: Path
    secrets_dir: Path
    db_url: str
    web_port: int
    pb_port: int
    try_port: int
    poll_interval_s: int  # 0 turns the GitPoller off (tests: other commits must not start builds)
    bootlab: str  # how workers invoke bootlab
    role: str = "single"
    mq_url: str = ""  # the WAMP router (crossbar), ws://HOST:PORT/ws; empty: in-process mq
    bind: str = "127.0.0.1"  # the address the web UI, pb and try ports listen on

    @property
    def multi_master(self) -> bool:
        return self.role != "single"

    @property
    def buildbot_url(self) -> str:
        host = "localhost" if self.bind == "127.0.0.1" else self.bind
        return f"http://{host}:{self.web_port}/"

    def listen(self, port: int) -> str:
        return f"tcp:{port}:interface={self.bind}"


def _port(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, str(default))
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ValueError(f"{name}={raw!r}: expected a TCP port number (1-65535)")
    return int(raw)


def settings_from_env(repo_root: Path, env: dict[str, str] | None = None) -> MasterSettings:
    """BOOTLAB_INVENTORY, BOOTLAB_SECRETS, BOOTLAB_DB_URL, BOOTLAB_WEB_PORT, BOOTLAB_PB_PORT,
    BOOTLAB_TRY_PORT, BOOTLAB_POLL_S, BOOTLAB_BOOTLAB, BOOTLAB_MASTER_ROLE, BOOTLAB_MQ_URL,
    BOOTLAB_BIND; relative paths are relative to the repo."""
    env = dict(os.environ if env is None else env)
    poll = env.get("BOOTLAB_POLL_S", "300")
    if not poll.isdigit():
        raise ValueError(f"BOOTLAB_POLL_S={poll!r}: expected seconds between polls (0 turns polling off)")
    role, mq_url, db_url = _cluster(env)
    return MasterSettings(
        repo_root=repo_root,
        inventory=repo_root / env.get("BOOTLAB_INVENTORY", "lab-inventory.yaml"),
        secrets_dir=repo_root / env.get("BOOTLAB_SECRETS", ".demo/secrets"),
        db_url=db_url,
        web_port=_port(env, "BOOTLAB_WEB_PORT", 8010),
        pb_port=_port(env, "BOOTLAB_PB_PORT", 9989),
        try_port=_port(env, "BOOTLAB_TRY_PORT", 8031),
        poll_interval_s=int(poll),
        bootlab=env.get("BOOTLAB_BOOTLAB", "bootlab"),
        role=role,
        mq_url=mq_url,
        bind=env.get("BOOTLAB_BIND", "127.0.0.1"),
    )


def _cluster(env: dict[str, str]) -> tuple[str, str, str]:
    """Role, router and database, checked together: two masters need both shared parts."""
    role = env.get("BOOTLAB_MASTER_ROLE", "single")
    mq_url = env.get("BOOTLAB_MQ_URL", "")
    db_url = env.get("BOOTLAB_DB_URL", "sqlite:///state.sqlite")
    if role not in ROLES:
        raise ValueError(f"BOOTLAB_MASTER_ROLE={role!r}: expected one of {', '.join(ROLES)}")
    if mq_url and not mq_url.startswith(("ws://", "wss://")):
        raise ValueError(f"BOOTLAB_MQ_URL={mq_url!r}: expected the WAMP router's ws://HOST:PORT/ws")
    if role != "single" and not mq_url:
        raise ValueError(f"BOOTLAB_MASTER_ROLE={role}: a master among several needs the WAMP router: "
                         "set BOOTLAB_MQ_URL=ws://HOST:PORT/ws (python -m rustux_bootlab.harness.cluster does)")
    if role != "single" and db_url.startswith("sqlite"):
        raise ValueError(f"BOOTLAB_MASTER_ROLE={role}: masters cannot share SQLite: set BOOTLAB_DB_URL "
                         "to the PostgreSQL database (postgresql://bootlab@HOST:PORT/bootlab, password in PGPASSFILE)")
    if "@" in db_url and ":" in db_url.split("://", 1)[-1].split("@", 1)[0]:
        raise ValueError("BOOTLAB_DB_URL holds a password: leave it out of the URL and give it to libpq "
                         "in a pgpass file (PGPASSFILE), so it never reaches a log or the environment")
    return role, mq_url, db_url
