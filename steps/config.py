"""Assembling BuildmasterConfig from the inventory: workers, builders, schedulers, web UI.

master.cfg only reads its inputs and calls `build_config`; everything here is a plain
function of the inventory, the settings and the users, so it is testable without a master.

Builders:
  kernel              checkout, build kernel + userspace, pack the ESP and milestone spec
                      into an artifact on the master, then fan out to every boot builder
  boot/<target>       download the artifact, boot it with bootlab (one per enabled target);
                      a PASS keeps the artifact as the target's golden image for triage
  boot/<board>        the same on a board (one per board in service), on the board's worker,
                      holding the board's lock
  golden/<target>     boot the target's golden image (nightly, or forced by an operator)
  operator/<board>    an operator's board action (`bootlab power`, `quarantine`, `release`, `bmc-check`),
                      one at a time per board
  bisect/<target>     `bootlab bisect` between the target's last PASS and a FAIL/code, started by
                      the boot/<target> build whose boot turned the target from PASS to FAIL/code
"""
from __future__ import annotations

from pathlib import Path

from buildbot.plugins import changes, schedulers, secrets, util, worker
from buildbot.plugins import steps as bb
from buildbot.locks import LockAccess
from rustux_bootlab.lab.arch import ARCHES
from rustux_bootlab.lab.board import Board
from rustux_bootlab.lab.contract import BISECT, GOLDEN, KERNEL_BUILDER, OPERATOR, boot_builder, boot_scheduler, builder
from rustux_bootlab.lab.inventory import Inventory, QemuTarget
from rustux_bootlab.steps.auth import LabUser
from rustux_bootlab.steps.bisect import BisectStep, BisectTrigger
from rustux_bootlab.steps.boot import BootStep
from rustux_bootlab.steps.fanout import BootFanout
from rustux_bootlab.steps.golden import GoldenImage
from rustux_bootlab.steps.kcidb import KcidbReport
from rustux_bootlab.steps import dashboard, screens, sqlite
from rustux_bootlab.steps.dashboard.boardstate import BoardState
from rustux_bootlab.steps.kernel import KernelBuild
from rustux_bootlab.steps.staging import ARTIFACT, GOLDEN_ARCHIVE, StageBoot, StageUnpack
from rustux_bootlab.steps.placement import next_worker
from rustux_bootlab.steps.power import BMC_CHECK, BOARD_ACTIONS, PowerAction
from rustux_bootlab.steps.settings import MasterSettings
from rustux_bootlab.steps.trysched import LabTry

# Cargo's target dirs beside the kernel builder's checkout, not in it: after a try's patch the
# Git step cleans the checkout of ignored files (`git clean -x`), and a kernel build after a try
# paid a cold build of core and alloc (53 s against 3 s). Incremental, as cargo's dev profile is:
# the kernel crate of a one-line change rebuilds in 0.6-1.2 s instead of 2.1-2.7 s, and the
# builder's image is what its boots judge, built from the same tree either way.
KERNEL_BUILD_ENV = {"RUSTUX_CARGO_DIR": "../cargo", "CARGO_INCREMENTAL": "1"}


def golden_builder(target: str) -> str:
    return builder(GOLDEN, target)


def operator_builder(board: str) -> str:
    return builder(OPERATOR, board)


def bisect_builder(target: str) -> str:
    return builder(BISECT, target)


def bisect_scheduler(target: str) -> str:
    return f"bisect-{target}"


def board_lock(board: str) -> util.MasterLock:
    """Held by everything that touches the board, so an operator action never lands mid-boot."""
    return util.MasterLock(f"board-{board}")


def enabled_targets(inventory: Inventory) -> list[QemuTarget]:
    """The targets a push boots: compatibility lanes (`nightly: true`) wait for the nightly build."""
    return [t for t in inventory.targets.values() if t.enabled and not t.nightly]


