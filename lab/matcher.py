"""The streaming boot matcher: console bytes in, milestone hits and an early decision out.

Rules (documented behaviour, tested in tests/unit/test_matcher*.py):
- Milestones are strictly ordered. A line can only satisfy the *next expected*
  milestone; a later milestone seen early does not count (it is recorded in
  `out_of_order` for the diagnosis) and the matcher keeps waiting for the expected one.
  If the kernel printed it early it must print it again in order to pass.
- A later milestone seen on a channel the expected one is printed on *passes* it: one
  channel's lines arrive in the order the kernel wrote them, so the expected line was not
  written before it. The expected milestone then gets SKIP_GRACE_S more (a kernel may still
  print it and reprint the later one) and no more: a kernel that skipped `user-hello` is
  judged 1.5 s after `user-clock`, not at the hello's 15 s timeout. Redrawn channels (the
  screen) are no evidence: a line can scroll away between two reads.
- A timeout is a hang only if the last milestone's channel went quiet: a line there like
  the regex's text (a changed line), or lines still coming in the last SKIP_GRACE_S, make
  the reason quote that line and the last one (`Hallo from userspace!` ... `[sh] ready`,
  lab.since); a hang after other lines names the last line and when it came.
- A fatal signature with `after: X` counts only for lines that arrive more than
  `CHANNEL_SKEW_S` after X was reached. The channels are separate streams read in
  batches, so OVMF's `BdsDxe: loading Boot0002` on serial, printed before the kernel's
  first byte on debugcon, can be read just after it (seen in the captures replayed
  round-robin). A real reset runs the firmware again, which takes seconds.
- A milestone line must end in a newline (or the end of the stream, see `close`).
- One line yields at most one event, checked in this order: infrastructure signature,
  fatal signature (those with `after:` only once that milestone was reached), the next
  milestone, an out-of-order milestone.
- Timeouts are checked by `poll(t)` only: milestone i must arrive within its `timeout`
  seconds of milestone i-1 (the first: of boot start, t=0), or within its deadline when
  the matcher is given deadlines (`lab.deadlines`, learned from passing boots), or within
  SKIP_GRACE_S of the later milestone that passed it, whichever ends first; the timeout
  says which. `feed` never times out, so a late `poll` is lenient rather than wrong.
- `decided` is set once by the first of: all milestones (PASS), a fatal signature
  (FAIL/code), an infrastructure signature (ERROR/culprit), a milestone timeout
  (FAIL/code, which `lab.judge` refines: e.g. silence on every channel is ERROR).
  After that, bytes are counted but no longer matched.
Speed: each block of complete lines is cleaned and decoded once, then searched for each
active regex's literal prefix (`str.find`) or, lacking one, with the regex itself; only
lines where a candidate turns up are examined in Python.
"""
from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rustux_bootlab.lab.bootoptions import BOOT_LINE, BootOptions
from rustux_bootlab.lab.cleaning import clean_block, clean_open_line
from rustux_bootlab.lab.conversation import Conversation, Send, StepHit
from rustux_bootlab.lab.deadlines import FLOOR_S, LEARNED, SKIPPED, Deadline
from rustux_bootlab.lab.echo import REDRAWN_CHANNELS
from rustux_bootlab.lab.linebuffer import LineAssembler
from rustux_bootlab.lab.prefilter import literal_prefix
from rustux_bootlab.lab.signatures import with_builtins
from rustux_bootlab.lab.since import SinceMilestone, quote
from rustux_bootlab.lab.spec import CHANNELS, FatalSignature, InfraSignature, Milestone, MilestoneSpec
from rustux_bootlab.lab.verdict import Culprit, Outcome, Verdict

_REASON_MAX = 200
# The expected milestone's time once a later one passed it: what a learned deadline's floor allows.
SKIP_GRACE_S = FLOOR_S


@dataclass(frozen=True)
class _Cause:
    """An infrastructure signature's `cause`, searched like a pattern of its own."""

    signature: InfraSignature

    @property
    def regex(self) -> re.Pattern[str]:
        assert self.signature.cause is not None
        return self.signature.cause


class _BootLine:
    """The firmware's boot manager on one of its options (lab.bootoptions), remembered only."""

    regex = BOOT_LINE
    channels = frozenset({"serial", "firmware"})


