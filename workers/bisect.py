"""Bisecting a boot regression on a worker: git, the commit's own build, the lab's boot.

Each step checks the commit out in a scratch worktree of the repository (the developer's
own checkout is never touched), builds it with that commit's `scripts/build-kernel.sh`, and
boots `build/esp` with that commit's `kernel/milestones.yaml` on the target through the same
pipeline as `bootlab boot` (a quarantined target is MISS, a runner crash ERROR/lab). The search itself is `git bisect` in the scratch worktree;
what each boot means for it is lab.bisection's rule table.

The scratch worktree's `build/cargo` is a link to a cargo target directory kept between
steps and bisections (`--cargo-dir`), so each step's build is incremental; a new one is
seeded from the repository's own `build/cargo` when it has one.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rustux_bootlab.lab.arch import ARCHES
from rustux_bootlab.lab.bisection import (
    EXIT_LAB_FAILED,
    MAX_ATTEMPTS,
    Bisection,
    Commit,
    Decision,
    Phase,
    Step,
    check_end,
    confirmation,
    lab_failing,
    lost_milestone,
    search_ended,
)
from rustux_bootlab.lab.inventory import QemuTarget
from rustux_bootlab.lab.milestones import SpecError, load_spec
from rustux_bootlab.lab.record import BootRecord
from rustux_bootlab.workers.qemu.machine import BootRequest, BootSession
from rustux_bootlab.workers.bootlab.boot import BootJob, run_boot
from rustux_bootlab.workers.interrupt import Interrupt
from rustux_bootlab.workers.progress import MachineProgress
from rustux_bootlab.workers.workdir import workdir

BUILD_SCRIPT = "scripts/build-kernel.sh"
SPEC = "kernel/milestones.yaml"
ESP = "build/esp"
BUILD_TIMEOUT_S = 1800
_FIRST_BAD = re.compile(r"^([0-9a-f]{40}) is the first bad commit", re.M)
_SHA = re.compile(r"^[0-9a-f]{40}$", re.M)


class BisectError(Exception):
    """The repository or the revisions cannot be bisected (a usage problem, exit 2)."""


class _Quiet(MachineProgress):
    """A step's boot keeps its own record; on stderr only the bisection's lines."""

    def _line(self, text: str) -> None:
        pass


@dataclass
class BisectRequest:
    repo: Path
    good: str
    bad: str
    target: QemuTarget
    out: Path
    cargo_dir: Path
    say: Callable[[str], None]  # progress, one line each


def _git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True,
                          env={"LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", "PATH": "/usr/bin:/bin"})
    if check and proc.returncode != 0:
        raise BisectError(f"git {' '.join(args)} in {cwd}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc


def commit_info(repo: Path, rev: str) -> Commit:
    proc = _git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
    if proc.returncode != 0:
        raise BisectError(f"{rev}: no such commit in {repo}: pass a branch, tag or hash that `git -C {repo} log` shows")
    sha = proc.stdout.strip()
    sha_, subject, author = _git(repo, "show", "-s", "--format=%H%x00%s%x00%an <%ae>", sha).stdout.strip().split("\0")
    return Commit(sha_, subject, author)


def check_range(repo: Path, good: str, bad: str) -> tuple[Commit, Commit]:
    if not (repo / ".git").exists() and _git(repo, "rev-parse", "--git-dir", check=False).returncode != 0:
        raise BisectError(f"--repo {repo} is not a git repository: pass the kernel's checkout")
    g, b = commit_info(repo, good), commit_info(repo, bad)
    if g.sha == b.sha:
        raise BisectError(f"--good and --bad are the same commit {g.short}: nothing to bisect")
    if _git(repo, "merge-base", "--is-ancestor", g.sha, b.sha, check=False).returncode != 0:
        raise BisectError(f"--good {good} is not an ancestor of --bad {bad}: swap them, or pick a good commit the bad one contains")
    return g, b


class BisectRun:
    def __init__(self, request: BisectRequest, interrupt: Interrupt) -> None:
        self.req = request
        self.interrupt = interrupt
        self.src = Path()
        self.n = 0

    def run(self) -> Bisection:
        req = self.req
        good, bad = check_range(req.repo, req.good, req.bad)
        req.out.mkdir(parents=True, exist_ok=True)
        self.result = Bisection(good, bad, req.target.name)
        start = time.monotonic()
        with workdir("bisect") as tmp:
            self.src = tmp / "src"
            _git(req.repo, "worktree", "add", "--detach", "--force", str(self.src), bad.sha)
            try:
                self._link_cargo()
                result = self._bisect(good, bad)
                result.wall_s = time.monotonic() - start
                return result
            finally:
                _git(req.repo, "worktree", "remove", "--force", str(self.src), check=False)
                _git(req.repo, "worktree", "prune", check=False)

    def _bisect(self, good: Commit, bad: Commit) -> Bisection:
        r = self.result
        for phase, commit, which in ((Phase.CHECK_BAD, bad, "bad"), (Phase.CHECK_GOOD, good, "good")):
            step = self._step(phase, commit)
            if self.interrupt:
                return self._interrupted()
            ended = check_end(step, which)
            if ended:
                return r.end(*ended)
        out = _git(self.src, "bisect", "start", bad.sha, good.sha).stdout
        try:
            culprit = self._search(out)
        finally:
            _git(self.src, "bisect", "reset", check=False)
        if culprit is None:
            return r
        culprit_step = self._step(Phase.CONFIRM_CULPRIT, culprit)
        parent_sha = _git(self.src, "rev-parse", f"{culprit.sha}^").stdout.strip()
        parent_step = None if self.interrupt else self._step(Phase.CONFIRM_PARENT, commit_info(self.src, parent_sha))
        if self.interrupt:
            return self._interrupted()
        code, why = confirmation(culprit_step, parent_step)
        if code == 0:
            r.culprit = culprit
            r.lost = lost_milestone(culprit_step, parent_step) if parent_step else None
            why += f"; lost milestone {r.lost}" if r.lost else ""
        return r.end(code, why)

    def _search(self, out: str) -> Commit | None:
        """git bisect until it names the first bad commit; None when it ends between several."""
        while True:
            first = _FIRST_BAD.search(out)
            if first:
                return commit_info(self.src, first.group(1))
            if "only 'skip'ped commits left" in out:
                candidates = [commit_info(self.src, sha) for sha in _SHA.findall(out.split("could be any of:")[-1])]
                self.result.candidates = tuple(candidates)
                self.result.end(*search_ended(candidates, self.result.steps))
                return None
            head = _git(self.src, "rev-parse", "HEAD").stdout.strip()
            step = self._step(Phase.SEARCH, commit_info(self.src, head))
            if self.interrupt:
                self._interrupted()
                return None
            failing = lab_failing(self.result.steps)
            if failing:
                self.result.end(*failing)
                return None
            proc = _git(self.src, "bisect", step.decision.value, check=False)
            out = proc.stdout + proc.stderr

    def _step(self, phase: Phase, commit: Commit) -> Step:
        """Build and boot `commit`; an ERROR boots once more (rows 4-5)."""
        _git(self.src, "checkout", "--quiet", "--detach", "--force", commit.sha)
        build_s = None
        for attempt in range(1, MAX_ATTEMPTS + 1):
            self.n += 1
            name = f"{self.n:02d}-{phase.value}-{commit.short}"
            self.req.say(f"step {self.n} {phase.value} {commit.short} \"{commit.subject}\": "
                         + ("building" if build_s is None else "booting again"))
            step_dir = self.req.out / name
            step_dir.mkdir(parents=True, exist_ok=True)
            if build_s is None:
                build_error, build_s = self._build(step_dir)
                if build_error is not None:
                    step = Step(phase, commit, attempt, build_error, None, build_s=build_s)
                    return self._record(step)
            step = self._boot(phase, commit, attempt, step_dir, build_s)
            if step.decision is not Decision.RETRY or self.interrupt:
                return self._record(step)
            self._record(step)
        raise AssertionError("unreachable: the last attempt never retries")

    def _record(self, step: Step) -> Step:
        self.result.steps.append(step)
        o = step.outcome
        verdict = o.summary() if o else "not built"
        self.req.say(f"step {self.n} {step.phase.value} {step.commit.short}: {step.decision.value}: {verdict}")
        return step

    @property
    def esp(self) -> Path:
        """The ESP `scripts/build-kernel.sh` makes for the target's architecture (ARCH=aarch64: build/aarch64/esp)."""
        return Path(ESP).parent / ARCHES[self.req.target.arch].build_dir / "esp"

    @property
    def spec(self) -> Path:
        return Path(SPEC).parent / ARCHES[self.req.target.arch].spec

    def _build(self, step_dir: Path) -> tuple[str | None, float]:
        script = self.src / BUILD_SCRIPT
        if not script.exists():
            return f"no {BUILD_SCRIPT} at this commit", 0.0
        start = time.monotonic()
        try:
            proc = subprocess.run([str(script)], cwd=self.src, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
                                  env={**os.environ, "ARCH": self.req.target.arch})
        except subprocess.TimeoutExpired:
            return f"{BUILD_SCRIPT} did not finish within {BUILD_TIMEOUT_S} s", time.monotonic() - start
        elapsed = time.monotonic() - start
        (step_dir / "build.log").write_text(proc.stdout + proc.stderr)
        if proc.returncode != 0:
            lines = [line for line in (proc.stderr or proc.stdout).splitlines() if line.strip()]
            first_error = next((line for line in lines if line.startswith("error")), lines[-1] if lines else "")
            return f"{BUILD_SCRIPT} exited {proc.returncode}: {first_error.strip()} (build.log)", elapsed
        arch = ARCHES[self.req.target.arch]
        if not (self.src / self.esp / arch.boot_file).exists():
            return f"{BUILD_SCRIPT} made no {self.esp}/{arch.boot_file}", elapsed
        return None, elapsed

    def _boot(self, phase: Phase, commit: Commit, attempt: int, step_dir: Path, build_s: float) -> Step:
        try:
            spec = load_spec(self.src / self.spec)
        except (SpecError, OSError) as exc:
            return Step(phase, commit, attempt, f"its {self.spec} does not load: {exc}", None, build_s=build_s)
        boot_dir = step_dir / ("boot" if attempt == 1 else f"boot-{attempt}")
        target = self.req.target
        request = BootRequest(target=target, image=self.src / self.esp, spec=spec, out=boot_dir,
                              timeout_s=target.boot_timeout_s)
        signals: list[Interrupt] = []

        def start(progress: MachineProgress, interrupt: Interrupt) -> BootRecord:
            signals.append(interrupt)
            return BootSession(request, progress, interrupt).run()

        job = BootJob("target", target.name, request.image, boot_dir, len(spec.milestones), target.enabled, start)
        begin = time.monotonic()
        record = run_boot(job, _Quiet(sys.stderr), as_json=False)  # the pipeline `bootlab boot` runs: health, MISS
        if signals and signals[0]:  # Ctrl-C during the boot: the bisection stops too
            self.interrupt.signame = signals[0].signame
        milestones = tuple(hit.name for hit in record.milestones)
        return Step(phase, commit, attempt, None, record.outcome, milestones, str(boot_dir),
                    build_s if attempt == 1 else 0.0, time.monotonic() - begin)

    def _link_cargo(self) -> None:
        cargo = self.req.cargo_dir
        seed = self.req.repo / "build" / "cargo"
        if not cargo.exists() and seed.is_dir():
            self.req.say(f"seeding the cargo target dir {cargo} from {seed} (once)")
            shutil.copytree(seed, cargo, symlinks=True)
        cargo.mkdir(parents=True, exist_ok=True)
        (self.src / "build").mkdir(exist_ok=True)
        (self.src / "build" / "cargo").symlink_to(cargo.resolve(), target_is_directory=True)

    def _interrupted(self) -> Bisection:
        return self.result.end(EXIT_LAB_FAILED, f"interrupted ({self.interrupt.signame}): no culprit")