def compatibility_lanes(inventory: Inventory) -> list[tuple[QemuTarget, str]]:
    """The nightly lanes, each with the per-push target of its machine type whose golden image it
    boots (its own name when there is none): every environment meets the same known-good image."""
    pushed = enabled_targets(inventory)
    return [(t, next((p.name for p in pushed if p.machine == t.machine), t.name))
            for t in inventory.targets.values() if t.enabled and t.nightly]


def enabled_boards(inventory: Inventory) -> list[Board]:
    """Boards that take boots: a disabled board is left out like a disabled target."""
    return [b for b in inventory.boards.values() if b.enabled]


def make_workers(inventory: Inventory) -> list:
    # Passwords come from the secrets directory (`worker-<name>` files) at render time.
    # No max_builds on qemu workers: a `kernel` build waits on its boots while holding its
    # worker, so a build limit would let it starve them; `qemu_lock` limits the boots themselves.
    # A board controller never builds a kernel: its limit is the inventory's (1 per board).
    return [worker.Worker(w.name, util.Interpolate(f"%(secret:worker-{w.name})s"),
                          **({"max_builds": w.max_builds} if w.kind == "board-controller" else {}))
            for w in inventory.workers.values()]


# `qemu_lock` counts half cores: a cold boot is seconds of firmware on a core, a warm one about
# a second of which the firmware's restore and the kernel use half (a fan-out of four warm boots
# at once on two cores ended 0.8 s sooner than two at a time).
COLD_BOOT_UNITS = 2
WARM_BOOT_UNITS = 1


def qemu_lock(inventory: Inventory) -> util.WorkerLock:
    """At most `max_builds` cold QEMU boots at once on each worker (the inventory sets it to its
    cores), or twice as many warm ones (`boot_access`)."""
    return util.WorkerLock("qemu", maxCount=COLD_BOOT_UNITS,
                           maxCountForWorker={w.name: COLD_BOOT_UNITS * w.max_builds for w in inventory.workers.values()})


def boot_access(lock: util.WorkerLock, warm: bool = False) -> LockAccess:
    """A QEMU step's share of the worker's `qemu_lock`: `warm` for a target whose boots restore
    their firmware by default (a warm boot whose lane is off runs cold, briefly over the count)."""
    return lock.access("counting", count=WARM_BOOT_UNITS if warm else COLD_BOOT_UNITS)


def boot_build_lock(inventory: Inventory) -> util.WorkerLock:
    """At most three times `max_builds` boot builds at once on each worker, their boot steps
    under `qemu_lock`: while up to twice `max_builds` warm ones boot, the next stage their
    images (StageBoot), so a fan-out's staging overlaps the boots instead of queueing behind
    them."""
    return util.WorkerLock("qemu-builds", maxCount=3,
                           maxCountForWorker={w.name: 3 * w.max_builds for w in inventory.workers.values()})


