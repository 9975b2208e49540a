"""The conversation of one boot: send a step's keys, read its answer, decide.

Pure: the runner asks `take_sends()` what to type, types it, and reports `sent(t)` (or
`undelivered(...)`); it feeds complete lines (`line`) and the unfinished last line of a
channel (`open_line`: where a prompt sits) as they come, and calls `poll(t)` for the
deadlines. Every step, in order:

  WAIT   until the previous step is done (the first: its milestone) and, if the step has a
         prompt and the previous step did not end on one, until the prompt shows
  SEND   its keys are handed to the runner
  ANSWER until `expect` matches a line of the answer (echo removed, `lab.echo`)
  PROMPT until the prompt comes back (the command has finished)
  STATUS (with `exit:`) the status command is sent, its `<marker><number>` line read
  PROMPT again, then DONE: the step is a milestone hit; after the last one, `done`.

Decisions (`failure`, each FAIL/code naming the step, or ERROR when the input could not be
delivered): a failure regex matched; the prompt came back before the answer; the exit status
differs; no answer (or no prompt, no status) within the step's timeout after its send;
no prompt to send into within the timeout after the step became due. No answer while the
console had a gap after the send (`console_gap`) is ERROR/board: the answer may be lost.
"""
from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from enum import Enum

from rustux_bootlab.lab.echo import REDRAWN_CHANNELS, EchoFilter
from rustux_bootlab.lab.keys import Keys, describe, echo_text
from rustux_bootlab.lab.conversation_spec import STATUS_NUMBER, ConversationSpec, Step
from rustux_bootlab.lab.verdict import Culprit, Outcome, Verdict

LAST_LINES = 3
_QUOTE_MAX = 80


class Phase(str, Enum):
    WAIT = "wait"
    SEND = "send"
    ANSWER = "answer"
    PROMPT = "prompt"
    STATUS_SEND = "status-send"
    STATUS = "status"
    STATUS_PROMPT = "status-prompt"
    DONE = "done"


@dataclass(frozen=True)
class Send:
    """Keys the runner must type now."""

    step: str
    input: str
    keys: Keys

    @property
    def text(self) -> str:
        return describe(self.keys)


@dataclass
class StepRecord:
    """What happened to one step, for the boot record."""

    name: str
    sent: list[dict[str, object]] = field(default_factory=list)  # {t, input, text}
    answered: float | None = None  # when the answer's line came
    line: str | None = None
    status: int | None = None
    done: float | None = None  # when the step was done (prompt back, status read)

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "sent": self.sent, "answered": _round(self.answered), "line": self.line,
                "exit_status": self.status, "done": _round(self.done)}


@dataclass(frozen=True)
class StepHit:
    """A finished step: the same shape as a milestone hit."""

    name: str
    t: float
    channel: str
    line: str
    groups: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "t": round(self.t, 3), "channel": self.channel, "line": self.line, "step": True}


