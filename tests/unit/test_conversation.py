"""Conversations through the matcher: echo, prompts on open lines, exit status, deadlines.

The console here is scripted bytes (what a shell on COM1 sends back), fed to the real
matcher; real shells answer in tests/integration/test_conversation_boot.py.
"""
import re

import pytest

from rustux_bootlab.lab.keys import serial_bytes
from rustux_bootlab.lab.milestones import BootMatcher, SpecError, load_spec
from rustux_bootlab.lab.verdict import Culprit, Verdict

SPEC = """\
name: sh
default_timeout: 10
milestones:
  - {name: ready, channel: serial, regex: '^\\[sh\\] ready'}
fatal:
  - {name: panic, channel: any, regex: '\\[PANIC\\] (?P<reason>.*)'}
conversation:
  after: ready
  prompt: 'rustux\\$ '
  status: 'echo {marker}$?<enter>'
  timeout: 5
  failures: ['command not found']
  steps:
    - {name: hello, send: 'echo hello<enter>', expect: 'hello'}
    - {name: truth, send: 'true<enter>', exit: 0}
"""
MARKER = "BLtestQ"
PROMPT = b"rustux$ "


@pytest.fixture
def spec(tmp_path):
    p = tmp_path / "sh.yaml"
    p.write_text(SPEC)
    return load_spec(p)


class Shell:
    """Drives a matcher the way the runner does: feed, then type what it asks for."""

    def __init__(self, spec, marker=MARKER):
        self.m = BootMatcher(spec, marker=marker)
        self.t = 0.0
        self.typed: list[bytes] = []

    def out(self, data: bytes, dt: float = 0.01) -> list[str]:
        self.t += dt
        names = [h.name for h in self.m.feed("serial", data, self.t)]
        self.m.poll(self.t)
        return names

    def sends(self) -> list[bytes]:
        talk = self.m.conversation
        out = []
        for send in talk.take_sends():
            out.append(serial_bytes(send.keys))
            talk.sent(send, self.t)
        self.typed += out
        return out


def boot_to_prompt(sh: Shell) -> None:
    assert sh.out(b"[sh] ready: 3 ms\r\n") == ["ready"]
    assert sh.sends() == []  # no prompt yet: input now could be lost
    sh.out(PROMPT)
    assert sh.sends() == [b"echo hello\r"]


def test_conversation_passes_and_ends_at_the_last_step(spec):
    sh = Shell(spec)
    boot_to_prompt(sh)
    assert sh.out(b"echo hello\r\n") == []  # the echo contains 'hello': not the answer
    assert sh.out(b"hello\r\n") == []  # the answer; the command has not finished yet
    assert sh.out(PROMPT) == ["hello"]
    assert sh.sends() == [b"true\r"]  # the prompt is there: straight on
    sh.out(b"true\r\n" + PROMPT)
    assert sh.sends() == [f"echo {MARKER}$?\r".encode()]
    assert sh.out(f"echo {MARKER}$?\r\n{MARKER}0\r\n".encode()) == []
    assert sh.m.decided is None
    assert sh.out(PROMPT) == ["truth"]
    assert sh.m.decided.verdict is Verdict.PASS
    assert sh.m.decided.reason.startswith("all 1 milestones and 2 steps reached")
    assert sh.m.reached == sh.m.total == 3
    hello, true = sh.m.step_hits
    assert (hello.channel, hello.line) == ("serial", "hello")
    assert true.groups == {"status": "0"}
    assert sh.m.conversation.records[1].to_dict()["sent"][1]["text"] == f"echo {MARKER}$?<enter>"


def test_kernel_lines_in_the_middle_of_the_echo_and_before_the_prompt(spec):
    sh = Shell(spec)
    boot_to_prompt(sh)
    # The echo is cut by a log line; its rest, `hello`, must not be taken for the answer.
    sh.out(b"echo [rustux] timer: 1000 ticks\r\n")
    sh.out(b"hello\r\n")
    assert sh.m.step_hits == [] and sh.m.conversation.phase.value == "answer"
    sh.out(b"hello\r\n[rustux] timer: 2000 ticks\r\n")
    assert sh.out(PROMPT + b"[rustux] late line\r\n") == ["hello"]  # a prompt cut off by a log line still counts