def kernel_factory(repo: str, branch: str, artifacts_dir: Path, targets: list[str],
                   kcidb_dir: Path | None = None, arches: tuple[str, ...] = ("x86_64",)) -> util.BuildFactory:
    """`targets`: the QEMU targets and boards the artifact is booted on; `kcidb_dir`: where
    each build's KCIDB JSON goes; `arches`: the architectures they boot, each built into the
    artifact (`esp/` for x86_64, `aarch64/esp/` beside it) with its spec."""
    artifact = util.Interpolate(f"{artifacts_dir}/kernel-%(prop:buildnumber)s.tar.gz")
    f = util.BuildFactory()
    f.addStep(bb.Git(name="checkout", repourl=repo, branch=branch, mode="incremental", haltOnFailure=True))
    f.addStep(KernelBuild(env=KERNEL_BUILD_ENV, haltOnFailure=True))
    others = [ARCHES[a] for a in dict.fromkeys(arches) if a != "x86_64"]
    esps = ["esp", *(f"{a.build_dir}/esp" for a in others)]
    for arch in others:
        f.addStep(KernelBuild(name=f"kernel-{arch.name}", env={**KERNEL_BUILD_ENV, "ARCH": arch.name}, haltOnFailure=True))
    f.addStep(bb.ShellCommand(
        name="pack", haltOnFailure=True, descriptionDone=["packed", ARTIFACT],
        # esp.sha256sums: what the build made, so a boot tells an image damaged on the way
        # (ERROR/lab) from one the build made broken (FAIL/code): workers/artifacts/image.py
        command=["sh", "-c", "".join(f'(cd build/{esp} && find . -type f | LC_ALL=C sort | xargs -r sha256sum) > build/{esp}.sha256sums && '
                                     for esp in esps)
                 + 'tar -czf "$0" -C build ' + " ".join(f"{esp} {esp}.sha256sums" for esp in esps)
                 + " -C ../kernel milestones.yaml" + "".join(f" {a.spec}" for a in others), ARTIFACT],
    ))
    f.addStep(bb.FileUpload(name="upload", workersrc=ARTIFACT, masterdest=artifact, haltOnFailure=True))
    if targets:
        f.addStep(BootFanout(
            schedulerNames=[boot_scheduler(t) for t in targets],
            set_properties={"artifact": artifact},
        ))
        if kcidb_dir is not None:
            f.addStep(KcidbReport(kcidb_dir, repo, branch, alwaysRun=True))
    return f


def artifact_esp(unpacked: str, target: QemuTarget) -> str:
    """The ESP of the target's architecture in an unpacked artifact (kernel_factory's layout)."""
    build_dir = ARCHES[target.arch].build_dir
    return f"{unpacked}/esp" if build_dir == "." else f"{unpacked}/{build_dir}/esp"


def artifact_spec(unpacked: str, target: QemuTarget) -> str:
    return f"{unpacked}/{ARCHES[target.arch].spec}"


def _unpack(name: str, archive: str, into: str, **kwargs) -> StageUnpack:
    return StageUnpack(
        what=archive, name=name, haltOnFailure=True, descriptionDone=["unpacked", archive],
        command=["sh", "-c", 'rm -rf "$1" && mkdir "$1" && tar -xzf "$0" -C "$1"', archive, into],
        **kwargs,
    )


def boot_factory(target: QemuTarget, settings: MasterSettings, golden: Path, history: Path,
                 lock: util.WorkerLock) -> util.BuildFactory:
    """The boot step holds the `qemu` lock, the build `boot_build_lock` (make_builders)."""
    f = util.BuildFactory()
    # The last image that passed here is the baseline bootlab triages a failure against: staged
    # with the artifact.
    f.addStep(StageBoot(util.Property("artifact"), golden=golden, baseline=artifact_esp("golden", target)))
    f.addStep(BootStep(
        target=target.name, image=artifact_esp("artifact", target), milestones=artifact_spec("artifact", target),
        inventory=str(settings.inventory), baseline=util.Property("baseline"), bootlab=settings.bootlab,
        locks=[boot_access(lock, warm=target.warm)],
    ))
    f.addStep(_keep_golden(golden))
    f.addStep(BisectTrigger(target.name, history, schedulerNames=[bisect_scheduler(target.name)]))
    return f


def bisect_factory(target: QemuTarget, repo: str, branch: str, settings: MasterSettings,
                   lock: util.WorkerLock) -> util.BuildFactory:
    """The kernel's checkout with its whole history, then `bootlab bisect` on the target. The
    cargo target dir next to the checkout is kept between bisections, seeded once from the
    kernel builder's (same worker), so even the first step's build is incremental."""
    f = util.BuildFactory()
    f.addStep(bb.Git(name="checkout", repourl=repo, branch=branch, mode="incremental", haltOnFailure=True))
    f.addStep(bb.ShellCommand(
        name="cargo-dir", descriptionDone=["cargo", "target", "dir"], hideStepIf=lambda results, step: True,
        command=["sh", "-c", '[ -d ../cargo ] || [ ! -d "$0" ] || cp -a "$0" ../cargo', f"../../{KERNEL_BUILDER}/cargo"],
    ))
    f.addStep(BisectStep(target.name, good=util.Property("good_rev"), bad=util.Property("bad_rev"),
                         inventory=str(settings.inventory), bootlab=settings.bootlab, locks=[boot_access(lock)]))
    return f


