"""A real master and real workers on loopback, driven through the REST API and `buildbot try`.

The kernel builder clones this repository's committed `main`, builds the kernel with
scripts/build-kernel.sh, and fans out to two QEMU targets (q35 + pflash, pc + -bios) that
boot it with the real bootlab under TCG, and to a virtual board (ipmi_sim + QEMU, PXE) on
its own worker, started and stopped with the lab.
"""
from __future__ import annotations

import difflib
import functools
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import yaml

from rustux_bootlab.steps.auth import load_users
from rustux_bootlab.harness.local_lab import boot_lanes, boot_table, create, free_port, start, stop, vboard_running, wait_for_workers
from rustux_bootlab.harness.rest import RestClient, RestError

pytestmark = [pytest.mark.slow, pytest.mark.qemu]

REPO = Path(__file__).resolve().parents[2]
TARGETS = ("q35-pflash", "pc-bios")  # two machines x two firmware modes keeps the test under ~3 min
LANES = ("q35-pflash-trixie", "q35-secure-boot")  # nightly compatibility lanes: Debian 13's QEMU, Secure Boot
HELLO = "userspace/programs/src/bin/hello.rs"
BOARD = "vboard-1"


def milestone_names() -> list[str]:
    """The boot's milestones, then the shell conversation's steps (a record counts both)."""
    spec = yaml.safe_load((REPO / "kernel/milestones.yaml").read_text())
    steps = (spec.get("conversation") or {}).get("steps", [])
    return [m["name"] for m in spec["milestones"]] + [s["name"] for s in steps]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    inventory = yaml.safe_load((REPO / "lab-inventory.yaml").read_text())
    for name, target in inventory["targets"].items():
        target["enabled"] = name in TARGETS + LANES
        target["milestones"] = str(REPO / "kernel/milestones.yaml")
    # one virtual board, on ports no other test or demo uses, with its own worker
    board = inventory["boards"][BOARD]
    board["bmc"]["port"], board["virtual"]["serial_port"] = free_port(socket.SOCK_DGRAM), free_port()
    inventory["boards"] = {BOARD: board}
    inventory["workers"] = {name: w for name, w in inventory["workers"].items()
                            if name == board["worker"] or w["kind"] == "qemu"}
    (root / "inventory.yaml").write_text(yaml.safe_dump(inventory))
    lab = create(root / "lab", inventory=root / "inventory.yaml",
                 ports={"web": free_port(), "pb": free_port(), "try": free_port()})
    try:
        start(lab)
        assert vboard_running(lab, BOARD)
        wait_for_workers(lab.client(None))
        yield lab
    finally:
        stop(lab)
        assert not vboard_running(lab, BOARD), "local_lab stop leaves no virtual board running"


@pytest.fixture(scope="module")
def forced(lab):
    """One forced `kernel` build, shared by the tests that inspect its outcome."""
    return lab.client("developer").force_and_wait("force-kernel", timeout_s=900)


def master_log(lab) -> str:
    return (lab.master_dir / "twistd.log").read_text()[-20000:]


def logs_of(client: RestClient, buildid: int) -> dict[str, str]:
    found = {}
    for step in client.steps(buildid):
        for log in client.get(f"steps/{step['stepid']}/logs")["logs"]:
            found[f"{step['name']}/{log['name']}"] = client.raw_log(log["logid"])
    return found


def test_forced_build_boots_every_target_and_each_passes(lab, forced):
    assert forced.kernel_result == "success", (forced.kernel_state, master_log(lab))
    assert sorted(b["target"] for b in forced.boots) == sorted((*TARGETS, BOARD))
    names = milestone_names()
    client = lab.client(None)
    for boot in (b for b in forced.boots if b["target"] in TARGETS):
        assert (boot["result"], boot["verdict"], boot["culprit"]) == ("success", "PASS", None), boot
        assert boot["summary"].startswith(f"PASS {len(names)}/{len(names)} "), boot
        assert boot["milestones_reached"] == len(names) and boot["last_milestone"] == names[-1]
        milestones_log = logs_of(client, boot["buildid"])["boot/milestones"]
        assert [line.split()[2] for line in milestones_log.splitlines()] == names
    kernel_steps = {s["name"]: s["state_string"] for s in client.steps(forced.kernel_buildid)}
    assert kernel_steps["kernel"].startswith("kernel built in ")
    assert all(f"{t} PASS {len(names)}/{len(names)}" in kernel_steps["boot"] for t in TARGETS), kernel_steps["boot"]
    assert f"{BOARD} PASS " in kernel_steps["boot"], kernel_steps["boot"]
    print(f"\nforced build timing: {forced.timing}")


