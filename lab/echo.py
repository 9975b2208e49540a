"""Telling the echo of what a step typed from the console's answer.

A shell echoes what it is sent, so `echo hello` comes back as `rustux$ echo hello` before
the answer `hello`; a regex `hello` must not take the echo for the answer. On a stream
channel (serial: SOL and COM1 alike) the echo is followed character by character through
the lines that arrive after the send:

- the open line at the moment of sending (the prompt, `rustux$ `) is not part of the answer;
- a line (or the start of one) that continues the echo is echo; what follows it on the same
  line is someone else's text: a kernel log line that landed in the middle of the echo,
  which is why the echo can be split over several lines:
  `echo [rustux] timer...` + `hello` (the rest of the echo) + `hello` (the answer);
- a line that does not continue the echo (the console does not echo, or a log line came
  first) is passed on whole and the echo is still expected.
Only the step's own regexes (expect, failures, prompt) see the filtered text; milestones and
fatal signatures see every line as it came.

A channel that shows a redrawn picture rather than a stream (`REDRAWN_CHANNELS`: a screen
read frame by frame repeats its lines) cannot be followed that way: there a line that
ends with a whole sent line is echo (the prompt row the keys were typed into; an answer
that merely contains the command's text, `fault: pid 11 (fault) killed`, is not), and
until such a line was seen, so are the open line of the
send (the prompt, still there) and that line followed by the start of the first sent line
(the echo being drawn key by key), blanks at either end not counted (a screen has none).
"""
from __future__ import annotations

# Channels whose lines are re-read from a picture on every frame, not a stream.
REDRAWN_CHANNELS: frozenset[str] = frozenset({"screen"})


class EchoFilter:
    def __init__(self, echo: str, open_line: str, redrawn: bool = False) -> None:
        """`echo`: what the console should echo (`lab.keys.echo_text`); `open_line`: the
        channel's unfinished line when the keys were sent."""
        self.left = echo
        self.prefix = open_line
        self.redrawn = redrawn
        self._sent_lines = [s.strip() for s in echo.split("\n") if s.strip()]
        self._first_sent = echo.split("\n", 1)[0].strip()
        self._echo_seen = False  # a redrawn channel showed a whole sent line

    @property
    def done(self) -> bool:
        return not self.left.strip("\n")

    def line(self, line: str) -> str:
        """The part of a complete line that is not echo ('' when it is all echo); consumes the echo."""
        rest, self.left, self.prefix = self._strip(line, self.left, self.prefix)
        return rest

    def peek(self, open_line: str) -> str:
        """The same for the unfinished line, without consuming anything (it will grow)."""
        return self._strip(open_line, self.left, self.prefix)[0]

    def _strip(self, line: str, left: str, prefix: str) -> tuple[str, str, str]:
        if self.redrawn:
            return ("" if self._redrawn_echo(line) else line), left, prefix
        if prefix:
            if line.startswith(prefix):
                line = line[len(prefix):]
            prefix = ""
        if not line or not left:
            return line, left, prefix
        cur = left.split("\n", 1)[0]
        n = _common_prefix(line, cur)
        if n == 0 and cur:
            return line, left, prefix  # not the echo (yet): someone else's line
        left = left[n:]
        if n == len(cur) and left.startswith("\n"):
            left = left[1:]  # this echoed line is complete; its line end is this line's end
        return line[n:], left, prefix


    def _redrawn_echo(self, line: str) -> bool:
        if any(line.rstrip().endswith(s) for s in self._sent_lines):
            self._echo_seen = True
            return True
        prompt, shown = self.prefix.strip(), line.strip()
        return not self._echo_seen and shown.startswith(prompt) and self._first_sent.startswith(shown[len(prompt):].lstrip())


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n