_BOOT_LINE = _BootLine()
_BEFORE_CHARS = 1024  # of a block before a boot manager's line: the image's last lines
_Pattern = InfraSignature | FatalSignature | Milestone | _Cause | _BootLine
CHANNEL_SKEW_S = 0.5


@dataclass(frozen=True)
class MilestoneHit:
    name: str
    t: float  # seconds since boot start, as given to `feed`
    channel: str
    line: str  # cleaned, at most LINE_HEAD_BYTES of the original line
    groups: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "t": round(self.t, 3), "channel": self.channel, "line": self.line}


@dataclass(frozen=True)
class SignatureHit:
    kind: str  # "fatal" or "infrastructure"
    name: str
    t: float
    channel: str
    line: str
    groups: dict[str, str]
    culprit: Culprit
    hint: str | None = None

    @property
    def text(self) -> str:
        """The hint, then the `reason` group if the regex has one, else the signature name and the line."""
        reason = (self.groups.get("reason") or "").strip()
        text = reason or f"{self.name}: {self.line.strip()}"
        if self.hint:
            text = f"{self.hint} ({text})"
        return text[:_REASON_MAX]


@dataclass(frozen=True)
class MilestoneTimeout:
    missing: str  # the milestone that did not arrive
    after: str | None  # the last milestone reached
    timeout: float
    t: float  # when the timeout was noticed
    deadline: Deadline | None = None  # the deadline that decided, when the matcher had deadlines


