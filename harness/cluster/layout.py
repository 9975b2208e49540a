"""Where a cluster's parts listen and keep their files, and what each is told: plain data.

A cluster is PostgreSQL, the WAMP router (crossbar) and two Buildbot masters, `engine` and
`ui`, under one directory (layout in harness/cluster/__init__.py). `cluster.json` holds the
addresses and ports chosen at creation and nothing secret, so every command after `create`
(and another host's script) reads the same picture.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

DB_NAME = DB_USER = "bootlab"
REALM = "bootlab"
MASTERS = ("engine", "ui")
PARTS = ("db", "router", *MASTERS)  # start order; stop goes the other way
CLUSTER_FILE = "cluster.json"


@dataclass(frozen=True)
class Endpoint:
    addr: str
    port: int

    def __str__(self) -> str:
        return f"{self.addr}:{self.port}"


@dataclass(frozen=True)
class Cluster:
    root: Path
    inventory: Path
    db: Endpoint
    router: Endpoint
    engine_web: Endpoint
    engine_pb: Endpoint
    ui_web: Endpoint
    ui_try: Endpoint

    @property
    def secrets_dir(self) -> Path:
        return self.root / "secrets"

    @property
    def pgpass(self) -> Path:
        return self.secrets_dir / "pgpass"

    @property
    def db_password(self) -> Path:
        return self.secrets_dir / "db-password"

    @property
    def db_dir(self) -> Path:
        return self.root / "db"

    @property
    def router_dir(self) -> Path:
        return self.root / "router"

    def master_dir(self, name: str) -> Path:
        return self.root / "masters" / name

    @property
    def db_url(self) -> str:
        # no password: libpq reads it from PGPASSFILE, so it is in no URL, log or argv
        return f"postgresql+psycopg2://{DB_USER}@{self.db}/{DB_NAME}"

    @property
    def mq_url(self) -> str:
        return f"ws://{self.router}/ws"

    def web(self, master: str) -> Endpoint:
        return self.engine_web if master == "engine" else self.ui_web

    def web_url(self, master: str) -> str:
        return f"http://{self.web(master)}/"

    def master_env(self, name: str) -> dict[str, str]:
        """The BOOTLAB_* settings (steps/settings.py) and libpq's password file for one master."""
        web = self.web(name)
        return {
            "BOOTLAB_INVENTORY": str(self.inventory),
            "BOOTLAB_SECRETS": str(self.secrets_dir),
            "BOOTLAB_MASTER_ROLE": name,
            "BOOTLAB_DB_URL": self.db_url,
            "BOOTLAB_MQ_URL": self.mq_url,
            "BOOTLAB_BIND": web.addr,
            "BOOTLAB_WEB_PORT": str(web.port),
            "BOOTLAB_PB_PORT": str(self.engine_pb.port),
            "BOOTLAB_TRY_PORT": str(self.ui_try.port),
            "BOOTLAB_POLL_S": "0",
            "PGPASSFILE": str(self.pgpass),
        }

    def to_json(self) -> str:
        data = asdict(self)
        data["root"], data["inventory"] = str(self.root), str(self.inventory)
        return json.dumps(data, indent=2) + "\n"


def load_cluster(root: Path) -> Cluster:
    path = root / CLUSTER_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{root}: no cluster here: run `python -m rustux_bootlab.harness.cluster create {root}` first")
    data = json.loads(path.read_text())
    ends = {k: Endpoint(**v) for k, v in data.items() if isinstance(v, dict)}
    return Cluster(root=Path(data["root"]), inventory=Path(data["inventory"]), **ends)


def pgpass_line(db: Endpoint, password: str) -> str:
    """libpq's password file format: host:port:database:user:password, `:` and `\\` escaped."""
    escaped = password.replace("\\", "\\\\").replace(":", "\\:")
    return f"{db.addr}:{db.port}:{DB_NAME}:{DB_USER}:{escaped}\n"


def postgresql_conf(db: Endpoint, socket_dir: Path) -> str:
    return (f"listen_addresses = '{db.addr}'\nport = {db.port}\n"
            f"unix_socket_directories = '{socket_dir}'\n"
            "password_encryption = 'scram-sha-256'\n"
            # enough for two masters' pools (5 + 10 overflow each) and the tests
            "max_connections = 60\n")


def pg_hba_conf(clients: list[str]) -> str:
    """The unix socket (its directory is 0700, the postgres user's) for setting up; over TCP
    only the lab's role, only with its password, only from `clients` (the masters' addresses
    and the database host's own, which checks that the lab can log in)."""
    return "local all postgres trust\n" + "".join(
        f"host {DB_NAME} {DB_USER} {addr}/32 scram-sha-256\n" for addr in dict.fromkeys(clients))


def crossbar_config(router: Endpoint) -> dict:
    """One realm for the masters' message queue, on one WebSocket transport at /ws. Buildbot's
    WAMP connector (4.3) has no authentication, so the router listens only on the masters' address."""
    return {
        "version": 2,
        "controller": {},
        "workers": [{
            "type": "router",
            "realms": [{"name": REALM, "roles": [{"name": "anonymous", "permissions": [{
                "uri": "", "match": "prefix", "allow": {"call": True, "register": True, "publish": True, "subscribe": True},
                "disclose": {"caller": False, "publisher": False}, "cache": True}]}]}],
            "transports": [{
                "type": "web",
                "endpoint": {"type": "tcp", "interface": router.addr, "port": router.port},
                "paths": {"ws": {"type": "websocket"}},
            }],
        }],
    }