def test_screenshots_are_served_by_the_master_one_click_from_the_boot_step(lab, forced):
    client = lab.client(None)
    for boot in (b for b in forced.boots if b["target"] in TARGETS):
        step = next(s for s in client.steps(boot["buildid"]) if s["name"] == "boot")
        urls = {u["name"]: u["url"] for u in step["urls"]}
        assert urls["screen.png"].startswith(lab.web_url), urls
        with urllib.request.urlopen(urls["screen.png"], timeout=30) as answer:  # anonymous: reading is open
            assert answer.read(8) == b"\x89PNG\r\n\x1a\n"
    board = next(b for b in forced.boots if b["target"] == BOARD)
    assert not next(s for s in client.steps(board["buildid"]) if s["name"] == "boot")["urls"]  # a board has no screen


def test_forced_build_boots_the_virtual_board_on_its_worker(lab, forced):
    """The board's view of the spec: the milestones its console (SOL) can show."""
    boot = next(b for b in forced.boots if b["target"] == BOARD)
    assert (boot["result"], boot["verdict"], boot["culprit"]) == ("success", "PASS", None), boot
    client = lab.client(None)
    props = client.properties(boot["buildid"])
    names = milestone_names()
    assert props["last_milestone"] == names[-1] and 0 < props["milestones_reached"] == props["milestones_total"], props
    assert boot["summary"].startswith(f"PASS {props['milestones_total']}/{props['milestones_total']} "), boot
    build = client.get(f"builds/{boot['buildid']}")["builds"][0]
    worker = client.get(f"workers/{build['workerid']}")["workers"][0]
    assert worker["name"] == f"{BOARD}-ctl"
    logs = logs_of(client, boot["buildid"])
    assert "user-hello" in logs["boot/serial.log"] or "Hello from userspace!" in logs["boot/serial.log"]
    assert "power" in logs["boot/timeline.log"]


def test_anonymous_users_can_read_but_not_force(lab):
    anonymous = lab.client(None)
    assert anonymous.get("builders")["builders"]
    for scheduler in ("force-kernel", "force-golden"):
        with pytest.raises(RestError) as refused:
            anonymous.force(scheduler)
        assert refused.value.status == 403


def test_a_wrong_password_cannot_log_in(lab):
    with pytest.raises(RestError) as refused:
        RestClient(lab.web_url, "developer", lab.password("developer") + "x")
    assert refused.value.status == 401


def test_developer_cannot_run_an_operator_action_and_operator_can(lab, forced):
    with pytest.raises(RestError) as refused:
        lab.client("developer").force("force-golden")
    assert refused.value.status == 403
    operator = lab.client("operator")
    bsid, brids = operator.force("force-golden")
    operator.wait_buildset(bsid, timeout_s=300)
    # the forced build passed, so every target has a golden image to check
    for brid in brids.values():
        build = operator.builds_of_request(brid)[-1]
        props = operator.properties(build["buildid"])
        assert (build["results"], props.get("verdict")) == (0, "PASS"), (build["state_string"], props)


def test_the_kernels_golden_image_boots_through_the_master_on_each_environment_and_secure_boot(lab, forced):
    """What `make demo` prints after its kernel build (`python -m rustux_bootlab.harness.local_lab lanes`): the kernel
    that passed on q35 booted by the master's golden builders on Debian 13's QEMU and EDK2 and under
    Secure Boot with the lab's keys, each row naming the distribution and QEMU that ran it."""
    assert {b["target"]: b["verdict"] for b in forced.boots} == {"q35-pflash": "PASS", "pc-bios": "PASS", BOARD: "PASS"}
    rows = boot_lanes(lab)
    assert {r["target"]: (r["builder"], r["verdict"], r["environment"]["name"], r["environment"]["qemu"].rsplit(".", 1)[0])
            for r in rows} == {"q35-pflash-trixie": ("golden/q35-pflash-trixie", "PASS", "debian13", "10.0"),
                               "q35-secure-boot": ("golden/q35-secure-boot", "PASS", "debian12", "7.2")}
    table = boot_table(rows).splitlines()
    assert [line.split()[:4] for line in table[2:]] == [["q35-pflash-trixie", "debian13", "QEMU", rows[0]["environment"]["qemu"]],
                                                        ["q35-secure-boot", "debian12", "QEMU", rows[1]["environment"]["qemu"]]]
    print("\n" + "\n".join(table))