def board_boot_factory(board: Board, settings: MasterSettings, golden: Path) -> util.BuildFactory:
    """No --baseline: `bootlab boot --board` has no triage yet; the golden image is kept
    all the same, so triage finds one the day it has."""
    f = util.BuildFactory()
    f.addStep(StageBoot(util.Property("artifact")))
    f.addStep(BootStep(
        board=board.name, image="artifact/esp", milestones="artifact/milestones.yaml",
        inventory=str(settings.inventory), bootlab=settings.bootlab,
    ))
    f.addStep(_keep_golden(golden))
    f.addStep(BoardState(board.name, inventory=str(settings.inventory), bootlab=settings.bootlab))
    return f


def _keep_golden(golden: Path) -> bb.MasterShellCommand:
    return bb.MasterShellCommand(
        name="keep-golden",
        command=["sh", "-c", 'mkdir -p "$(dirname "$1")" && cp "$0" "$1.tmp" && mv "$1.tmp" "$1"',
                 util.Property("artifact"), str(golden)],
        doStepIf=lambda step: step.getProperty("verdict") == "PASS", hideStepIf=_hidden_when_skipped,
    )


def golden_factory(target: QemuTarget, settings: MasterSettings, golden: Path, lock: util.WorkerLock,
                   warm_check: bool = True) -> util.BuildFactory:
    """The golden image boots cold (every other boot restores its firmware where the lane is on),
    then, with `warm_check`, the warm check compares a cold and a warm boot of it."""
    def has_golden(step) -> bool:
        return golden.exists()

    f = util.BuildFactory()
    f.addStep(GoldenImage(target.name, golden))
    f.addStep(bb.FileDownload(name="download-golden", mastersrc=str(golden), workerdest=GOLDEN_ARCHIVE,
                              doStepIf=has_golden, haltOnFailure=True, hideStepIf=_hidden_when_skipped))
    f.addStep(_unpack("unpack-golden", GOLDEN_ARCHIVE, "golden", doStepIf=has_golden,
                      hideStepIf=_hidden_when_skipped))
    f.addStep(BootStep(
        target=target.name, image=artifact_esp("golden", target), milestones=artifact_spec("golden", target), cold=True,
        inventory=str(settings.inventory), bootlab=settings.bootlab, doStepIf=has_golden,
        hideStepIf=_hidden_when_skipped, locks=[boot_access(lock)],
    ))
    if warm_check:
        f.addStep(_warm_check(target, settings, has_golden, lock))
    return f


def _warm_check(target: QemuTarget, settings: MasterSettings, has_golden, lock: util.WorkerLock) -> bb.ShellCommand:
    """The periodic cold/warm agreement check (issue 14): the golden image booted cold and warm
    must agree milestone for milestone, or bootlab turns the target's warm lane off (FAILURE
    here, until `bootlab warm release`). Exit 3: the warm boot could not run at all (WARNINGS)."""
    return bb.ShellCommand(
        name="warm-check", descriptionDone="cold and warm agree",
        command=[settings.bootlab, "warm", "check", "--target", target.name, "--image", artifact_esp("golden", target),
                 "--milestones", artifact_spec("golden", target), "--inventory", str(settings.inventory), "--out", "warm-check"],
        decodeRC={0: util.SUCCESS, 1: util.FAILURE, 3: util.WARNINGS},
        doStepIf=has_golden, hideStepIf=_hidden_when_skipped, locks=[boot_access(lock)],
    )


