"""What `bootlab try` sends, read from a real git checkout (tmp repositories), and its options file."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from rustux_bootlab.workers.tryjob.client import Credentials, TryError, read_options
from rustux_bootlab.workers.tryjob.source import SourceError, read_source


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


@pytest.fixture()
def checkout(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Ada Dev")
    git(root, "config", "user.email", "ada@example.org")
    (root / ".gitignore").write_text("build/\n")
    (root / "kernel.rs").write_text("fn main() {}\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    return root


def test_clean_checkout_has_nothing_to_try(checkout):
    with pytest.raises(SourceError, match="nothing to try: the working tree equals main"):
        read_source(checkout, "main")


def test_patch_holds_unpushed_commits_edits_and_new_files_but_not_ignored_ones(checkout):
    base = git(checkout, "rev-parse", "HEAD").strip()
    git(checkout, "checkout", "-q", "-b", "work")
    (checkout / "kernel.rs").write_text("fn main() { loop {} }\n")
    git(checkout, "commit", "-q", "-am", "spin forever")
    (checkout / "new.rs").write_text("pub fn new() {}\n")
    (checkout / "build").mkdir()
    (checkout / "build" / "out.o").write_text("object\n")
    index_before = (checkout / ".git" / "index").read_bytes()
    source = read_source(checkout, "main")
    assert (source.branch, source.base) == ("main", base)
    assert b"+fn main() { loop {} }" in source.patch and b"+pub fn new() {}" in source.patch
    assert b"out.o" not in source.patch
    assert (source.author, source.subject) == ("Ada Dev <ada@example.org>", "spin forever (+ uncommitted changes)")
    assert (checkout / ".git" / "index").read_bytes() == index_before  # the developer's index is untouched
    assert "new.rs" in git(checkout, "status", "--porcelain")  # still untracked


def test_an_edit_of_the_same_size_in_the_second_of_the_checkout_is_sent(checkout):
    """Git trusts an index entry whose file has its recorded size and time, unless the index was
    written in that same second (racily clean). An edit right after a checkout, keeping the size,
    was read as no change at all: `nothing to try`."""
    source_file, index = checkout / "kernel.rs", checkout / ".git" / "index"
    checked_out = source_file.stat().st_mtime_ns - 10 * 10**9  # a checkout 10 s ago wrote the file...
    os.utime(source_file, ns=(checked_out, checked_out))
    git(checkout, "status", "--porcelain")  # ...and the index, recording that time and the size
    source_file.write_text("fn mein() {}\n")  # the edit, in the checkout's second
    for path in (source_file, index):
        os.utime(path, ns=(checked_out, checked_out))
    source = read_source(checkout, "main")
    assert b"+fn mein() {}" in source.patch


def test_unknown_branch_names_the_fix(checkout):
    (checkout / "kernel.rs").write_text("changed\n")
    with pytest.raises(SourceError, match="no branch 'release'.*git fetch origin release"):
        read_source(checkout, "release")


def test_options_file_is_read_without_running_it(tmp_path):
    options = tmp_path / "options"
    options.write_text("try_username = 'ada'\ntry_passwd = 's3cret'\nimport os\nx = os.getcwd()\n")
    assert read_options(options) == {"try_username": "ada", "try_passwd": "s3cret"}
    assert "s3cret" not in repr(Credentials("ada", "s3cret"))
    options.write_text("try_passwd = \n")
    with pytest.raises(TryError, match="not Python"):
        read_options(options)
