"""A push that breaks the kernel gets a bisection that names the commit, without anyone asking.

A real master polls a scratch kernel repository (GitPoller, every 2 s) and boots on one QEMU
target. A forced build passes there; then the bug is committed (the triple-fault variant's
code path on by default), the poller sees the push, its boot FAILs (code), and
`bisect/q35-pflash` starts by itself and names the commit. The worker's kernel checkout is
made before the lab starts, with a cargo target dir already holding core and alloc, as on a
worker that built before: a build from scratch takes minutes on this machine.
"""
from __future__ import annotations

import json
import subprocess
import time

import pytest
import yaml

from bootlab_support import one_target_inventory
from history_support import AUTHOR, BUG_SUBJECT, commit_the_bug, kernel_repo, seed_cargo
from rustux_bootlab.harness.local_lab import create, free_port, start, stop, wait_for_workers
from polling import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.qemu]
TARGET = "q35-pflash"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("bisect-lab")
    repo = root / "kernel-repo"
    repo.mkdir()
    good = kernel_repo(repo)
    inventory = one_target_inventory(TARGET)
    inventory["lab"]["kernel"] = {"repo": str(repo), "branch": "main"}
    (root / "inventory.yaml").write_text(yaml.safe_dump(inventory))
    lab = create(root / "lab", inventory=root / "inventory.yaml", poll_s=2,
                 ports={"web": free_port(), "pb": free_port(), "try": free_port()})
    checkout = next(d for d in lab.worker_dirs() if d.name == "local-qemu") / "kernel" / "build"
    subprocess.run(["git", "clone", "-q", str(repo), str(checkout)], check=True)
    seed_cargo(checkout.parent / "cargo")  # beside the checkout, where the kernel builder keeps it
    try:
        start(lab)
        wait_for_workers(lab.client(None))
        yield lab, repo, good
    finally:
        stop(lab)


def builds_of(client, builder: str) -> list[dict]:
    builder_id = next(b["builderid"] for b in client.get("builders")["builders"] if b["name"] == builder)
    return client.get(f"builders/{builder_id}/builds")["builds"]


def wait_for_build(client, builder: str, timeout_s: float) -> dict:
    done = wait_until(lambda: [b for b in builds_of(client, builder) if b["complete"]], timeout_s,
                      f"a finished {builder} build", step_s=2)
    return done[-1]


def test_a_push_that_breaks_the_kernel_is_bisected_by_itself(lab):
    lab, repo, good = lab
    client = lab.client("developer")
    forced = client.force_and_wait("force-kernel", timeout_s=900)
    assert [(b["target"], b["verdict"]) for b in forced.boots] == [(TARGET, "PASS")], forced.boots
    kcidb_of(lab, forced.kernel_buildid, client)
    start_s = time.monotonic()
    bad = commit_the_bug(repo)  # the push: the GitPoller sees it within 2 s
    bisect = wait_for_build(client, f"bisect/{TARGET}", timeout_s=1200)
    minutes = (time.monotonic() - start_s) / 60
    props = client.properties(bisect["buildid"])
    assert props["culprit_commit"] == bad, (bisect["state_string"], props)
    assert (props["culprit_subject"], props["culprit_author"]) == (BUG_SUBJECT, AUTHOR)
    assert props["lost_milestone"]
    assert f"{TARGET}: culprit {bad[:12]} \"{BUG_SUBJECT}\" ({AUTHOR}): lost milestone " in bisect["state_string"]
    assert (props["good_rev"], props["bad_rev"]) == (good, bad)
    boots = [b for b in builds_of(client, f"boot/{TARGET}") if b["complete"]]
    push_boot = client.properties(boots[-1]["buildid"])
    assert (push_boot["verdict"], push_boot["culprit"]) == ("FAIL", "code")
    steps = {s["name"]: s["state_string"] for s in client.steps(boots[-1]["buildid"])}
    assert steps["bisect-trigger"].endswith("bisecting")
    print(f"\npush -> culprit named: {minutes:.1f} min, {props['bisect_boots']} bisection boots: {bisect['state_string']}")


def kcidb_of(lab, buildid: int, client) -> None:
    """The kernel build's KCIDB JSON on the master: valid, one `boot` test that passed."""
    from kcidb_io.schema import LATEST

    number = client.get(f"builds/{buildid}")["builds"][0]["number"]
    data = json.loads((lab.master_dir / "kcidb" / f"kernel-{number}.json").read_text())
    LATEST.validate(data)
    assert [t["status"] for t in data["tests"] if t["path"] == "boot"] == ["PASS"]
    assert all(t["status"] == "PASS" for t in data["tests"])