def operator_factory(board: str, settings: MasterSettings) -> util.BuildFactory:
    f = util.BuildFactory()
    f.addStep(PowerAction(board=board, action=util.Property("action", default="status"),
                          reason=util.Property("reason", default=""), operator=util.Property("owner", default=""),
                          inventory=str(settings.inventory), bootlab=settings.bootlab))
    f.addStep(BoardState(board, inventory=str(settings.inventory), bootlab=settings.bootlab))
    return f


def _hidden_when_skipped(results, step) -> bool:
    return results == util.SKIPPED


def make_builders(inventory: Inventory, settings: MasterSettings, basedir: Path) -> list:
    targets = enabled_targets(inventory)
    boards = enabled_boards(inventory)
    clash = sorted({t.name for t in targets} & {b.name for b in boards})
    if clash:
        raise ValueError(f"{inventory.path}: {', '.join(clash)}: a target and a board share a name, "
                         "but each gets its own boot/<name> builder: rename one")
    repo = inventory.lab.kernel_repo or str(settings.repo_root)
    branch = inventory.lab.kernel_branch or "main"
    build_worker = next((w.name for w in inventory.workers.values() if w.kind == "qemu"), None)
    if build_worker is None:
        raise ValueError(f"{inventory.path}: workers: no worker of kind qemu to build the kernel on")
    builders = [util.BuilderConfig(
        name=KERNEL_BUILDER, workernames=[build_worker],
        factory=kernel_factory(repo, branch, basedir / "artifacts", [t.name for t in targets + boards], basedir / "kcidb",
                               tuple(t.arch for t in targets)),
    )]
    lock, builds_lock = qemu_lock(inventory), boot_build_lock(inventory)
    place = next_worker({w.name: w.max_builds for w in inventory.workers.values()})
    # One lock object per board: Buildbot refuses two locks of the same name.
    board_locks = {b: board_lock(b).access("exclusive") for b in inventory.boards}
    for t in targets:
        golden = basedir / "golden" / f"{t.name}.tar.gz"
        history = basedir / "history" / f"{t.name}.json"
        # A lock on the whole build as well as on its boot step: Buildbot weighs only a build's
        # locks when it picks one of the target's workers, so without it boots would queue on a
        # busy host; `place` spreads them by what each host's boot steps may run.
        builders.append(util.BuilderConfig(name=boot_builder(t.name), workernames=list(t.boot_workers),
                                           factory=boot_factory(t, settings, golden, history, lock), tags=["boot"],
                                           locks=[builds_lock.access("counting")], nextWorker=place))
        builders.append(util.BuilderConfig(name=bisect_builder(t.name), workernames=[t.worker],
                                           factory=bisect_factory(t, repo, branch, settings, lock), tags=["bisect"]))
        builders.append(util.BuilderConfig(name=golden_builder(t.name), workernames=[t.worker],
                                           factory=golden_factory(t, settings, golden, lock), tags=["golden"]))
    for t, base in compatibility_lanes(inventory):  # the nightly build boots the golden image there
        builders.append(util.BuilderConfig(name=golden_builder(t.name), workernames=[t.worker], tags=["golden", "nightly"],
                                           # no snapshot where no UEFI shell is reached (U-Boot, Secure Boot)
                                           factory=golden_factory(t, settings, basedir / "golden" / f"{base}.tar.gz", lock,
                                                                  warm_check=t.warm)))
    for b in boards:
        # The board's lock around the whole build: no operator action between deploy and power-off.
        builders.append(util.BuilderConfig(name=boot_builder(b.name), workernames=[b.worker],
                                           factory=board_boot_factory(b, settings, basedir / "golden" / f"{b.name}.tar.gz"),
                                           tags=["boot", "board"], locks=[board_locks[b.name]]))
    for b in inventory.boards.values():
        builders.append(util.BuilderConfig(name=operator_builder(b.name), workernames=[b.worker],
                                           factory=operator_factory(b.name, settings), tags=["operator"],
                                           locks=[board_locks[b.name]]))
    return builders


