"""One boot of an image on a machine, from taking it to its boot record: the one boot loop.

    TAKE      the machine's exclusive use (held elsewhere: MISS)
    PREPARE   check and deploy (firmware, image, deploy; consoles opened), then the milestone
              deadlines learned from this machine's passing boots of the same profile
    POWER     on; milestone times count from here
    RUN       capture and match until the verdict is known (then a short drain for lines in
              flight), the machine stops by itself, an attachment ends the boot, a signal or
              the global timeout
    STOP      power off or quit, the attachments' last word; RELEASE; both always run
    JUDGE     lab/judge.py over the matcher and the machine's facts
    RECORD    result.json; a PASS is remembered (workers/passes.py) and its boot time judged
              against the machine's earlier passes (lab/boottime.py)
What differs between a QEMU target and a board is the machine's (workers/machine.py);
what a boot captures and sends besides the consoles plugs in as an attachment
(workers/qemu/attach.py), and the run is the `LiveBoot` they act on.

Clocks: `now()` counts from power-on (the milestones' clock); the timeline counts from power-on
too, or from taking the machine when it says so (a board: deploy and power show where the
time went). Output that comes before power-on is recorded, not matched (a BMC may replay an
old boot's lines).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rustux_bootlab.lab import outcomes
from rustux_bootlab.lab.boottime import judge_pass, kernel_clock
from rustux_bootlab.lab.contract import RECORD_FILES, SCREEN_SHOTS
from rustux_bootlab.lab.conversation import StepHit
from rustux_bootlab.lab.deadlines import LEARNED, PassingBoot, learn_deadlines
from rustux_bootlab.lab.esp import EspError
from rustux_bootlab.lab.judge import BootFacts, judge
from rustux_bootlab.lab.matcher import MilestoneHit
from rustux_bootlab.lab.milestones import BootMatcher, MilestoneSpec
from rustux_bootlab.lab.record import BootRecord, write_record
from rustux_bootlab.lab.verdict import Outcome, Verdict
from rustux_bootlab.workers.board.error import BoardError
from rustux_bootlab.workers.capture import Capture
from rustux_bootlab.workers.artifacts.image import artifact_files, damage
from rustux_bootlab.workers.interrupt import Interrupt
from rustux_bootlab.workers.machine import Machine, MachineStop
from rustux_bootlab.workers.passes import load_passes, record_pass
from rustux_bootlab.workers.progress import MachineProgress
from rustux_bootlab.workers.qemu.attach import Attachment

if TYPE_CHECKING:
    from rustux_bootlab.workers.input.ports import InputPort
    from rustux_bootlab.workers.qemu.qmp import QmpClient

TICK_S = 0.1  # longest the loop waits: bounds the reaction to timeouts and signals
DECIDED_DRAIN_S = 0.2  # after the verdict, how long to keep reading lines already in flight
IDLE_S = 0.03  # ... stopping early once the channels are quiet this long
EXIT_DRAIN_S = 1.0  # after the machine stopped by itself, how long to wait for its last bytes


@dataclass
class Plan:
    """What to boot, and where its record goes."""

    image: Path
    spec: MilestoneSpec  # the full spec: the machine narrows it to what it can see
    out: Path
    timeout_s: float
    boot_path: str = "cold"  # "warm": restored firmware, deadlines learned from warm boots only


class BootRun:
    """One boot over one machine; while it runs it is the `LiveBoot` its attachments act on."""

    def __init__(self, machine: Machine, plan: Plan, progress: MachineProgress, interrupt: Interrupt,
                 attachments: tuple[Attachment, ...] = ()) -> None:
        self.machine = machine
        self.plan = plan
        self.progress = progress
        self.interrupt = interrupt
        self.attachments = attachments
        self.out = plan.out
        self.spec = machine.view(plan.spec)
        self.matcher = BootMatcher(self.spec)
        self.started = time.monotonic()
        self.capture_: Capture | None = None
        self.qmp: QmpClient | None = None  # a QEMU machine's, for the attachments
        self.image: Path | None = None  # the FAT image of the ESP, once prepared
        self.ended: str | None = None  # an attachment ended the boot (a person detached): why
        self.global_timeout = False
        self._t_on: float | None = None  # monotonic time of power-on
        self._profile: str | None = None  # whose passing boots the deadlines came from
        self._history: list[PassingBoot] = []  # ... and this boot's time is judged against

    # -- LiveBoot ---------------------------------------------------------------------------
    @property
    def capture(self) -> Capture:
        assert self.capture_ is not None
        return self.capture_

    @property
    def powered(self) -> bool:
        return self._t_on is not None

    def now(self) -> float:
        """Seconds since power-on (0 before)."""
        return 0.0 if self._t_on is None else time.monotonic() - self._t_on

    def clock(self) -> float:
        """The timeline's clock."""
        if self.machine.timeline_from_take:
            return time.monotonic() - self.started
        return self.now()

    def feed(self, channel: str, data: bytes, t: float | None = None) -> None:
        """Bytes from the machine on `channel` at `t` (milestone clock; default now)."""
        if not data or self.capture_ is None:
            return
        if self._t_on is None:  # recorded, not matched
            self.capture_.data(channel, data, self.clock())
            return
        t = self.now() if t is None else t
        offset = self._t_on - self.started if self.machine.timeline_from_take else 0.0
        self.capture_.data(channel, data, t + offset)
        self._reached(self.matcher.feed(channel, data, t))
        for a in self.attachments:
            a.received(self, channel, data)
            a.fed(self, channel)

    def end_line(self, channel: str, t: float) -> None:
        """A console gap that began at `t` (milestone clock) on `channel` ends the line it cut
        there (lab.matcher's end_line); the raw log keeps the bytes as they came."""
        if self._t_on is not None:
            self._reached(self.matcher.end_line(channel, t))

    def _reached(self, found: list[MilestoneHit | StepHit]) -> None:
        before = self.matcher.reached - len(found)
        for i, hit in enumerate(found):
            self.progress.milestone(before + i + 1, self.matcher.total, hit)
            for a in self.attachments:
                a.hit(self, hit)

    def send(self, console: str, data: bytes) -> None:
        self.machine.send(console, data)

    def connection(self, console: str) -> Any:
        get = getattr(self.machine, "connection", None)
        return None if get is None else get(console)

    def inputs(self) -> dict[str, InputPort]:
        return self.machine.inputs(self)

    def event(self, text: str) -> None:
        if self.capture_ is not None:
            self.capture_.event(text, self.clock())

    def open_capture(self) -> Capture:
        """The record's raw logs and timeline: the machine opens them when its channels are known."""
        channels = tuple(dict.fromkeys((*self.machine.channels, *(c for a in self.attachments for c in a.channels))))
        self.capture_ = Capture(self.out, channels)
        return self.capture_

    def machine_started(self) -> None:
        """The machine is starting: the attachments may act on it (QEMU: once QMP is there,
        before the guest's first instruction; a board: at power-on)."""
        for a in self.attachments:
            a.started(self)

    def stopping(self) -> None:
        """The machine still runs and is about to be stopped: the attachments' last word."""
        for a in self.attachments:
            a.stopping(self)

    def finished(self) -> None:
        for a in self.attachments:
            a.finished(self)

    # -- the stages -------------------------------------------------------------------------
    def run(self) -> BootRecord:
        plan, machine = self.plan, self.machine
        plan.out.mkdir(parents=True, exist_ok=True)
        # A reused --out must not mix an old boot into this one.
        for path in (*(plan.out / name for name in RECORD_FILES), *plan.out.glob(SCREEN_SHOTS)):
            path.unlink(missing_ok=True)
        record = BootRecord(outcome=outcomes.NOT_DECIDED, target=machine.name,
                            image={"path": str(plan.image), "sha256": None}, milestones_total=self.matcher.total)
        try:
            machine.take(self)
        except MachineStop as stop:
            return self._finish(record, stop.outcome)
        outcome: Outcome | None = None
        try:
            outcome = self._boot(record)
        except MachineStop as stop:
            outcome = stop.outcome
        except EspError as exc:
            # The artifact is malformed: the build's (FAIL), unless it was damaged on the way.
            outcome = self._interrupted() if self.interrupt else outcomes.image_not_bootable(str(exc), damage(plan.image))
        except BoardError as exc:  # a part of the machine failed: never the kernel's fault
            outcome = outcomes.part_failed(exc.culprit, str(exc))
        finally:
            try:
                machine.stop(self)
            finally:
                t = self.now()
                self.matcher.close(t)
                machine.release(self)
                if self.capture_ is not None:
                    self.capture_.close(self.clock())
        if outcome is None:
            outcome = self._judge(t)
        return self._finish(record, outcome)

    def _boot(self, record: BootRecord) -> Outcome | None:
        """Prepare, power on and run; an outcome when the boot ended before it could be judged."""
        self._profile = self.machine.prepare(self, record)
        self.check_interrupt()
        record.deadlines = self._learn(self._profile)
        self.check_interrupt()
        at = self.machine.power_on(self)
        if at is None:  # it never started: the machine's facts say why
            return None
        self._t_on = at
        return self._loop()

    def _learn(self, profile: str) -> dict[str, Any]:
        """The milestone deadlines from this machine's passing boots of the same profile."""
        if self.plan.boot_path != "cold":  # a restored firmware reaches the kernel in a tenth of the time
            profile += f"/{self.plan.boot_path}"
            self._profile = profile
        self._history = history = load_passes(self.machine.name, profile)
        deadlines = learn_deadlines(self.spec, history)
        self.matcher = BootMatcher(self.spec, deadlines=deadlines)
        learned = sum(d.source == LEARNED for d in deadlines)
        self.progress.event(f"deadlines: {learned} of {len(deadlines)} learned from {len(history)} passing boots ({profile})")
        return {"profile": profile, "history": len(history), "learned": learned,
                "milestones": [d.to_dict() for d in deadlines], "decided_by": None}

    def _loop(self) -> Outcome | None:
        """Capture and match until the verdict is known, the machine stops, a timeout or a
        signal; an outcome the machine saw by itself (a deploy that never reached it)."""
        timeout = self.plan.timeout_s
        announced = False
        while True:
            self.machine.read(self, min(TICK_S, max(timeout - self.now(), 0.0)))
            t = self.now()
            seen = self.machine.tick(self, t)
            self.matcher.poll(t)
            for a in self.attachments:
                a.tick(self, t)
            decided = seen or self.matcher.decided
            if decided is not None and not announced:
                announced = True
                self.event(f"decided: {decided.summary()}")
                if seen is not None or not any(a.holds(self) for a in self.attachments):
                    # The same line on the other console is usually a few ms behind: keep it.
                    self._drain(limit=DECIDED_DRAIN_S, idle=IDLE_S)
                    return seen
                self.progress.verdict(decided)  # said now; the boot goes on while held
            ended = next((why for a in self.attachments if (why := a.ended(self))), None)
            if ended:
                self.ended = ended
                self.event(ended)
                return None
            if self.interrupt:
                self.event(f"{self.interrupt.signame} received: stopping")
                return None
            if self.machine.exited(self) is not None:
                self._drain(limit=EXIT_DRAIN_S, idle=EXIT_DRAIN_S)
                return None
            if t >= timeout:
                self.global_timeout = True
                self.event(f"boot timeout of {timeout:g}s after power-on expired")
                return None

    def _drain(self, limit: float, idle: float) -> None:
        """Read what is still in flight: until nothing came for `idle` seconds, or `limit` passed."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if not self.machine.read(self, min(idle, max(deadline - time.monotonic(), 0.0))):
                break

    def _judge(self, t: float) -> Outcome:
        if self.interrupt:
            return self._interrupted()
        if self.ended and self.matcher.decided is None:
            return outcomes.ended_before_verdict(self.ended, t, self.matcher.last_milestone)
        outcome = judge(self.matcher, BootFacts(global_timeout=self.global_timeout, boot_timeout_s=self.plan.timeout_s,
                                                duration_s=t, image_files=artifact_files(self.plan.image),
                                                **self.machine.facts(self)))
        review = getattr(self.machine, "review", None)
        return outcome if review is None else review(self, outcome)

    def check_interrupt(self) -> None:
        """Between a machine's stages: a signal ends the boot there."""
        if self.interrupt:
            self.event(f"{self.interrupt.signame} received: stopping")
            raise MachineStop(self._interrupted())

    def _interrupted(self) -> Outcome:
        return outcomes.interrupted(self.interrupt.signame or "a signal", time.monotonic() - self.started, self.matcher.last_milestone)

    def _finish(self, record: BootRecord, outcome: Outcome) -> BootRecord:
        record.outcome = outcome
        timeout = self.matcher.timeout
        if record.deadlines is not None and timeout is not None and timeout.deadline is not None and outcome.verdict is Verdict.FAIL:
            due = timeout.deadline.expected_s
            since = self.matcher.hits[-1].t if self.matcher.hits else 0.0
            record.deadlines["decided_by"] = {**timeout.deadline.to_dict(), "decided_t": round(timeout.t, 3),
                                              "due_t": None if due is None else round(since + due, 3)}
        if outcome.verdict is Verdict.PASS and self._profile is not None:
            regexes = {m.name: m.regex for m in self.spec.milestones}
            passing = PassingBoot(self._profile, tuple((h.name, h.t) for h in self.matcher.hits),
                                  tuple(kernel_clock(regexes, [(h.name, h.line) for h in self.matcher.hits])))
            record.boot_time = judge_pass(self._history, passing)
            for line in record.slower:
                self.progress.event(f"slower: {line}")
            record_pass(self.machine.name, passing)
        record.milestones = sorted([*self.matcher.hits, *self.matcher.step_hits], key=lambda hit: hit.t)
        record.conversation = self.matcher.conversation.to_list() if self.matcher.conversation else None
        record.bytes_seen = dict(self.matcher.bytes_seen)
        record.duration_s = time.monotonic() - self.started
        record.boot_path = self.plan.boot_path
        finish = getattr(self.machine, "finish", None)
        if finish is not None:
            finish(self, record)
        write_record(self.out, record)
        return record
