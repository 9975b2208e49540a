"""Config assembly from the real inventory, users file parsing, fan-out verdict lines."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from twisted.trial import unittest

from buildbot.process.results import EXCEPTION, FAILURE, SKIPPED, SUCCESS
from buildbot.test.reactor import TestReactorMixin
from buildbot.test.steps import ExpectShell, TestBuildStepMixin

from rustux_bootlab.lab.inventory import load_inventory
from rustux_bootlab.steps.auth import UsersError, load_users
from rustux_bootlab.steps.config import boot_access, build_config, qemu_lock, try_userpass
from rustux_bootlab.steps.fanout import child_line
from rustux_bootlab.steps.golden import GoldenImage
from rustux_bootlab.steps.power import PowerAction
from rustux_bootlab.lab.record import parse_progress, parse_verdict_line
from rustux_bootlab.harness.rest import split_timing
from rustux_bootlab.steps.settings import settings_from_env
from rustux_bootlab.workers.bootlab import parser as bootlab_parser

REPO = Path(__file__).resolve().parents[2]


def write_users(tmp_path: Path, text: str) -> Path:
    (tmp_path / "users").write_text(text)
    (tmp_path / "users").chmod(0o600)  # SecretInAFile refuses secrets others can read
    return tmp_path


def test_builders_and_schedulers_follow_the_inventory(tmp_path):
    users = load_users(write_users(tmp_path, "dev developer pw1\nops operator pw2\n"))
    settings = settings_from_env(REPO, {"BOOTLAB_SECRETS": str(tmp_path), "BOOTLAB_POLL_S": "0"})
    inventory = load_inventory(settings.inventory)
    cfg = build_config(inventory, settings, users, tmp_path)
    targets = sorted(t.name for t in inventory.targets.values() if t.enabled and not t.nightly)  # nightly lanes: not per push
    names = sorted(b.name for b in cfg["builders"])
    boards = sorted(b.name for b in inventory.boards.values() if b.enabled)
    assert boards, "the inventory's virtual boards"
    lanes = sorted(t.name for t in inventory.targets.values() if t.enabled and t.nightly)
    assert lanes, "the inventory's compatibility lanes (other environments, Secure Boot)"
    assert names == sorted(["kernel"] + [f"boot/{t}" for t in targets + boards] + [f"golden/{t}" for t in targets + lanes]
                           + [f"operator/{b}" for b in inventory.boards] + [f"bisect/{t}" for t in targets])
    schedulers = {s.name: s for s in cfg["schedulers"]}
    assert {f"boot-{t}" for t in targets + boards} <= set(schedulers)
    # each QEMU target's boot ends by deciding whether to bisect, on its own bisect builder
    assert {f"bisect-{t}" for t in targets} <= set(schedulers)
    for t in targets:
        assert schedulers[f"bisect-{t}"].builderNames == [f"bisect/{t}"]
    # the nightly build boots the golden image on every lane; a push boots only the default targets
    assert set(schedulers["nightly-golden"].builderNames) == {f"golden/{t}" for t in targets + lanes}
    assert not {f"boot-{t}" for t in lanes} & set(schedulers)
    builders = {b.name: b for b in cfg["builders"]}
    workers = {w.name: w for w in cfg["workers"]}
    for b in boards:
        board = inventory.boards[b]
        # a boot and an operator action on one board share its lock, on the board's own worker
        for builder in (f"boot/{b}", f"operator/{b}"):
            assert builders[builder].workernames == [board.worker]
            assert [(lock.lockid.name, lock.mode) for lock in builders[builder].locks] == [(f"board-{b}", "exclusive")]
        # the same lock object: Buildbot refuses two locks of one name
        assert builders[f"boot/{b}"].locks[0].lockid is builders[f"operator/{b}"].locks[0].lockid
        assert workers[board.worker].max_builds == 1
    assert workers["local-qemu"].max_builds is None  # the kernel build waits for its boots there
    cores = inventory.workers["local-qemu"].max_builds
    for t in targets:
        # three boot builds per core: while two warm boots per core boot, the next stage
        [build_lock] = builders[f"boot/{t}"].locks
        assert (build_lock.lockid.name, build_lock.lockid.maxCountForWorker["local-qemu"]) == ("qemu-builds", 3 * cores)
        # the qemu lock counts half cores: a warm target's boot takes one, a cold one a core
        [boot] = [s for s in builders[f"boot/{t}"].factory.steps if s.step_class.__name__ == "BootStep"]
        share = 1 if inventory.target(t).warm else 2
        assert [(lock.lockid.name, lock.lockid.maxCountForWorker["local-qemu"], lock.count) for lock in boot.kwargs["locks"]] \
            == [("qemu", 2 * cores, share)]
        [golden_boot] = [s for s in builders[f"golden/{t}"].factory.steps if s.step_class.__name__ == "BootStep"]
        assert [lock.count for lock in golden_boot.kwargs["locks"]] == [2]  # the golden image boots cold
    lock = qemu_lock(inventory)
    assert (boot_access(lock, warm=True).count, boot_access(lock, warm=False).count, boot_access(lock).count) == (1, 2, 2)
    assert ("board-action" in schedulers) == bool(inventory.boards)
    assert "push" not in schedulers and cfg["change_source"] == []
    # only developers (and admins) may `buildbot try`
    assert [u for u, _ in try_userpass(users)] == ["dev"]
    assert cfg["www"]["port"] == "tcp:8010:interface=127.0.0.1"
    # every golden (health) builder checks the warm lane after its cold boot of the golden image
    for t in targets:
        steps = [step.step_class.__name__ + ":" + step.kwargs.get("name", "") for step in builders[f"golden/{t}"].factory.steps]
        assert steps[-1] == "ShellCommand:warm-check"
        command = builders[f"golden/{t}"].factory.steps[-1].kwargs["command"]
        assert command[1:6] == ["warm", "check", "--target", t, "--image"]
        args = bootlab_parser(command[1:]).parse_args(command[1:])  # as the worker's bootlab will
        assert (args.target, str(args.inventory)) == (t, command[command.index("--inventory") + 1])


def test_a_kernel_build_fans_out_to_the_arm64_target_with_its_own_esp_and_spec(tmp_path):
    users = load_users(write_users(tmp_path, "dev developer pw1\n"))
    settings = settings_from_env(REPO, {"BOOTLAB_SECRETS": str(tmp_path), "BOOTLAB_POLL_S": "0"})
    inventory = load_inventory(settings.inventory)
    assert inventory.target("virt-aavmf").enabled and not inventory.target("virt-aavmf").nightly
    builders = {b.name: b for b in build_config(inventory, settings, users, tmp_path)["builders"]}
    kernel = {step.kwargs.get("name", getattr(step.step_class, "name", None)): step.kwargs
              for step in builders["kernel"].factory.steps}
    # beside the checkout, incremental
    assert kernel["kernel-aarch64"]["env"] == {"ARCH": "aarch64", "RUSTUX_CARGO_DIR": "../cargo", "CARGO_INCREMENTAL": "1"}
    assert kernel["kernel"]["env"] == {"RUSTUX_CARGO_DIR": "../cargo", "CARGO_INCREMENTAL": "1"}
    pack = kernel["pack"]["command"][2]
    assert "> build/aarch64/esp.sha256sums" in pack
    assert "-C build esp esp.sha256sums aarch64/esp aarch64/esp.sha256sums -C ../kernel milestones.yaml milestones-aarch64.yaml" in pack

    def boot_of(target: str) -> dict:
        return next(s.kwargs for s in builders[f"boot/{target}"].factory.steps if s.step_class.__name__ == "BootStep")

    assert (boot_of("virt-aavmf")["image"], boot_of("virt-aavmf")["milestones"]) == (
        "artifact/aarch64/esp", "artifact/milestones-aarch64.yaml")
    assert (boot_of("q35-pflash")["image"], boot_of("q35-pflash")["milestones"]) == ("artifact/esp", "artifact/milestones.yaml")


def test_users_file_errors_name_file_and_line(tmp_path):
    with pytest.raises(UsersError, match=r"users:2: role 'wizard' is not one of developer, operator, admin"):
        load_users(write_users(tmp_path, "dev developer pw\nmerlin wizard pw\n"))
    with pytest.raises(UsersError, match="no users file"):
        load_users(tmp_path / "nowhere")


def test_settings_reject_a_bad_port():
    with pytest.raises(ValueError, match="BOOTLAB_WEB_PORT='80a'"):
        settings_from_env(REPO, {"BOOTLAB_WEB_PORT": "80a"})


@pytest.mark.parametrize("props, line", [
    ({"verdict": "PASS", "milestones_reached": 12, "milestones_total": 12}, "q35 PASS 12/12"),
    ({"verdict": "FAIL", "culprit": "code", "last_milestone": "user-entry"}, "q35 FAIL/code after user-entry"),
    ({"verdict": "ERROR", "culprit": "firmware"}, "q35 ERROR/firmware"),
    ({}, "q35: no verdict"),
])
def test_child_line(props, line):
    assert child_line("boot/q35", props) == line


def test_progress_lines_follow_the_bootlab_contract():
    assert parse_progress("bootlab: milestone 5/12 heap-ok 3.41s").summary() == "boot: 5/12 heap-ok"
    assert parse_progress("bootlab: qemu started") is None
    assert parse_verdict_line("bootlab: verdict ERROR host KVM internal error")[2] == "KVM internal error"
    assert parse_verdict_line("bootlab: verdict PASS -")[1] is None


def test_split_timing():
    kernel = [{"name": "checkout", "started_at": 100, "complete_at": 101},
              {"name": "kernel", "started_at": 101, "complete_at": 131},
              {"name": "upload", "started_at": 131, "complete_at": 132}]
    boots = [[{"name": "stage", "started_at": 133, "complete_at": 134},
              {"name": "boot", "started_at": 134, "complete_at": 141}],
             [{"name": "stage", "started_at": 133, "complete_at": 136},
              {"name": "boot", "started_at": 136, "complete_at": 143}]]
    assert split_timing(kernel, boots) == {"build_s": 31.0, "transfer_s": 4.0, "boots_s": 9.0}


class GoldenImageTest(TestBuildStepMixin, TestReactorMixin, unittest.TestCase):
    def setUp(self):
        self.setup_test_reactor()
        scratch = tempfile.TemporaryDirectory()
        self.addCleanup(scratch.cleanup)
        self.dir = Path(scratch.name)
        return self.setup_test_build_step()

    def test_missing_golden_image_is_skipped_with_a_reason(self):
        self.setup_step(GoldenImage("q35", self.dir / "q35.tar.gz"))
        self.expect_outcome(result=SKIPPED, state_string="no golden image for q35 yet: boot/q35 must PASS once")
        return self.run_step()

    def test_present_golden_image_is_dated(self):
        golden = self.dir / "q35.tar.gz"
        golden.write_bytes(b"artifact")
        os.utime(golden, (0, 0))
        self.setup_step(GoldenImage("q35", golden))
        self.expect_outcome(result=SUCCESS, state_string="golden image kept 1970-01-01 00:00 UTC")
        return self.run_step()


class PowerActionTest(TestBuildStepMixin, TestReactorMixin, unittest.TestCase):
    def setUp(self):
        self.setup_test_reactor()
        return self.setup_test_build_step()

    def test_summary_is_bootlabs_read_back(self):
        self.setup_step(PowerAction(board="vboard-1", action="off"))
        self.expect_commands(ExpectShell(workdir="wkdir", command=["bootlab", "power", "vboard-1", "off"])
                             .stdout("vboard-1: power off\n").exit(0))
        self.expect_outcome(result=SUCCESS, state_string="vboard-1: power off")
        return self.run_step()

    def test_a_quarantine_names_the_operator_and_reason_and_a_refusal_is_a_failure(self):
        self.setup_step(PowerAction(board="vboard-1", action="quarantine", reason="fan broken", operator="alice"))
        self.expect_commands(ExpectShell(workdir="wkdir", command=["bootlab", "quarantine", "vboard-1", "--reason",
                                                                   "fan broken", "--by", "alice"])
                             .stdout("vboard-1: quarantined by alice since 2026-11-23T23:00:00Z: fan broken\n").exit(0))
        self.expect_outcome(result=SUCCESS,
                            state_string="vboard-1: quarantined by alice since 2026-11-23T23:00:00Z: fan broken")
        return self.run_step()

    def test_a_release_of_a_good_board_is_refused_as_a_failure(self):
        self.setup_step(PowerAction(board="vboard-1", action="release", operator="alice"))
        self.expect_commands(ExpectShell(workdir="wkdir", command=["bootlab", "release", "vboard-1", "--reason", "",
                                                                   "--by", "alice"])
                             .stderr("bootlab: vboard-1: not quarantined (health good): nothing to release\n").exit(2))
        self.expect_outcome(result=FAILURE, state_string="vboard-1: not quarantined (health good): nothing to release")
        return self.run_step()

    def test_an_open_bmc_is_a_failure_saying_so(self):
        self.setup_step(PowerAction(board="vboard-1", action="bmc-check"))
        line = "!!! vboard-1 (BMC 127.0.0.1:9623) is OPEN: 2 of 4 attacks accepted: whoever reaches it can power it"
        self.expect_commands(ExpectShell(workdir="wkdir", command=["bootlab", "bmc-check", "vboard-1"])
                             .stdout("    ACCEPTED: cipher suite 0 (no authentication) with a wrong password\n"
                                     + line + "\n").exit(1))
        self.expect_outcome(result=FAILURE, state_string=line)
        return self.run_step()

    def test_an_unreachable_bmc_is_an_exception_naming_the_bmc(self):
        self.setup_step(PowerAction(board="vboard-1", action="status"))
        line = "bootlab: board vboard-1: BMC 127.0.0.1:9623: get power: no answer (3 attempts) (ERROR/board)"
        self.expect_commands(ExpectShell(workdir="wkdir", command=["bootlab", "power", "vboard-1", "status"])
                             .stderr(line + "\n").exit(3))
        self.expect_outcome(result=EXCEPTION, state_string=line.removeprefix("bootlab: "))
        return self.run_step()


def test_the_golden_boot_is_cold_and_the_kernel_builds_boots_boot_as_the_inventory_says(tmp_path):
    """The nightly golden boot is the cold half of the cold/warm comparison: it never restores."""
    from rustux_bootlab.steps.boot import BootStep

    users = load_users(write_users(tmp_path, "dev developer pw1\n"))
    settings = settings_from_env(REPO, {"BOOTLAB_SECRETS": str(tmp_path), "BOOTLAB_POLL_S": "0"})
    inventory = load_inventory(settings.inventory)
    builders = {b.name: b for b in build_config(inventory, settings, users, tmp_path)["builders"]}
    for t in (t for t in inventory.targets.values() if t.enabled):
        golden = [s for s in builders[f"golden/{t.name}"].factory.steps if s.step_class is BootStep]
        assert [s.kwargs.get("cold") for s in golden] == [True]
        if not t.nightly:  # a compatibility lane has no per-push boot builder
            boot = [s for s in builders[f"boot/{t.name}"].factory.steps if s.step_class is BootStep]
            assert [s.kwargs.get("cold") for s in boot] == [None]
    assert BootStep(target="q35", cold=True).command()[-1] == "--no-warm"
    assert "--no-warm" not in BootStep(target="q35").command()