def test_board_actions_are_for_operators(lab):
    with pytest.raises(RestError) as refused:
        lab.client("developer").force("board-action", builderNames=[f"operator/{BOARD}"], action="on")
    assert refused.value.status == 403
    board_action = functools.partial(operator_board_action, lab)
    for action, state in (("on", "on"), ("status", "on"), ("off", "off")):
        build = board_action(action)
        assert (build["results"], build["state_string"]) == (0, f"build successful {BOARD}: power {state}")
    # quarantine and release name the operator who asked, from the web login
    build = board_action("quarantine", "fan broken")
    assert build["results"] == 0 and build["state_string"].startswith(f"build successful {BOARD}: quarantined by operator since ")
    assert build["state_string"].endswith(": fan broken"), build["state_string"]
    build = board_action("release", "fan replaced")
    assert build["state_string"].startswith(f"build successful {BOARD}: good by operator since "), build["state_string"]
    build = board_action("release")
    assert (build["results"], build["state_string"]) == (2, f"failed {BOARD}: not quarantined (health good): "
                                                            "nothing to release")


def operator_board_action(lab, action: str, reason: str = "") -> dict:
    """The finished build of an operator's board action on BOARD, forced through the REST API."""
    operator = lab.client("operator")
    bsid, brids = operator.force("board-action", builderNames=[f"operator/{BOARD}"], action=action, reason=reason)
    operator.wait_buildset(bsid, timeout_s=120)
    return operator.builds_of_request(next(iter(brids.values())))[-1]


def breaking_patch() -> str:
    """Removes the userspace `Hello from userspace!` write: the kernel boots, the user program
    runs, but the `user-hello` milestone never comes."""
    original = subprocess.run(["git", "show", f"HEAD:{HELLO}"], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout.splitlines(keepends=True)
    start = next(i for i, line in enumerate(original) if "write(STDOUT, greeting)" in line)
    patched = original[:start] + original[start + 3:]
    return "".join(difflib.unified_diff(original, patched, f"a/{HELLO}", f"b/{HELLO}"))


def run_try(lab, tmp_path: Path, password: str, timeout_s: float = 600,
            user: str = "developer") -> tuple[int | None, str]:
    """(exit status or None if it had to be stopped, output) of the real `buildbot try` client."""
    # the password goes through the client's options file, never onto the command line
    (tmp_path / ".buildbot").mkdir(exist_ok=True)
    (tmp_path / ".buildbot" / "options").write_text(f"try_passwd = {password!r}\n")
    (tmp_path / "break.diff").write_text(breaking_patch())
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True)
    buildbot = Path(sys.executable).parent / "buildbot"
    command = [str(buildbot), "try", "--connect=pb", f"--master=127.0.0.1:{lab.env['BOOTLAB_TRY_PORT']}",
               f"--username={user}", "--diff=break.diff", "--patchlevel=1", f"--baserev={head.stdout.strip()}",
               "--branch=main", f"--repository={REPO}", "--builder=kernel", "--wait", "--quiet"]
    try:
        done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=timeout_s)
        return done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as e:
        return None, f"{e.stdout or ''}{e.stderr or ''}"


def kernel_builds(client: RestClient) -> set[int]:
    kernel_id = next(b["builderid"] for b in client.get("builders")["builders"] if b["name"] == "kernel")
    return {b["buildid"] for b in client.get(f"builders/{kernel_id}/builds")["builds"]}


def test_try_with_a_kernel_breaking_patch_fails_with_culprit_code(lab, forced, tmp_path):
    """The board is quarantined meanwhile: its boot build runs but boots nothing (MISS, a SKIPPED step).
    (A broken kernel on the virtual board: tests/integration/test_board_boot.py.)"""
    client = lab.client(None)
    before = kernel_builds(client)
    assert operator_board_action(lab, "quarantine", "cooling fan replaced today")["results"] == 0
    try:
        status, output = run_try(lab, tmp_path, lab.password("developer"))
    finally:
        assert operator_board_action(lab, "release", "fan ok")["results"] == 0
    assert status is not None, output
    new = sorted(kernel_builds(client) - before)
    assert len(new) == 1, (output, master_log(lab))
    children = {child["buildid"]: child for child in client.child_builds(new[0])}
    assert len(children) == len(TARGETS) + 1  # and the board
    for buildid, child in children.items():
        props = client.properties(buildid)
        if props["verdict"] == "MISS":
            # the boot step is SKIPPED; Buildbot counts a build whose step was skipped a success
            boot_step = next(step for step in client.steps(buildid) if step["name"] == "boot")
            assert (child["results"], boot_step["results"]) == (0, 3), child["state_string"]
            assert f"board {BOARD} is quarantined by operator" in props["reason"], props
            assert "cooling fan replaced today" in props["reason"], props
            continue
        assert child["results"] == 2, child["state_string"]  # FAILURE
        # the milestone just before the missing `user-hello` (init-started since init runs hello)
        before_hello = milestone_names()[milestone_names().index("user-hello") - 1]
        assert (props["verdict"], props["culprit"], props["last_milestone"]) == ("FAIL", "code", before_hello), props
        # the forced build's image passed on the target: staged with the artifact, it is triage's baseline
        assert props["triage"].startswith("baseline passed on the same target"), props
    assert sum(client.properties(b)["verdict"] == "MISS" for b in children) == 1
    assert client.get(f"builds/{new[0]}")["builds"][0]["results"] == 2


