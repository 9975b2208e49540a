"""Conversation steps in a milestone spec: what to type, on which input, and what answers.

```yaml
conversation:
  after: shell-ready              # the milestone the conversation starts after
  prompt: 'rustux\\$ '             # "the command has finished": matched at the start of a line,
                                  # finished or not (a prompt has no newline); do not anchor its end
  status: 'echo {marker}$?<enter>'  # how this shell prints the last command's exit status
  timeout: 10                     # per step, from its send (default: the spec's default_timeout)
  failures: ['not recognized']    # regexes that fail any step, added to each step's own
  steps:
    - name: echo                  # unique among milestones and steps
      send: 'echo hello<enter>'   # keys (lab.keys): text, escapes, <enter>, <ctrl-c>, ...
      input: serial               # INPUTS below; default serial
      expect: '^hello$'           # regex on the answer's lines (echo removed)
      channel: serial             # default: where the input's answers appear
      timeout: 5
      failures: ['^ERROR']
      prompt: false               # this step does not wait for the prompt (default: the conversation's)
      exit: 0                     # the command's exit status, read back with `status`
      after: final                # also wait for this later milestone before sending
```

A step is sent once the previous one is done (the first: once `after` was reached) and, if
it has a prompt, once the prompt shows. It is done when `expect` matched, then the prompt
came back, then (with `exit:`) the status line `<marker><digits>` was read and compared.
`{marker}` becomes a random word per boot; the echo of `echo {marker}$?` holds `$?`, not
digits, so it is never taken for the answer, nor is a number the command itself printed.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from rustux_bootlab.lab.keymap import chords
from rustux_bootlab.lab.keys import Keys, KeysError, parse_keys
from rustux_bootlab.lab.schema import Node

MARKER_FIELD = "{marker}"
STATUS_NUMBER = r"(?P<status>0x[0-9a-fA-F]+|-?\d+)"  # `$?` in sh, `%lasterror%` (0xE) in the EFI shell


@dataclass(frozen=True)
class Input:
    """A way to type into the machine under test."""

    name: str
    answers_on: str  # the channel its echo and the answers appear on, unless a step says otherwise
    on_boards: bool  # boards have it (their console); QEMU targets have every input
    typable: Callable[[Keys], object] | None = None  # raises KeysError for keys it cannot type


# The plug point for inputs: the runner must have a port for each (workers/input/ports.py).
INPUTS: dict[str, Input] = {
    "serial": Input("serial", "serial", on_boards=True),  # COM1 on QEMU; SOL or the serial cable on a board
    # QEMU's keyboard through QMP (US layout), answered on the screen
    "keyboard": Input("keyboard", "screen", on_boards=False, typable=chords),
}


@dataclass(frozen=True)
class Step:
    name: str
    after: str  # the milestone that must have been reached before the step is sent
    input: str
    keys: Keys | None  # None: the step only waits for `expect`
    expect: re.Pattern[str] | None  # None: done when the prompt comes back
    channel: str
    timeout: float
    failures: tuple[re.Pattern[str], ...]
    prompt: re.Pattern[str] | None
    exit: int | None  # the exit status the command must return


@dataclass(frozen=True)
class ConversationSpec:
    after: str
    steps: tuple[Step, ...]
    status: str | None = None  # keys text with {marker}

    def status_keys(self, marker: str) -> Keys:
        assert self.status is not None
        return parse_keys(self.status.replace(MARKER_FIELD, marker))


def load_conversation(node: Node, milestones: list[str], channels: tuple[str, ...],
                      default_timeout: float) -> ConversationSpec:
    """Validate the `conversation` section against the spec's milestones and channels."""
    top = node.fields(required=["after", "steps"], optional=["prompt", "status", "timeout", "failures"])
    after = top["after"].choice(milestones)
    prompt = top["prompt"].regex() if "prompt" in top else None
    status = _status(top["status"]) if "status" in top else None
    timeout = top["timeout"].number(minimum=0.001) if "timeout" in top else default_timeout
    common = _regexes(top["failures"]) if "failures" in top else ()
    steps: list[Step] = []
    entries = top["steps"].seq()
    if not entries:
        raise top["steps"].error("needs at least one step")
    waits_for = after
    for entry in entries:
        step = _step(entry, milestones, channels, steps, waits_for, prompt, timeout, common, status)
        waits_for = step.after
        steps.append(step)
    return ConversationSpec(after, tuple(steps), status)