class Conversation:
    def __init__(self, spec: ConversationSpec, marker: str) -> None:
        self.spec = spec
        self.marker = marker
        self._status_re = re.compile(re.escape(marker) + STATUS_NUMBER)
        self.records = [StepRecord(s.name) for s in spec.steps]
        self.hits: list[StepHit] = []
        self.failure: Outcome | None = None
        self._reached: set[str] = set()
        self._index = 0
        self._phase = Phase.WAIT
        self._since: float | None = None  # when the current wait began (step due, or keys sent)
        self._echo: EchoFilter | None = None
        self._open: dict[str, str] = {}  # each channel's unfinished line, as last seen
        self._last: deque[str] = deque(maxlen=LAST_LINES)
        self._answer: tuple[float, str, dict[str, str]] | None = None
        self._prompt_seen = False  # the previous step ended on its prompt
        # A prompt only says "finished" on a line begun after the send: the line open at the
        # send holds the old prompt (and the echo), however its bytes were split.
        self._fresh = False
        self._gap: tuple[float, float] | None = None  # a console gap during the current step

    # -- state -------------------------------------------------------------------------
    @property
    def step(self) -> Step | None:
        return self.spec.steps[self._index] if self._index < len(self.spec.steps) else None

    @property
    def done(self) -> bool:
        return self._index >= len(self.spec.steps)

    @property
    def phase(self) -> Phase:
        return Phase.DONE if self.done else self._phase

    @property
    def listening(self) -> frozenset[str]:
        """Channels whose lines the conversation needs now."""
        step = self.step
        if step is None or self.failure is not None or not self._due(step):
            return frozenset()
        return frozenset([step.channel])

    def waiting_for(self) -> str | None:
        """What the boot waits for, for the judge's messages (`answer to echo`)."""
        step = self.step
        if step is None:
            return None
        return f"answer to step {step.name}" if self._phase is not Phase.WAIT else f"a prompt for step {step.name}"

    def to_list(self) -> list[dict[str, object]]:
        """The record's `conversation`: each step, what was sent when, its answer."""
        return [r.to_dict() for r in self.records]

    # -- input from the runner and the matcher -------------------------------------------
    def reached(self, milestone: str, t: float) -> None:
        self._reached.add(milestone)
        self._advance(t)

    def take_sends(self) -> list[Send]:
        step = self.step
        if step is None or self.failure is not None:
            return []
        if self._phase is Phase.SEND and step.keys is not None:
            return [Send(step.name, step.input, step.keys)]
        if self._phase is Phase.STATUS_SEND:
            return [Send(step.name, step.input, self.spec.status_keys(self.marker))]
        return []

    def sent(self, send: Send, t: float) -> None:
        """The runner typed `send` at `t` (seconds on the matcher's clock)."""
        step = self.step
        assert step is not None and send.step == step.name
        self.records[self._index].sent.append({"t": round(t, 3), "input": send.input, "text": send.text})
        self._echo = EchoFilter(echo_text(send.keys), self._open.get(step.channel, ""), step.channel in REDRAWN_CHANNELS)
        self._last.clear()
        self._fresh = step.channel in REDRAWN_CHANNELS
        if self._phase is Phase.SEND:
            self._since = t
            self._phase = Phase.ANSWER if step.expect is not None else Phase.PROMPT
        else:
            self._phase = Phase.STATUS

    def undelivered(self, send: Send, culprit: Culprit, reason: str, last: str | None) -> None:
        """The input could not be delivered: infrastructure, never the code's fault."""
        self._fail(Outcome(Verdict.ERROR, culprit, f"could not send {send.text!r} for step {send.step}: {reason}", last))

    def line(self, channel: str, line: str, t: float, last: str | None) -> StepHit | None:
        """A complete line on `channel`; a step hit if it finished a step."""
        step = self.step
        if step is None or self.failure is not None or channel != step.channel or not self._due(step):
            return None
        self._open[channel] = ""
        if self._phase is Phase.WAIT:
            return self._prompt(step, line, t, last, before_send=True)
        if self._phase in (Phase.SEND, Phase.STATUS_SEND):
            return None
        if line.strip():
            self._last.append(line.strip())
        answer = self._echo.line(line) if self._echo is not None else line
        fresh, self._fresh = self._fresh, True
        return self._examine(step, answer, t, last, fresh)

    def open_line(self, channel: str, text: str, t: float, last: str | None) -> StepHit | None:
        """The unfinished last line of `channel` as it is now (a prompt has no newline)."""
        step = self.step
        self._open[channel] = text
        if step is None or self.failure is not None or channel != step.channel or not text:
            return None
        if self._phase is Phase.WAIT and self._due(step):
            return self._prompt(step, text, t, last, before_send=True)
        shown = self._echo.peek(text) if self._echo is not None else text
        if self._phase is Phase.ANSWER and step.expect is not None:
            found = step.expect.search(shown)  # `login: `, `Password: `: answers without a newline
            if found:
                return self._answered(step, shown, t, found)
        if step.prompt is not None and self._fresh and self._phase in (Phase.ANSWER, Phase.PROMPT, Phase.STATUS_PROMPT):
            if step.prompt.match(shown):
                return self._prompt(step, shown, t, last, before_send=False)
        return None

    def poll(self, t: float, last: str | None) -> None:
        step = self.step
        if step is None or self.failure is not None or self._since is None or not self._due(step):
            return
        if t - self._since <= step.timeout:
            return
        quoted = self._quote()
        if self._phase is Phase.WAIT:
            where = f"the previous step {self.spec.steps[self._index - 1].name}" if self._index else step.after
            self._fail_code(f"no prompt for step {step.name} within {step.timeout:g}s after {where}{quoted}", last)
            return
        if not self.records[self._index].sent:  # a step that only listens
            pattern = step.expect.pattern if step.expect is not None else "its answer"
            self._fail_code(f"no {step.name} within {step.timeout:g}s: nothing matched {pattern!r}{quoted}", last)
            return
        sent = self.records[self._index].sent[0]["text"]
        if self._phase is Phase.ANSWER:
            what = f"no answer to {step.name}"
        elif self._phase is Phase.PROMPT and self._answer is not None:
            what = f"{step.name}: answered but no prompt (the command did not finish)"
        elif self._phase is Phase.PROMPT:
            what = f"{step.name}: no prompt (the command did not finish)"
        else:
            what = f"{step.name}: no exit status"
        if self._gap is not None:
            # The console was down while the answer was due: it may have come and been lost.
            start, end = self._gap
            self._fail(Outcome(Verdict.ERROR, Culprit.BOARD, f"{what} within {step.timeout:g}s after sending {sent!r}, "
                               f"but the console was down {start:.2f}s-{end:.2f}s meanwhile: the answer may be lost", last))
            return
        self._fail_code(f"{what} within {step.timeout:g}s after sending {sent!r}{quoted}", last)

    def console_gap(self, start: float, end: float) -> None:
        """The console was down from `start` to `end` (a SOL session lost and re-established)."""
        sent = self.records[self._index].sent if not self.done else []
        if self._phase not in (Phase.WAIT, Phase.SEND) and sent and end >= float(sent[0]["t"]):  # type: ignore[arg-type]
            self._gap = (start, end)

    # -- the steps ----------------------------------------------------------------------
    def _due(self, step: Step) -> bool:
        return step.after in self._reached

    def _advance(self, t: float) -> None:
        step = self.step
        if step is None or self._phase is not Phase.WAIT or not self._due(step):
            return
        self._since = t
        if step.keys is None:
            self._phase = Phase.ANSWER  # a step that only listens: its answer counts from now
            self._echo = None
            self._fresh = True
            self._last.clear()
        elif step.prompt is None or self._prompt_seen:
            self._phase = Phase.SEND
        else:
            opened = self._open.get(step.channel, "")
            if opened and step.prompt.match(opened):
                self._phase = Phase.SEND

    def _examine(self, step: Step, text: str, t: float, last: str | None, fresh: bool) -> StepHit | None:
        if not text:
            return None
        for failure in step.failures:
            if failure.search(text):
                self._fail_code(f"{step.name}: failure {failure.pattern!r} matched: {_cut(text.strip())}", last)
                return None
        if self._phase is Phase.ANSWER:
            assert step.expect is not None
            found = step.expect.search(text)
            if found:
                return self._answered(step, text, t, found)
        if self._phase is Phase.STATUS:
            m = self._status_re.search(text)
            if m:
                value = int(m.group("status"), 0)
                self.records[self._index].status = value
                if value != step.exit:
                    self._fail_code(f"{step.name}: exit status {value}, expected {step.exit}", last)
                    return None
                self._phase = Phase.STATUS_PROMPT
                return None
        if step.prompt is not None and fresh and self._phase is not Phase.STATUS and step.prompt.match(text):
            return self._prompt(step, text, t, last, before_send=False)
        return None

    def _answered(self, step: Step, text: str, t: float, found: re.Match[str]) -> StepHit | None:
        self._answer = (t, text.strip(), {k: v for k, v in found.groupdict().items() if v is not None})
        if step.prompt is None:
            return self._finish(step, t)
        self._phase = Phase.PROMPT
        return None

    def _prompt(self, step: Step, text: str, t: float, last: str | None, before_send: bool) -> StepHit | None:
        if step.prompt is None or not step.prompt.match(text):
            return None
        if before_send:
            self._phase = Phase.SEND
            return None
        if self._phase is Phase.ANSWER:
            assert step.expect is not None
            self._fail_code(f"{step.name}: the command finished (prompt) without an answer matching "
                            f"{step.expect.pattern!r}{self._quote()}", last)
            return None
        if self._phase is Phase.PROMPT and step.exit is not None:
            self._phase = Phase.STATUS_SEND
            return None
        if self._answer is None:
            self._answer = (t, text.strip(), {})
        return self._finish(step, t)

    def _finish(self, step: Step, t: float) -> StepHit:
        """The step is done at `t`; its hit carries the answer's line (seen at `answered`)."""
        assert self._answer is not None
        answered, line, groups = self._answer
        record = self.records[self._index]
        record.answered, record.line, record.done = answered, line, t
        if record.status is not None:
            groups = {**groups, "status": str(record.status)}
        hit = StepHit(step.name, t, step.channel, line, groups)
        self.hits.append(hit)
        self._prompt_seen = step.prompt is not None
        self._index += 1
        self._phase = Phase.WAIT
        self._since = None
        self._echo = None
        self._answer = None
        self._gap = None
        self._advance(t)
        return hit

    def _fail_code(self, reason: str, last: str | None) -> None:
        self._fail(Outcome(Verdict.FAIL, Culprit.CODE, reason, last))

    def _fail(self, outcome: Outcome) -> None:
        if self.failure is None:
            self.failure = outcome

    def _quote(self) -> str:
        lines = list(self._last)
        step = self.step
        opened = self._open.get(step.channel, "").strip() if step is not None else ""
        if opened:
            lines.append(opened)
        if not lines:
            return ": nothing came back"
        return ": last lines: " + " | ".join(_cut(x) for x in lines[-LAST_LINES:])


def _round(t: float | None) -> float | None:
    return None if t is None else round(t, 3)


def _cut(text: str) -> str:
    return text if len(text) <= _QUOTE_MAX else text[:_QUOTE_MAX - 3] + "..."