def test_a_build_after_a_try_keeps_cargos_target_dir(lab, forced, tmp_path):
    """A try leaves its patch in the kernel builder's checkout, so the next build's Git step cleans
    the checkout of ignored files (`git clean -x`): cargo's target dir lives beside the checkout,
    and core and alloc are not built again."""
    builder = next(d for d in lab.worker_dirs() if d.name == "local-qemu") / "kernel"
    patched = builder / "build" / ".buildbot-patched"
    if not patched.exists():
        run_try(lab, tmp_path, lab.password("developer"))
    assert patched.exists()
    core = {p: p.stat().st_mtime_ns for p in (builder / "cargo").rglob("libcore-*.rlib")}
    assert core, f"no core built in {builder / 'cargo'}"
    run = lab.client("developer").force_and_wait("force-kernel", timeout_s=900)
    assert run.kernel_result == "success", run.kernel_state
    assert not patched.exists(), "the checkout was cleaned of the try's patch"
    assert {p: p.stat().st_mtime_ns for p in (builder / "cargo").rglob("libcore-*.rlib")} == core


@pytest.mark.parametrize("user, password", [
    ("developer", lambda lab: "not-the-password"),
    ("operator", lambda lab: lab.password("operator")),  # a real user, but operators may not try
])
def test_try_is_refused_to_a_wrong_password_and_to_non_developers(lab, tmp_path, user, password):
    client = lab.client(None)
    before = kernel_builds(client)
    refusals = master_log(lab).count("UnauthorizedLogin")
    # Buildbot 4.3's try client reports the refusal but then never exits: give it a deadline.
    status, output = run_try(lab, tmp_path, password(lab), timeout_s=15, user=user)
    assert status != 0
    assert "RemoteError" in output, output
    assert master_log(lab).count("UnauthorizedLogin") > refusals
    assert kernel_builds(client) == before


def test_no_password_appears_in_any_log_summary_or_property(lab, forced):
    secrets = [u.password for u in load_users(lab.secrets_dir)]
    # every other file there is a secret too: the workers' passwords, the board's BMC and SOL ones
    secrets += [p.read_text().strip() for p in lab.secrets_dir.iterdir() if p.name != "users"]
    assert any(p.name.startswith(f"{BOARD}-") for p in lab.secrets_dir.iterdir()), "the lab started the board"
    client = lab.client(None)
    builds = client.get("builds")["builds"]
    # a board boot and board actions are among them: the builds that used the BMC password
    assert {b["target"] for b in forced.boots} >= {BOARD}
    for build in builds:
        texts = [build["state_string"], repr(client.properties(build["buildid"]))]
        texts += [s["state_string"] for s in client.steps(build["buildid"])]
        texts += logs_of(client, build["buildid"]).values()
        for text in texts:
            assert not any(secret in text for secret in secrets), f"a password leaked into build {build['buildid']}"


def test_checkconfig_on_a_malformed_inventory_prints_the_inventorys_own_error(tmp_path):
    text = (REPO / "lab-inventory.yaml").read_text()
    assert "    machine: q35\n" in text
    bad = tmp_path / "inventory.yaml"
    bad.write_text(text.replace("    machine: q35\n", "    machine: q53\n", 1))
    line = text[:text.index("    machine: q35\n")].count("\n") + 1
    secrets = tmp_path / "secrets"
    secrets.mkdir(mode=0o700)
    (secrets / "users").write_text("dev developer pw\n")
    (secrets / "users").chmod(0o600)
    buildbot = Path(sys.executable).parent / "buildbot"
    subprocess.run([str(buildbot), "create-master", "-q", "-c", str(REPO / "master.cfg"), str(tmp_path / "m")],
                   check=True)
    env = dict(os.environ, BOOTLAB_INVENTORY=str(bad), BOOTLAB_SECRETS=str(secrets))
    checked = subprocess.run([str(buildbot), "checkconfig"], cwd=tmp_path / "m", env=env,
                             capture_output=True, text=True)
    output = checked.stdout + checked.stderr
    assert checked.returncode != 0
    assert f"{bad}:{line}: targets.q35-pflash.machine: 'q53' is not one of q35, pc" in output, output
    assert "Traceback" not in output, output
