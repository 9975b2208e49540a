"""`bootlab try` from a developer's clone against a real master, a real kernel build and a real boot.

One target keeps it short: the try path (diff, PB submission, REST follow, exit status) is the
same for every target. The failure modes (refused login, unreachable master, empty diff) run
against the same master and must each end within seconds.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from bootlab_support import BOOTLAB, REPO, one_target_inventory, running_lab
from rustux_bootlab.harness.local_lab import free_port

pytestmark = [pytest.mark.slow, pytest.mark.qemu]

TARGET = "q35-pflash"
HELLO = "userspace/programs/src/bin/hello.rs"
FAST_S = 15  # "at once": far below any kernel build, with room for a loaded machine


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    yield from running_lab(tmp_path_factory.mktemp("trylab"), one_target_inventory(TARGET))


@pytest.fixture()
def clone(tmp_path):
    """A developer's clone of the master's repository (its origin/main is the master's main)."""
    checkout = tmp_path / "rustux"
    subprocess.run(["git", "clone", "-q", "--branch", "main", str(REPO), str(checkout)], check=True)
    subprocess.run(["git", "config", "user.name", "Ada Dev"], cwd=checkout, check=True)
    subprocess.run(["git", "config", "user.email", "ada@example.org"], cwd=checkout, check=True)
    return checkout


def bootlab_try(lab, clone: Path, home: Path, password: str, *extra: str,
                timeout_s: float = 600) -> tuple[int, str, float]:
    """(exit status, output, seconds) of `bootlab try` run in the clone; the password only in the options file."""
    (home / ".buildbot").mkdir(parents=True, exist_ok=True)
    options = home / ".buildbot" / "options"
    options.write_text(f"try_username = 'developer'\ntry_passwd = {password!r}\n"
                       f"try_master = '127.0.0.1:{lab.env['BOOTLAB_TRY_PORT']}'\nbootlab_web = {lab.web_url!r}\n")
    options.chmod(0o600)
    env = {**os.environ, "HOME": str(home)}
    started = time.monotonic()
    done = subprocess.run([str(BOOTLAB), "try", "--inventory", str(lab.env["BOOTLAB_INVENTORY"]), *extra],
                          cwd=clone, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout_s)
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


def break_hello(clone: Path) -> None:
    """Removes the userspace `Hello from userspace!` write: the user-hello milestone never comes."""
    path = clone / HELLO
    lines = path.read_text().splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if "write(STDOUT, greeting)" in line)
    path.write_text("".join(lines[:start] + lines[start + 3:]))


def test_try_with_a_wrong_password_ends_at_once(lab, clone, tmp_path):
    break_hello(clone)
    status, output, seconds = bootlab_try(lab, clone, tmp_path / "home", "not-the-password")
    assert (status, seconds < FAST_S) == (2, True), (seconds, output)
    assert "refused user 'developer'" in output and "try_passwd" in output, output
    assert "not-the-password" not in output


def test_try_to_an_unreachable_master_ends_at_once(lab, clone, tmp_path):
    break_hello(clone)
    status, output, seconds = bootlab_try(lab, clone, tmp_path / "home", lab.password("developer"),
                                          "--master", f"127.0.0.1:{free_port()}")
    assert (status, seconds < FAST_S) == (2, True), (seconds, output)
    assert "cannot reach the try port" in output and "is the master running?" in output, output


def test_try_of_a_clean_checkout_says_there_is_nothing_to_try(lab, clone, tmp_path):
    status, output, seconds = bootlab_try(lab, clone, tmp_path / "home", lab.password("developer"))
    assert (status, seconds < FAST_S) == (2, True), (seconds, output)
    assert "nothing to try: the working tree equals main" in output, output


def test_try_of_a_breaking_patch_prints_milestones_and_fails_with_culprit_code(lab, clone, tmp_path):
    break_hello(clone)
    (clone / "NOTES.txt").write_text("a new file travels too\n")
    status, output, seconds = bootlab_try(lab, clone, tmp_path / "home", lab.password("developer"),
                                          "--target", TARGET)
    assert status == 1, output
    assert "try: uncommitted changes on " in output and "by Ada Dev <ada@example.org>" in output, output
    assert re.search(rf"^{TARGET}: ok  1/\d+ ", output, re.M), output
    # judged as soon as user-clock showed the hello was skipped, not at the hello's timeout
    assert re.search(rf"^{TARGET}: FAIL/code no user-hello after init-started: user-clock came at [\d.]+s without it",
                     output, re.M), output
    assert re.search(r"^try: FAIL \(1 boots\) in ", output, re.M), output
    assert lab.password("developer") not in output
    builder, number = re.search(r"^try: kernel build \S+#/builders/(\d+)/builds/(\d+)$", output, re.M).groups()
    client = lab.client(None)
    build = client.get(f"builders/{builder}/builds/{number}")["builds"][0]
    kernel_step = {s["name"]: s["state_string"] for s in client.steps(build["buildid"])}["kernel"]
    first = float(re.search(r"first verdict after ([\d.]+) s", output)[1])
    built = float(re.search(r"kernel built in ([\d.]+) s", kernel_step)[1])
    print(f"try latency: command -> first verdict {first:.1f} s, kernel build {built:.1f} s, "
          f"overhead {first - built:.1f} s (goal: <= 10 s); whole run {seconds:.1f} s")