def test_status_readback_ignores_numbers_the_command_printed_and_its_echo(spec):
    sh = Shell(spec)
    boot_to_prompt(sh)
    sh.out(b"echo hello\r\nhello\r\n" + PROMPT)
    sh.sends()
    sh.out(b"true\r\n0\r\n" + PROMPT)
    sh.sends()
    sh.out(f"echo {MARKER}$?\r\n".encode())  # the echo: the marker, then `$?`, no digits
    assert sh.m.decided is None
    sh.out(f"{MARKER}1\r\n".encode() + PROMPT)
    assert sh.m.decided.verdict is Verdict.FAIL
    assert sh.m.decided.reason == "truth: exit status 1, expected 0"


def test_no_answer_is_fail_naming_step_timeout_text_and_last_lines(spec):
    sh = Shell(spec)
    boot_to_prompt(sh)
    sh.out(b"echo hello\r\n")
    sh.out(b"[rustux] something else\r\n", dt=2.0)
    sh.out(b"", dt=3.5)
    assert sh.m.decided.verdict is Verdict.FAIL and sh.m.decided.culprit is Culprit.CODE
    assert sh.m.decided.reason == ("no answer to hello within 5s after sending 'echo hello<enter>': "
                                   "last lines: rustux$ echo hello | [rustux] something else")


def test_prompt_before_the_answer_fails_at_once(spec):
    sh = Shell(spec)
    boot_to_prompt(sh)
    sh.out(b"echo hello\r\nhullo\r\n" + PROMPT)
    assert sh.m.decided.verdict is Verdict.FAIL
    assert sh.m.decided.reason.startswith("hello: the command finished (prompt) without an answer matching 'hello'")


def test_failure_regex_names_the_step(spec):
    sh = Shell(spec)
    boot_to_prompt(sh)
    sh.out(b"echo hello\r\nsh: echo: command not found\r\n")
    assert sh.m.decided.reason == "hello: failure 'command not found' matched: sh: echo: command not found"


def test_no_prompt_after_the_milestone(spec):
    sh = Shell(spec)
    sh.out(b"[sh] ready\r\n")
    sh.out(b"$ ", dt=5.5)
    assert sh.m.decided.reason == "no prompt for step hello within 5s after ready: last lines: $"


def test_undelivered_input_is_error_never_fail(spec):
    sh = Shell(spec)
    sh.out(b"[sh] ready\r\n" + PROMPT)
    talk = sh.m.conversation
    send = talk.take_sends()[0]
    talk.undelivered(send, Culprit.BOARD, "SOL session down for 5.0s", sh.m.last_milestone)
    sh.out(b"", dt=0.1)
    assert sh.m.decided.verdict is Verdict.ERROR and sh.m.decided.culprit is Culprit.BOARD
    assert sh.m.decided.reason == "could not send 'echo hello<enter>' for step hello: SOL session down for 5.0s"


def test_no_answer_across_a_console_gap_is_error_of_the_board(spec):
    sh = Shell(spec)
    boot_to_prompt(sh)
    sh.m.conversation.console_gap(sh.t - 1.0, sh.t + 2.0)  # SOL lost before and after the send
    sh.out(b"", dt=5.5)
    assert (sh.m.decided.verdict, sh.m.decided.culprit) == (Verdict.ERROR, Culprit.BOARD)
    assert sh.m.decided.reason.startswith("no answer to hello within 5s after sending 'echo hello<enter>', but the "
                                          "console was down")


def test_a_console_gap_before_the_send_does_not_excuse_a_step(spec):
    sh = Shell(spec)
    sh.out(b"[sh] ready\r\n")
    sh.m.conversation.console_gap(0.0, sh.t)
    sh.out(PROMPT)
    sh.sends()
    sh.out(b"", dt=5.5)
    assert sh.m.decided.verdict is Verdict.FAIL


def test_fatal_signature_during_a_step_wins(spec):
    sh = Shell(spec)
    boot_to_prompt(sh)
    sh.out(b"echo hello\r\n[PANIC] page fault in sh\r\n")
    assert sh.m.decided.verdict is Verdict.FAIL and sh.m.decided.reason.startswith("page fault in sh")


@pytest.mark.parametrize("size", [1, 2, 3, 7])
def test_answer_split_at_every_byte(spec, size):
    sh = Shell(spec)
    boot_to_prompt(sh)
    rest = b"echo hello\r\nhello\r\n" + PROMPT
    for i in range(0, len(rest), size):
        sh.out(rest[i:i + size])
    assert [h.name for h in sh.m.step_hits] == ["hello"]


