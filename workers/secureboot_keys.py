"""The lab's own Secure Boot keys: PK, KEK and db made once, a VARS template enrolling them,
and signing with db.

The keys live in $BOOTLAB_SECUREBOOT_DIR (default ~/.cache/rustux-bootlab/secureboot), the
directory 0700 and each private key 0600; never in the repository, a log or a command line
(openssl and sbsign get their paths). The template is enrolled offline by virt-firmware's
`virt-fw-vars` (PyPI, pure Python: it writes PK/KEK/db into an edk2 VARS file and turns Secure
Boot on, with no firmware boot; Debian 12's efitools only makes ESLs and enrols from a running
system). `python -m rustux_bootlab.workers.secureboot_keys` makes what is missing; scripts/build-kernel.sh signs
with the db key by itself (a kernel-only checkout has no lab package).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

ENV = "BOOTLAB_SECUREBOOT_DIR"
VARS_SOURCE = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
TEMPLATE = "OVMF_VARS_4M.lab.fd"
KEYS = ("pk", "kek", "db")
OWNER = str(uuid.uuid5(uuid.NAMESPACE_DNS, "rustux-boot-lab"))  # the owner GUID of the lab's certificates


class SecureBootKeyError(Exception):
    """A key could not be made, enrolled or used; the message names the file and the fix."""


def keys_dir() -> Path:
    return Path(os.environ.get(ENV) or Path.home() / ".cache" / "rustux-bootlab" / "secureboot")


def ensure(directory: Path | None = None, source: Path = VARS_SOURCE) -> Path:
    """Make the missing keys and the template enrolling them; the template's path."""
    directory = directory or keys_dir()
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    for name in KEYS:
        if not (directory / f"{name}.key").exists() or not (directory / f"{name}.crt").exists():
            make_key(directory, name)
    template = directory / TEMPLATE
    if not template.exists() or template.stat().st_mtime < (directory / "db.crt").stat().st_mtime:
        enroll(source, template, {name: directory / f"{name}.crt" for name in KEYS})
    return template


def make_key(directory: Path, name: str) -> None:
    """A self-signed RSA 2048 certificate and its key (0600)."""
    key, crt = directory / f"{name}.key", directory / f"{name}.crt"
    old = os.umask(0o077)
    try:
        _run(["openssl", "req", "-new", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "3650",
              "-subj", f"/CN=Rustux Boot Lab {name.upper()}/", "-keyout", str(key), "-out", str(crt)], f"making {name}")
    finally:
        os.umask(old)
    key.chmod(0o600)


def enroll(source: Path, template: Path, certs: dict[str, Path]) -> None:
    """`template`: `source` with PK, KEK and db set to `certs` and Secure Boot on."""
    tool = shutil.which("virt-fw-vars") or str(Path(sys.executable).parent / "virt-fw-vars")
    tmp = template.with_name(f".{template.name}.{os.getpid()}")
    _run([tool, "-i", str(source), "-o", str(tmp), "--set-pk", OWNER, str(certs["pk"]),
          "--add-kek", OWNER, str(certs["kek"]), "--add-db", OWNER, str(certs["db"]), "--sb"], f"enrolling into {template}")
    tmp.replace(template)


def sign(efi: Path, out: Path, directory: Path | None = None) -> None:
    """`out`: `efi` signed with the lab's db key."""
    directory = directory or keys_dir()
    if not (directory / "db.key").exists():
        raise SecureBootKeyError(f"no db key in {directory}: make the lab's keys with scripts/install-envs.sh (make deps)")
    _run(["sbsign", "--key", str(directory / "db.key"), "--cert", str(directory / "db.crt"), "--output", str(out), str(efi)],
         f"signing {efi}")


def signer(efi: Path, directory: Path | None = None) -> str:
    """Who signed `efi`: "lab" (the lab's db), "other" (a signature the lab's db does not
    verify) or "unsigned"."""
    directory = directory or keys_dir()
    db = directory / "db.crt"
    if db.exists() and subprocess.run(["sbverify", "--cert", str(db), str(efi)], capture_output=True).returncode == 0:
        return "lab"
    listed = subprocess.run(["sbverify", "--list", str(efi)], capture_output=True, text=True).stdout
    return "other" if "signature 1" in listed else "unsigned"


def _run(argv: list[str], doing: str) -> None:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True)
    except OSError as exc:
        raise SecureBootKeyError(f"{doing}: cannot run {argv[0]} ({exc.strerror}): run scripts/install-deps.sh") from exc
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise SecureBootKeyError(f"{doing}: {Path(argv[0]).name} failed: {last}")


def main(argv: list[str]) -> int:
    if argv:
        print("usage: python -m rustux_bootlab.workers.secureboot_keys", file=sys.stderr)
        return 2
    try:
        print(f"secureboot: the lab's keys and VARS template: {ensure()}")
    except SecureBootKeyError as exc:
        print(f"secureboot: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