BUILDBOT = BOOTLAB.parent / "buildbot"


def write_options(lab, home: Path, try_branch: str | None) -> None:
    """The README's options file (the password only there)."""
    (home / ".buildbot").mkdir(parents=True, exist_ok=True)
    options = home / ".buildbot" / "options"
    options.write_text(f"try_connect = 'pb'\ntry_vc = 'git'\ntry_username = 'developer'\n"
                       f"try_passwd = {lab.password('developer')!r}\n"
                       + (f"try_branch = {try_branch!r}\n" if try_branch else ""))
    options.chmod(0o600)


def buildbot_try(lab, clone: Path, home: Path, try_branch: str, *extra: str) -> tuple[int, str]:
    """Plain `buildbot try`, typed as the README shows: (exit status, output)."""
    write_options(lab, home, try_branch)
    done = subprocess.run([str(BUILDBOT), "try", "--connect=pb", f"--master=127.0.0.1:{lab.env['BOOTLAB_TRY_PORT']}",
                           "--vc=git", "--builder=kernel", *extra],
                          cwd=clone, env={**os.environ, "HOME": str(home)}, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


def test_plain_buildbot_try_from_a_branch_tracking_nothing_is_refused_with_the_fix(lab, clone, tmp_path):
    """Such a branch made the client send the word `master` as the base: the build failed at checkout.
    Buildbot's client prints the master's refusal but then never stops its reactor (it does so only
    after a job was taken), so the test reads the refusal and ends the client itself."""
    subprocess.run(["git", "checkout", "-q", "-b", "feature"], cwd=clone, check=True)
    break_hello(clone)
    home = tmp_path / "home"
    write_options(lab, home, None)
    client = subprocess.Popen(
        [str(BUILDBOT), "try", "--connect=pb", f"--master=127.0.0.1:{lab.env['BOOTLAB_TRY_PORT']}", "--vc=git",
         "--builder=kernel"], cwd=clone, env={**os.environ, "HOME": str(home)}, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        output, end = "", time.monotonic() + FAST_S
        while "try_branch" not in output and time.monotonic() < end and client.poll() is None:
            output += client.stderr.readline()
    finally:
        client.kill()
        client.wait()
    assert "base revision 'master' is not a commit hash" in output and "try_branch = 'origin/main'" in output, output
    assert lab.password("developer") not in output
    assert not [b for b in lab.client(None).get("builds")["builds"] if b["complete"] is False], "nothing was built"


def test_plain_buildbot_try_sends_the_working_tree_against_the_labs_branch(lab, clone, tmp_path):
    from rustux_bootlab.lab.verdict import Culprit, Verdict
    from rustux_bootlab.workers.tryjob.watch import TryWatch

    subprocess.run(["git", "checkout", "-q", "-b", "feature", "--no-track", "origin/main"], cwd=clone, check=True)
    break_hello(clone)
    try_id = uuid.uuid4().hex
    status, output = buildbot_try(lab, clone, tmp_path / "home", "origin/main", f"--property=try_id={try_id}")
    assert status == 0 and "There is no patch to try" not in output, output
    lines: list[str] = []
    watch = TryWatch(lab.web_url, try_id, say=lines.append)
    build = watch.follow("kernel", deadline_s=600)
    steps = {s["name"]: s for s in lab.client(None).steps(build["buildid"])}
    base = subprocess.run(["git", "rev-parse", "origin/main"], cwd=clone, capture_output=True, text=True).stdout.strip()
    assert lab.client(None).get(f"builds/{build['buildid']}/properties")["properties"][0]["got_revision"][0] == base
    assert [(b.verdict, b.culprit) for b in watch.boots.values()] == [(Verdict.FAIL, Culprit.CODE)], lines
    assert steps["kcidb"]["state_string"].startswith("KCIDB: "), steps["kcidb"]
    kcidb = json.loads(logs_text(lab, steps["kcidb"]["stepid"], "kcidb.json"))
    assert kcidb["checkouts"][0]["git_commit_hash"] == base and kcidb["checkouts"][0]["id"].startswith(f"rustux_lab:{base}+")


def logs_text(lab, stepid: int, name: str) -> str:
    client = lab.client(None)
    log = next(g for g in client.get(f"steps/{stepid}/logs")["logs"] if g["name"] == name)
    with urllib.request.urlopen(f"{lab.web_url}api/v2/logs/{log['logid']}/raw", timeout=10) as r:
        return r.read().decode()
