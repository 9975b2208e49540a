"""What a try sends, read from a developer's git checkout: base revision, patch, author, subject.

The patch is everything between the master's branch and the working tree: commits not yet on
the branch, staged and unstaged changes, and new files git does not ignore. New files go
through a throw-away copy of the index, so the developer's own index is never touched.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from rustux_bootlab.workers.workdir import workdir

GIT_TIMEOUT_S = 30


class SourceError(Exception):
    """The checkout cannot make a try: one line saying what to do."""


@dataclass(frozen=True)
class TrySource:
    branch: str
    base: str
    patch: bytes
    author: str
    subject: str


def _git(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=GIT_TIMEOUT_S,
                              env=env, check=False)
    except subprocess.TimeoutExpired as e:
        raise SourceError(f"git {args[0]} took over {GIT_TIMEOUT_S} s in {root}") from e
    if done.returncode != 0:
        raise SourceError(f"git {' '.join(args)}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout.decode(errors="replace")


def checkout_root(cwd: Path) -> Path:
    try:
        return Path(_git(cwd, "rev-parse", "--show-toplevel").strip())
    except SourceError as e:
        raise SourceError(f"{cwd} is not in a git checkout: run bootlab try from your kernel checkout") from e


def branch_ref(root: Path, branch: str) -> str:
    """The master's branch as this checkout knows it: origin's copy if there is one, else the local one."""
    for ref in (f"refs/remotes/origin/{branch}", f"refs/heads/{branch}"):
        if subprocess.run(["git", "rev-parse", "--verify", "--quiet", ref], cwd=root,
                          capture_output=True, timeout=GIT_TIMEOUT_S).returncode == 0:
            return ref
    raise SourceError(f"this checkout has no branch {branch!r} (the master builds {branch}): "
                      f"git fetch origin {branch}, or pass --branch NAME")


def read_source(root: Path, branch: str) -> TrySource:
    ref = branch_ref(root, branch)
    base = _git(root, "merge-base", "HEAD", ref).strip()
    patch = _working_tree_diff(root, base)
    if not patch.strip():
        raise SourceError(f"nothing to try: the working tree equals {branch} at {base[:12]}; "
                          "change something (or commit on a branch) first")
    name = _git(root, "config", "--default", "", "user.name").strip()
    email = _git(root, "config", "--default", "", "user.email").strip()
    author = f"{name} <{email}>" if email else (name or os.environ.get("USER", "unknown"))
    return TrySource(branch=branch, base=base, patch=patch, author=author, subject=_subject(root, base))


def _working_tree_diff(root: Path, base: str) -> bytes:
    git_dir = Path(_git(root, "rev-parse", "--absolute-git-dir").strip())
    with workdir("try") as tmp:
        index = tmp / "index"
        if (git_dir / "index").exists():
            # keeps git's stat cache (no rehash of the tree) and the index's own time, by which git
            # knows an entry written in the same second as a file is not to be trusted
            shutil.copy2(git_dir / "index", index)
        env = {**os.environ, "GIT_INDEX_FILE": str(index)}
        _git(root, "add", "--all", ".", env=env)
        done = subprocess.run(["git", "diff", "--cached", "--binary", "--no-color", "--no-ext-diff", base],
                              cwd=root, env=env, capture_output=True, timeout=GIT_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise SourceError(f"git diff {base[:12]}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def _subject(root: Path, base: str) -> str:
    """HEAD's subject when it has commits of its own; with only uncommitted changes, say so."""
    if _git(root, "rev-parse", "HEAD").strip() == base:
        return f"uncommitted changes on {base[:12]}"
    subject = _git(root, "log", "-1", "--format=%s", "HEAD").strip()
    dirty = _git(root, "status", "--porcelain", "--untracked-files=normal").strip()
    return f"{subject} (+ uncommitted changes)" if dirty else subject
