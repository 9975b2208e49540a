"""A scratch git history of this repository's kernel, for the bisection tests.

Not a conftest.py (see bootlab_support.py). The copy has what a commit's own build needs:
kernel/, userspace/, scripts/ and .gitignore; commits are by a fixed author.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
AUTHOR = "Ann Dev <ann@example.org>"
BUG_SUBJECT = "kernel: turn the triple-fault path on by default"


def git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "Ann Dev", "GIT_AUTHOR_EMAIL": "ann@example.org", "GIT_COMMITTER_NAME": "Ann Dev",
           "GIT_COMMITTER_EMAIL": "ann@example.org", "PATH": "/usr/bin:/bin", "HOME": str(repo)}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout.strip()


def commit(repo: Path, subject: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", subject)
    return git(repo, "rev-parse", "HEAD")


def kernel_repo(repo: Path) -> str:
    """A repository holding this checkout's kernel as one commit; its hash."""
    for part in ("kernel", "userspace"):
        shutil.copytree(REPO / part, repo / part, ignore=shutil.ignore_patterns("target"))
    shutil.copytree(REPO / "scripts", repo / "scripts")  # build-kernel.sh and the helpers it runs
    shutil.copy2(REPO / ".gitignore", repo)
    git(repo, "init", "-q", "-b", "main")
    return commit(repo, "import the kernel")


def notes(repo: Path, line: str, subject: str) -> str:
    with (repo / "NOTES.md").open("a") as f:
        f.write(line + "\n")
    return commit(repo, subject)


def commit_the_bug(repo: Path) -> str:
    """The known-bad triple-fault variant's code path on by default: a real bug in the code."""
    cargo = repo / "kernel/Cargo.toml"
    cargo.write_text(cargo.read_text().replace("[features]\n", "[features]\ndefault = [\"triple-fault\"]\n", 1))
    return commit(repo, BUG_SUBJECT)


def seed_cargo(dest: Path) -> None:
    """The cargo target dir a lab keeps between builds: core and alloc already built."""
    shutil.copytree(REPO / "build/cargo", dest, symlinks=True)