def try_userpass(users: list[LabUser]) -> list[tuple[str, str]]:
    return [(u.name, u.password) for u in users if u.may_try]


def make_schedulers(inventory: Inventory, settings: MasterSettings, users: list[LabUser]) -> list:
    """A single master has every scheduler. Of two masters, the ui one has what a person starts
    (force, try) and the engine one what the lab starts (triggers, nightly, push): each
    scheduler on one master only, so none can add a buildset twice (docs/multi-master.md)."""
    people = [] if settings.role == "engine" else _people_schedulers(inventory, settings, users)
    lab = [] if settings.role == "ui" else _lab_schedulers(inventory, settings)
    return people + lab


def _people_schedulers(inventory: Inventory, settings: MasterSettings, users: list[LabUser]) -> list:
    golden_builders = [golden_builder(t.name) for t in enabled_targets(inventory)] + [
        golden_builder(t.name) for t, _ in compatibility_lanes(inventory)]
    result = [
        schedulers.ForceScheduler(name="force-kernel", builderNames=[KERNEL_BUILDER],
                                  buttonName="Build and boot"),
        LabTry(name="try", builderNames=[KERNEL_BUILDER], port=settings.listen(settings.try_port),
               userpass=try_userpass(users), repo=inventory.lab.kernel_repo or str(settings.repo_root)),
    ]
    if golden_builders:
        result.append(schedulers.ForceScheduler(name="force-golden", builderNames=golden_builders,
                                                buttonName="Boot the golden image"))
    if inventory.boards:
        # The web form offers the board (one builder per board) and the action.
        result.append(schedulers.ForceScheduler(
            name="board-action", buttonName="Board action",
            builderNames=[operator_builder(b) for b in inventory.boards],
            # the form's own reason (property `reason`) is the quarantine's or release's reason
            reason=util.StringParameter(name="reason", label="Reason (quarantine, release)", default="", size=60),
            properties=[util.ChoiceStringParameter(name="action", label="Action", choices=list(BOARD_ACTIONS),
                                                   default="status", strict=True)],
        ))
    return result


def _lab_schedulers(inventory: Inventory, settings: MasterSettings) -> list:
    targets = enabled_targets(inventory)
    result = [schedulers.Triggerable(name=boot_scheduler(name), builderNames=[boot_builder(name)])
              for name in [t.name for t in targets] + [b.name for b in enabled_boards(inventory)]]
    result += [schedulers.Triggerable(name=bisect_scheduler(t.name), builderNames=[bisect_builder(t.name)])
               for t in targets]
    if targets:
        lanes = [t for t, _ in compatibility_lanes(inventory)]
        result.append(schedulers.Nightly(name="nightly-golden", builderNames=[golden_builder(t.name) for t in targets + lanes],
                                         hour=3, minute=0))
    boards = enabled_boards(inventory)
    if boards:  # real BMCs ship open and get reset to it: each is tried as an attacker would, nightly
        result.append(schedulers.Nightly(name="nightly-bmc-check", builderNames=[operator_builder(b.name) for b in boards],
                                         hour=3, minute=30, properties={"action": BMC_CHECK}))
    if settings.poll_interval_s:
        result.append(schedulers.SingleBranchScheduler(
            name="push", builderNames=[KERNEL_BUILDER], treeStableTimer=None,
            change_filter=util.ChangeFilter(branch=inventory.lab.kernel_branch or "main"),
        ))
    return result


def make_change_sources(inventory: Inventory, settings: MasterSettings) -> list:
    if not settings.poll_interval_s or settings.role == "ui":
        return []
    return [changes.GitPoller(
        repourl=inventory.lab.kernel_repo or str(settings.repo_root),
        branches=[inventory.lab.kernel_branch or "main"],
        pollInterval=settings.poll_interval_s, workdir="gitpoller-work",
    )]