def test_flood_and_binary_during_a_step(spec):
    sh = Shell(spec)
    boot_to_prompt(sh)
    sh.out(b"echo hello\r\n")
    for _ in range(50):
        sh.out(bytes(range(256)) * 64 + b"\x1b[31mnoise \xff\xfe\x00 line\r\n" * 200, dt=0.0)
    sh.out(b"x" * 100_000 + b"\r\n")  # a line longer than the matcher keeps
    assert sh.m.decided is None
    assert sh.out(b"hello\r\n" + PROMPT) == ["hello"]


def test_echo_and_answer_in_one_chunk_with_prompt(spec):
    sh = Shell(spec)
    sh.out(b"[sh] ready\r\n" + PROMPT)
    sh.sends()
    assert sh.out(b"echo hello\r\nhello\r\n" + PROMPT) == ["hello"]


def test_console_without_echo(spec):
    sh = Shell(spec)
    boot_to_prompt(sh)
    assert sh.out(b"hello\r\n" + PROMPT) == ["hello"]


def test_a_listening_step_and_a_later_milestone(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text("""\
name: x
milestones:
  - {name: up, channel: serial, regex: '^up$'}
  - {name: net, channel: serial, regex: '^net ok$'}
conversation:
  after: up
  steps:
    - {name: wait-login, expect: 'login:'}
    - {name: ping, send: 'ping<enter>', expect: '^pong$', after: net}
""")
    sh = Shell(load_spec(p))
    sh.out(b"up\nlogin: \n")
    assert [h.name for h in sh.m.step_hits] == ["wait-login"]
    assert sh.sends() == []  # `ping` also waits for `net`
    sh.out(b"net ok\n")
    assert sh.sends() == [b"ping\r"]
    assert sh.out(b"ping\npong\n") == ["ping"]
    assert sh.m.decided.verdict is Verdict.PASS


def test_a_listening_step_that_hears_nothing_fails_naming_it(tmp_path):
    # it crashed the runner (IndexError: nothing was sent to quote) on a GRUB menu read raw
    p = tmp_path / "s.yaml"
    p.write_text("""\
name: x
milestones:
  - {name: up, channel: serial, regex: '^up$'}
conversation:
  after: up
  steps:
    - {name: offer, expect: '^Hit any key', prompt: false, timeout: 2}
""")
    sh = Shell(load_spec(p))
    sh.out(b"up\nsomething else\n")
    sh.m.poll(1.5)
    assert sh.m.decided is None
    sh.m.poll(3.5)
    assert sh.m.decided.summary() == ("FAIL (code): no offer within 2s: nothing matched '^Hit any key': "
                                      "last lines: up | something else")


def test_ovmf_prompt_split_inside_an_escape_at_the_send(tmp_path):
    """OVMF paints `Shell> ` between colour escapes and echoes each key with cursor moves; a
    read may end inside an escape just as the step types (seen on real OVMF)."""
    p = tmp_path / "s.yaml"
    p.write_text(SPEC.replace("rustux\\$ ", "Shell> "))
    sh = Shell(load_spec(p))
    sh.out(b"[sh] ready\r\n\x1b[11;01H\x1b[1m\x1b[33m\x1b[40mShell> \x1b[0")
    assert sh.sends() == [b"echo hello\r"]
    echo = b"".join(b"\x1b[11;%02dH%c" % (8 + i, c) for i, c in enumerate(b"echo hello"))
    assert sh.out(b"m\x1b[37m\x1b[40m" + echo[:20]) == []
    assert sh.out(echo[20:] + b"\r\n") == []
    assert sh.m.decided is None
    assert sh.out(b"hello\r\n\x1b[13;01H\x1b[1m\x1b[33m\x1b[40mShell> \x1b[0m") == ["hello"]
    assert sh.m.step_hits[0].line == "hello"  # the answer, not the echo


def test_the_old_prompt_never_ends_a_step(spec):
    sh = Shell(spec)
    boot_to_prompt(sh)
    sh.out(b"\x1b[0m")  # more of the line that holds the old prompt
    sh.out(b"echo hel")
    assert sh.m.decided is None and sh.m.conversation.phase.value == "answer"


def test_an_answer_without_a_newline(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(SPEC.replace("{name: hello, send: 'echo hello<enter>', expect: 'hello'}",
                              "{name: login, send: 'root<enter>', expect: '^Password: $', prompt: false}"))
    sh = Shell(load_spec(p))
    sh.out(b"[sh] ready\r\n" + PROMPT)
    sh.sends()
    assert sh.out(b"root\r\nPassword: ") == ["login"]


def test_step_names_must_not_clash_with_signatures(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(SPEC.replace("{name: hello,", "{name: panic,"))
    with pytest.raises(SpecError, match=re.escape("step name 'panic' is also a signature's name")):
        load_spec(p)