class BootMatcher:
    """Feed it bytes per channel; read `hits`, `decided`, `bytes_seen`."""

    def __init__(self, spec: MilestoneSpec, marker: str | None = None, deadlines: Sequence[Deadline] | None = None) -> None:
        self.spec = spec
        # The exit-status marker: random per boot, so no output can forge it (os.urandom is
        # what secrets.token_hex reads; importing secrets costs every boot's start ~7 ms).
        self.conversation = (Conversation(spec.conversation, marker or f"BL{os.urandom(4).hex()}Q")
                             if spec.conversation is not None else None)
        if deadlines is not None and [d.milestone for d in deadlines] != [m.name for m in spec.milestones]:
            raise ValueError(f"deadlines for {[d.milestone for d in deadlines]} do not match the spec's milestones")
        self.deadlines = None if deadlines is None else tuple(deadlines)
        self.infrastructure: tuple[InfraSignature, ...] = with_builtins(spec.infrastructure)
        self._causes = tuple(_Cause(sig) for sig in self.infrastructure if sig.cause is not None)
        self._caused: dict[str, str] = {}  # signature -> what its last cause line said
        self.boot_options = BootOptions()
        self._tail: dict[str, str] = {}  # per channel: the end of its previous block
        self._before = ""  # the text before the line being matched, on its channel
        self.hits: list[MilestoneHit] = []
        self.out_of_order: list[MilestoneHit] = []
        self.passed_by: MilestoneHit | None = None  # the later milestone that passed the expected one
        self.since = SinceMilestone()  # what the consoles printed after the last milestone
        self.signature: SignatureHit | None = None
        self.timeout: MilestoneTimeout | None = None
        self.decided: Outcome | None = None
        self.bytes_seen: dict[str, int] = dict.fromkeys(CHANNELS, 0)
        # Snapshot at the decision: what QEMU prints while being stopped is not evidence.
        self.bytes_at_decision: dict[str, int] | None = None
        self._lines = {c: LineAssembler(redrawn=c in REDRAWN_CHANNELS) for c in CHANNELS}
        every: tuple[_Pattern, ...] = (_BOOT_LINE, *self._causes, *self.infrastructure, *spec.fatal, *spec.milestones)
        self._prefix: dict[_Pattern, str] = {item: literal_prefix(item.regex) for item in every}
        self._new_hits: list[MilestoneHit] = []

    # -- state -------------------------------------------------------------------------
    @property
    def last_milestone(self) -> str | None:
        return self.hits[-1].name if self.hits else None

    @property
    def next_milestone(self) -> Milestone | None:
        n = len(self.hits)
        return self.spec.milestones[n] if n < len(self.spec.milestones) else None

    @property
    def complete(self) -> bool:
        """Every milestone reached and every step done."""
        return len(self.hits) == len(self.spec.milestones) and (self.conversation is None or self.conversation.done)

    @property
    def step_hits(self) -> list[StepHit]:
        return self.conversation.hits if self.conversation is not None else []

    @property
    def reached(self) -> int:
        """Milestones and steps done so far (the progress line's numerator)."""
        return len(self.hits) + len(self.step_hits)

    @property
    def total(self) -> int:
        return self.spec.total

    @property
    def awaited(self) -> str | None:
        """What the boot waits for: the next milestone's name, or the conversation's step."""
        nxt = self.next_milestone
        if nxt is not None:
            return nxt.name
        return self.conversation.waiting_for() if self.conversation is not None else None

    @property
    def bytes_dropped(self) -> int:
        """Bytes beyond each line's bounded head, counted but never matched."""
        return sum(a.bytes_dropped for a in self._lines.values())

    # -- input -------------------------------------------------------------------------
    def feed(self, channel: str, data: bytes, t: float) -> list[MilestoneHit | StepHit]:
        """Take `data` from `channel` at `t` seconds; return the milestones and steps it completed."""
        assembler = self._assembler(channel)
        self.bytes_seen[channel] += len(data)
        if self.decided is not None or not data:
            return []
        block = assembler.feed(data)
        found: list[MilestoneHit | StepHit] = []
        if block:
            text = clean_block(block)
            found += self._scan(channel, text, t)
            found += self._converse(channel, text, t)
        talk = self.conversation
        if talk is not None and self.decided is None and channel in talk.listening:
            hit = talk.open_line(channel, clean_open_line(assembler.pending), t, self.last_milestone)
            found += self._step_done(hit)
        return found

    def end_line(self, channel: str, t: float) -> list[MilestoneHit | StepHit]:
        """A console gap on `channel`: the line it cut ends there. Joined to what comes after the
        reconnect, a lost line's end would hide the next line's milestone inside it (one
        milestone per line): a board's `kernel stack: ..., r` + `[rustux] interrupts: lapic
        timer ...` read as kernel-stack alone, and the timer as never printed."""
        if not self._assembler(channel).pending:
            return []
        seen = self.bytes_seen[channel]
        found = self.feed(channel, b"\n", t)
        self.bytes_seen[channel] = seen  # the runner's line end, not the machine's byte
        return found

    # -- the conversation's side of the runner ----------------------------------------------
    def take_sends(self) -> list[Send]:
        """Keys to type now (none once the boot is decided)."""
        if self.conversation is None or self.decided is not None:
            return []
        return self.conversation.take_sends()

    def sent(self, send: Send, t: float) -> None:
        assert self.conversation is not None
        self.conversation.sent(send, t)

    def undelivered(self, send: Send, culprit: Culprit, reason: str) -> None:
        """The keys could not be typed (infrastructure): decides ERROR/culprit."""
        assert self.conversation is not None
        self.conversation.undelivered(send, culprit, reason, self.last_milestone)
        self._step_done(None)

    def _converse(self, channel: str, text: str, t: float) -> list[StepHit]:
        """Hand the block's lines to the conversation while it listens on `channel`."""
        talk = self.conversation
        found: list[StepHit] = []
        if talk is None or self.decided is not None or channel not in talk.listening:
            return found
        for line in text.split("\n")[:-1]:
            if channel not in talk.listening or self.decided is not None:
                break
            found += self._step_done(talk.line(channel, line, t, self.last_milestone))
        return found

    def _step_done(self, hit: StepHit | None) -> list[StepHit]:
        talk = self.conversation
        assert talk is not None
        if talk.failure is not None:
            self._decide(talk.failure)
        if hit is None:
            return []
        if self.complete:
            self._decide_pass(hit.t, hit.name)
        return [hit]

    def poll(self, t: float) -> None:
        """Check the next milestone's deadline at time `t`."""
        if self.conversation is not None and self.decided is None:
            self.conversation.poll(t, self.last_milestone)
            self._step_done(None)
        nxt = self.next_milestone
        if self.decided is not None or nxt is None:
            return
        since = self.hits[-1].t if self.hits else 0.0
        deadline = self.deadlines[len(self.hits)] if self.deadlines else None
        limit = deadline.seconds if deadline else nxt.timeout
        passed = self.passed_by
        if passed is not None and passed.t - since + SKIP_GRACE_S < limit:
            limit = passed.t - since + SKIP_GRACE_S
            deadline = Deadline(nxt.name, self.last_milestone, limit, SKIPPED,
                                f"{passed.name} came at {passed.t:.2f}s without it",
                                deadline.expected_s if deadline else None, deadline.history if deadline else 0)
        if t - since > limit:
            self.timeout = MilestoneTimeout(nxt.name, self.last_milestone, limit, t, deadline)
            went_on = self.since.went_on(nxt.channels) if self.hits else None
            similar = went_on and self.since.similar(went_on, nxt.regex.pattern)
            printed = similar or (went_on and self.since.first(went_on))
            latest, latest_t = self.since.latest(went_on) if went_on else ("", 0.0)
            if deadline and deadline.source == SKIPPED:
                after = f" after {self.last_milestone}" if self.hits else ""
                reason = f"no {nxt.name}{after}: {deadline.why}"
                if printed and passed is not None and printed != quote(passed.line.strip()):  # a changed line
                    reason += f"; the kernel printed `{printed}` where `{nxt.regex.pattern}` was expected"
            elif printed and (similar or t - latest_t <= SKIP_GRACE_S):  # a changed line, or still printing
                reason = f"expected `{nxt.regex.pattern}` after {self.last_milestone}; the kernel printed `{printed}` there"
                reason += f" and went on to `{latest}`" if latest != printed else ""
            else:
                after = f"hung after {self.last_milestone}: " if self.hits else ""
                within = f"{limit:g}s"
                if deadline and deadline.source == LEARNED:
                    within = f"{limit:.2f}s ({deadline.why}; the spec allows {nxt.timeout:g}s)"
                reason = f"{after}no {nxt.name} within {within}"
                if printed:  # the console went quiet after other lines
                    reason += f"; the last line `{latest}` came at {latest_t:.2f}s"
            self._decide(Outcome(Verdict.FAIL, Culprit.CODE, reason, self.last_milestone))

    def close(self, t: float) -> list[MilestoneHit | StepHit]:
        """End of all streams: match the unterminated last line of each channel."""
        found: list[MilestoneHit | StepHit] = []
        for channel, assembler in self._lines.items():
            block = assembler.flush()
            if block and self.decided is None:
                text = clean_block(block)
                found += self._scan(channel, text, t)
                found += self._converse(channel, text, t)
        return found

    def _assembler(self, channel: str) -> LineAssembler:
        try:
            return self._lines[channel]
        except KeyError:
            raise ValueError(f"unknown channel {channel!r}: expected one of {', '.join(CHANNELS)}") from None

    # -- matching ------------------------------------------------------------------------
    def _active(self, channel: str, t: float) -> list[_Pattern]:
        """Regexes worth searching on `channel` at `t`, in priority order."""
        reached = {h.name for h in self.hits if t - h.t > CHANNEL_SKEW_S}
        seen_early = {h.name for h in self.out_of_order}
        active: list[_Pattern] = [_BOOT_LINE] if channel in _BOOT_LINE.channels else []
        active += [c for c in self._causes if channel in c.signature.channels]
        active += [s for s in self.infrastructure if channel in s.channels]
        active += [s for s in self.spec.fatal if channel in s.channels and (s.after is None or s.after in reached)]
        later = self.spec.milestones[len(self.hits) :]
        active += [m for i, m in enumerate(later) if channel in m.channels and (i == 0 or m.name not in seen_early)]
        return active

    def _scan(self, channel: str, text: str, t: float) -> list[MilestoneHit]:
        self._new_hits = []
        active = self._active(channel, t)
        starts: dict[int, int] = {}  # index in `active` -> start of its next match, -1 if none
        pos, end = 0, len(text)
        after_hit = 0  # where the lines after this block's last milestone start
        while pos < end and self.decided is None:
            first = -1
            for i, item in enumerate(active):
                s = starts.get(i)
                if s is None or 0 <= s < pos:
                    prefix = self._prefix[item]
                    if prefix:
                        s = text.find(prefix, pos)
                    else:
                        m = item.regex.search(text, pos)
                        s = m.start() if m else -1
                    starts[i] = s
                if s >= 0 and (first < 0 or s < first):
                    first = s
            if first < 0:
                break
            line_start = text.rfind("\n", 0, first) + 1
            line_end = text.find("\n", first)
            line_end = end if line_end < 0 else line_end
            reached = len(self.hits)
            self._before = (self._tail.get(channel, "") if line_start < _BEFORE_CHARS else "") + \
                text[max(0, line_start - _BEFORE_CHARS) : line_start]
            if self._match_line(channel, text[line_start:line_end], t, active):
                active = self._active(channel, t)
                starts = {}
                after_hit = line_end + 1 if len(self.hits) > reached else after_hit
            pos = line_end + 1
        if self.hits and channel == self.hits[-1].channel and channel not in REDRAWN_CHANNELS:
            self.since.block(channel, text[after_hit:], t)
        if channel in _BOOT_LINE.channels:  # the image's lines may come one read each
            self._tail[channel] = (self._tail.get(channel, "") + text)[-_BEFORE_CHARS:]
        return self._new_hits

    def _match_line(self, channel: str, line: str, t: float, active: list[_Pattern]) -> bool:
        """Apply the first regex (in priority order) that matches `line`; True if state changed."""
        expected = self.next_milestone
        for item in active:
            m = item.regex.search(line)
            if m is None:
                continue
            groups = {k: v for k, v in m.groupdict().items() if v is not None}
            if isinstance(item, _Cause):
                self._remember_cause(item.signature, line, groups)
                continue  # remembered only: the line may still be anything else
            if isinstance(item, _BootLine):
                self.boot_options.line(line, self._before)
                continue
            if isinstance(item, InfraSignature):
                self._signature(SignatureHit("infrastructure", item.name, t, channel, line, groups, item.culprit,
                                             self._explained(item)))
            elif isinstance(item, FatalSignature):
                self._signature(SignatureHit("fatal", item.name, t, channel, line, groups, Culprit.CODE))
            elif item is expected and expected is not None:
                self._milestone(MilestoneHit(item.name, t, channel, line, groups))
            else:
                hit = MilestoneHit(item.name, t, channel, line, groups)
                self.out_of_order.append(hit)
                if (self.passed_by is None and expected is not None and channel in expected.channels
                        and channel not in REDRAWN_CHANNELS):
                    self.passed_by = hit
            return True
        return False

    def _milestone(self, hit: MilestoneHit) -> None:
        self.hits.append(hit)
        self.passed_by = None
        self.since.reset()
        self._new_hits.append(hit)
        if self.conversation is not None:
            self.conversation.reached(hit.name, hit.t)
        if self.complete:
            self._decide_pass(hit.t, hit.name)

    def _decide_pass(self, t: float, last: str) -> None:
        n = len(self.hits)
        steps = f" and {len(self.step_hits)} steps" if self.conversation is not None else ""
        self._decide(Outcome(Verdict.PASS, None, f"all {n} milestones{steps} reached in {t:.2f}s", last))

    def _remember_cause(self, sig: InfraSignature, line: str, groups: dict[str, str]) -> None:
        # The last one only: the option tried right before the fallback (on q35 the empty
        # DVD-ROM's Not Found comes first on every boot, good or bad).
        self._caused[sig.name] = ": ".join(v.strip() for v in groups.values()) if groups else line.strip()

    def _explained(self, sig: InfraSignature) -> str | None:
        """The signature's hint, after what its last cause line said (the firmware's words
        first: they are the fact, the hint a guess)."""
        said = self._caused.get(sig.name)
        if said is None:
            return sig.hint
        return f"firmware said {said}; {sig.hint}" if sig.hint else f"firmware said {said}"

    def _signature(self, hit: SignatureHit) -> None:
        self.signature = hit
        last = self.last_milestone
        if hit.kind == "fatal":
            where = f"after {last}" if last else f"before {self.spec.milestones[0].name}"
            self._decide(Outcome(Verdict.FAIL, Culprit.CODE, f"{hit.text} {where}", last))
        else:
            self._decide(Outcome(Verdict.ERROR, hit.culprit, hit.text, last))

    def _decide(self, outcome: Outcome) -> None:
        if self.decided is None:
            self.decided = outcome
            self.bytes_at_decision = dict(self.bytes_seen)