def _step(node: Node, milestones: list[str], channels: tuple[str, ...], earlier: list[Step], waits_for: str,
          prompt: re.Pattern[str] | None, timeout: float, common: tuple[re.Pattern[str], ...], status: str | None) -> Step:
    f = node.fields(required=["name"], optional=["send", "input", "expect", "channel", "timeout", "failures",
                                                 "prompt", "exit", "after"])
    name = f["name"].name()
    if name in milestones or name in [s.name for s in earlier]:
        raise f["name"].error(f"duplicate name {name!r}: steps and milestones share one list of names")
    if "after" in f:
        mine = f["after"].choice(milestones)
        if milestones.index(mine) < milestones.index(waits_for):
            raise f["after"].error(f"step {name!r} would come before its milestone: it waits for {mine!r}, but an "
                                   f"earlier step (or the conversation) already waits for the later {waits_for!r}; "
                                   "steps run in order: move the step or its after")
        waits_for = mine
    input_name = f["input"].choice(INPUTS) if "input" in f else "serial"
    keys = _keys(f["send"]) if "send" in f else None
    typable = INPUTS[input_name].typable
    if keys is not None and typable is not None:
        try:
            typable(keys)
        except KeysError as e:
            raise f["send"].error(str(e)) from None
    if "input" in f and keys is None:
        raise f["input"].error("input without send: nothing is typed; add send or drop input")
    channel = f["channel"].choice(channels) if "channel" in f else INPUTS[input_name].answers_on
    if "prompt" in f:
        step_prompt = None if f["prompt"].value() is False else f["prompt"].regex()
    else:
        step_prompt = prompt
    expect = f["expect"].regex(re.MULTILINE) if "expect" in f else None
    if expect is None and (keys is None or step_prompt is None):
        raise node.error(f"step {name!r} has no expect: give it one (or a send and a prompt, and it is done when "
                         "the prompt comes back)")
    exit_status = f["exit"].integer() if "exit" in f else None
    if exit_status is not None:
        if status is None or step_prompt is None:
            raise f["exit"].error("checking the exit status needs the conversation's status: (the command that "
                                  "prints it, e.g. 'echo {marker}$?<enter>') and a prompt")
        if keys is None:
            raise f["exit"].error("exit: without send: there is no command whose status to read")
    own = _regexes(f["failures"]) if "failures" in f else ()
    step_timeout = f["timeout"].number(minimum=0.001) if "timeout" in f else timeout
    return Step(name, waits_for, input_name, keys, expect, channel, step_timeout, own + common, step_prompt, exit_status)


def _keys(node: Node) -> Keys:
    try:
        return parse_keys(node.text())
    except KeysError as e:
        raise node.error(str(e)) from None


def _status(node: Node) -> str:
    text = node.text()
    at = text.find(MARKER_FIELD)
    after = text[at + len(MARKER_FIELD):at + len(MARKER_FIELD) + 1]
    if at < 0 or not after or after.isdigit() or after == "<":
        raise node.error(f"{text!r}: needs {MARKER_FIELD} right before the shell's status variable, e.g. "
                         "'echo {marker}$?<enter>' (sh) or 'echo {marker}%lasterror%<enter>' (EFI shell)")
    _keys(node)
    return text


def _regexes(node: Node) -> tuple[re.Pattern[str], ...]:
    return tuple(n.regex(re.MULTILINE) for n in node.seq())
