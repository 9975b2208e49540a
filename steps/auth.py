"""Lab users from the secrets directory: who may log in to the web UI and `buildbot try`.

The file `users` (mode 0600, never in the repository) holds one user per line:

    # name      role        password
    alice       developer   s3cret-generated
    oscar       operator    ...
    root        admin       ...

Roles: `developer` forces kernel builds and uses `buildbot try`; `operator` runs
golden-image boots and board actions; `admin` may do everything.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROLES = ("developer", "operator", "admin")
USERS_FILE = "users"


class UsersError(ValueError):
    """`users` is missing or malformed; `str()` names the file and line."""


@dataclass(frozen=True)
class LabUser:
    name: str
    role: str
    password: str

    @property
    def may_try(self) -> bool:
        return self.role in ("developer", "admin")


def load_users(secrets_dir: Path) -> list[LabUser]:
    path = secrets_dir / USERS_FILE
    if not path.is_file():
        raise UsersError(f"{path}: no users file: create it (lines `name role password`, mode 0600) "
                         f"or run scripts/demo.sh, which generates one")
    users: list[LabUser] = []
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) != 3:
            raise UsersError(f"{path}:{number}: expected `name role password`, found {len(fields)} fields")
        name, role, password = fields
        if role not in ROLES:
            raise UsersError(f"{path}:{number}: role {role!r} is not one of {', '.join(ROLES)}")
        if any(u.name == name for u in users):
            raise UsersError(f"{path}:{number}: user {name!r} is listed twice")
        users.append(LabUser(name, role, password))
    if not users:
        raise UsersError(f"{path}: no users: add at least one `name role password` line")
    return users
