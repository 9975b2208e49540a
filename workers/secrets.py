"""Secrets by name, one file per secret (like Buildbot's SecretInAFile).

The inventory names a secret (`password_secret: vboard-1-bmc`); the value lives in
`$BOOTLAB_SECRETS/vboard-1-bmc` (default `.demo/secrets` in the checkout, git-ignored), is read
at the moment of use, stripped of its trailing newline, and never logged: errors name the
secret and the file, never the value.
"""
from __future__ import annotations

import os
import secrets as _random
import stat
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ENV = "BOOTLAB_SECRETS"


class SecretError(Exception):
    """A secret is missing or unreadable; the message names the secret and the file."""


def secrets_dir() -> Path:
    return Path(os.environ.get(ENV) or REPO / ".demo" / "secrets")


def secret_path(name: str) -> Path:
    if not name or "/" in name or name.startswith("."):
        raise SecretError(f"{name!r} is not a secret name (a plain file name in {secrets_dir()})")
    return secrets_dir() / name


def resolve(name: str) -> str:
    """The value of secret `name`."""
    path = secret_path(name)
    try:
        value = path.read_text(encoding="utf-8").rstrip("\r\n")
    except FileNotFoundError:
        raise SecretError(f"secret {name!r} not found: create {path} (one line, mode 600) or set ${ENV}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise SecretError(f"secret {name!r}: cannot read {path}: {e.__class__.__name__}") from None
    if not value:
        raise SecretError(f"secret {name!r} is empty: write the value into {path}")
    return value


def ensure(name: str) -> str:
    """The value of `name`, generated (random, mode 600) if it does not exist yet: for virtual boards only."""
    path = secret_path(name)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # IPMI 2.0 passwords are at most 20 bytes; 16 URL-safe characters fit everywhere.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
        except FileExistsError:
            return resolve(name)  # another process created it first: theirs is the value
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(_random.token_urlsafe(12) + "\n")
    return resolve(name)