def make_www(settings: MasterSettings, users: list[LabUser], inventory: Inventory | None = None) -> dict:
    by_role: dict[str, list[str]] = {}
    for u in users:
        by_role.setdefault(u.role, []).append(u.name)
    authz = util.Authz(
        # First matching rule decides; anything not matched (reading) is open to everyone.
        allowRules=[
            util.AnyEndpointMatcher(role="admin", defaultDeny=False),
            util.ForceBuildEndpointMatcher(builder="golden/*", role="operator"),
            util.ForceBuildEndpointMatcher(builder="operator/*", role="operator"),
            util.ForceBuildEndpointMatcher(builder=KERNEL_BUILDER, role="developer"),
            util.RebuildBuildEndpointMatcher(builder=KERNEL_BUILDER, role="developer"),
            util.StopBuildEndpointMatcher(role="developer", defaultDeny=False),
            util.StopBuildEndpointMatcher(role="operator"),
            util.AnyControlEndpointMatcher(role="admin"),
        ],
        roleMatchers=[util.RolesFromUsername(roles=[role], usernames=names) for role, names in by_role.items()],
    )
    return {
        "port": settings.listen(settings.web_port),
        "plugins": {"waterfall_view": {}, "console_view": {}, "grid_view": {}, screens.PLUGIN: {},
                    **({dashboard.PLUGIN: dashboard.plugin_config(
                        [t.name for t in enabled_targets(inventory)], [b.name for b in inventory.boards.values()],
                        settings.buildbot_url, {t.name: t.environment.name for t in inventory.targets.values()},
                        {t.name: t.machine for t in enabled_targets(inventory)})}
                       if inventory is not None else {})},
        "auth": util.UserPasswordAuth({u.name: u.password for u in users}),
        "authz": authz,
        "avatar_methods": [],  # the default asks gravatar.com about every author's e-mail
    }


def make_db(settings: MasterSettings) -> dict:
    db: dict = {"db_url": settings.db_url}
    if settings.db_url.startswith("postgresql"):
        # A restarted PostgreSQL leaves every pooled connection dead: test each one as it is
        # taken from the pool, so the first query after a restart does not fail on it.
        db["engine_kwargs"] = {"pool_pre_ping": True}
    elif settings.db_url.startswith("sqlite"):
        db["engine_kwargs"] = sqlite.engine_kwargs()
    return db


def make_cluster(settings: MasterSettings) -> dict:
    """The keys that make this master one of several: shared database, WAMP message queue."""
    if not settings.multi_master:
        return {}
    return {"multiMaster": True, "mq": {"type": "wamp", "router_url": settings.mq_url, "realm": "bootlab"}}


def build_config(inventory: Inventory, settings: MasterSettings, users: list[LabUser], basedir: Path) -> dict:
    # The ui master has no pb port: every worker connects to the engine, which runs every build.
    # It still declares the workers and builders (Buildbot collapses and checks requests by
    # them where they are added), so it names the in-process protocol, which opens no port.
    protocols = {"null": {}} if settings.role == "ui" else {"pb": {"port": settings.listen(settings.pb_port)}}
    return {
        "title": "Rustux Boot Lab",
        "titleURL": settings.buildbot_url,
        "buildbotURL": settings.buildbot_url,
        "protocols": protocols,
        "secretsProviders": [secrets.SecretInAFile(dirname=str(settings.secrets_dir))],
        "workers": make_workers(inventory),
        "builders": make_builders(inventory, settings, basedir),
        "schedulers": make_schedulers(inventory, settings, users),
        "change_source": make_change_sources(inventory, settings),
        "www": make_www(settings, users, inventory),
        "db": make_db(settings),
        **make_cluster(settings),
    }
