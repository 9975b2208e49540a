"""The `conversation` section of a milestone spec: loads, and every mistake says file:line: key."""
import re

import pytest

from rustux_bootlab.lab.keys import Key, KeysError, describe, echo_text, parse_keys, serial_bytes
from rustux_bootlab.lab.milestones import SpecError, load_spec

from captures import FIXTURES, spec_error

SPEC = (FIXTURES / "specs" / "conversation.yaml").read_text()


def load(tmp_path, text):
    p = tmp_path / "spec.yaml"
    p.write_text(text)
    return load_spec(p)


def test_conversation_loads(tmp_path):
    spec = load(tmp_path, SPEC)
    talk = spec.conversation
    assert talk.after == "banner"
    echo, brk = talk.steps
    assert echo.keys == ("echo hello", Key("enter")) and echo.input == "serial" and echo.channel == "serial"
    assert echo.expect.pattern == "^hello$" and echo.exit == 0 and echo.timeout == 7
    assert echo.prompt.pattern == "Shell> " and [f.pattern for f in echo.failures] == ["is not recognized"]
    assert brk.prompt is None and brk.timeout == 2 and brk.after == "mapped"
    assert [f.pattern for f in brk.failures] == ["^oops", "is not recognized"]
    assert talk.status_keys("M1") == ("echo M1%lasterror%", Key("enter"))
    assert spec.total == 4  # two milestones and two steps: what a MISS record counts too


def test_a_spec_without_conversation_has_none(mini_spec):
    assert mini_spec.conversation is None


@pytest.mark.parametrize("old, new, expected", [
    ("      send: 'echo hello<enter>'\n", "      send: 'echo hello<enter>'\n      input: mouse\n",
     r"spec.yaml:14: conversation.steps\[0\].input: 'mouse' is not one of serial"),
    ("      expect: '^hello$'\n", "      expect: '^hello$'\n      channel: screeen\n",
     r"spec.yaml:15: conversation.steps\[0\].channel: 'screeen' is not one of debugcon, serial"),
    ("expect: '^hello$'", "expect: '^hel(lo$'", r"spec.yaml:14: conversation.steps\[0\].expect: bad regular expression"),
    ("failures: ['is not", "failures: ['(is not", r"spec.yaml:10: conversation.failures\[0\]: bad regular expression"),
    ("after: banner", "after: bannr", r"spec.yaml:6: conversation.after: 'bannr' is not one of banner, mapped "
                                      r"\(did you mean 'banner'\?\)"),
    ("echo hello<enter>", "echo hello<entr>", r"spec.yaml:13: conversation.steps\[0\].send: unknown key <entr>"),
    ("echo hello<enter>", "echo\\q", r"spec.yaml:13: conversation.steps\[0\].send: unknown escape \\q"),
    ("  status: 'echo {marker}%lasterror%<enter>'\n", "", r"spec.yaml:14: conversation.steps\[0\].exit: checking the "
                                                         r"exit status needs the conversation's status"),
    ("{marker}%lasterror%", "%lasterror%{marker}", r"spec.yaml:8: conversation.status: .*needs \{marker\} right before"),
    ("- name: echo\n", "- name: mapped\n", r"conversation.steps\[0\].name: duplicate name 'mapped'"),
    ("      expect: 'x'\n", "", r"spec.yaml:16: conversation.steps\[1\]: step 'break' has no expect"),
    ("  steps:\n", "  stepz:\n", r"spec.yaml:12: conversation.stepz: unknown key \(did you mean 'steps'\?\)"),
])
def test_errors_name_file_line_key(tmp_path, old, new, expected):
    assert old in SPEC
    error = spec_error(tmp_path / "spec.yaml", SPEC.replace(old, new, 1))
    assert re.search(expected, error), error


def test_a_step_before_its_milestone(tmp_path):
    text = SPEC.replace("  after: banner", "  after: mapped").replace("      after: mapped", "      after: banner")
    with pytest.raises(SpecError, match=r"spec.yaml:22: conversation.steps\[1\].after: step 'break' would come before "
                                        r"its milestone: it waits for 'banner'"):
        load(tmp_path, text)


def test_send_only_step_needs_a_prompt(tmp_path):
    text = SPEC.replace("      expect: '^hello$'\n      exit: 0\n", "")
    assert load(tmp_path, text).conversation.steps[0].expect is None  # done when the prompt returns
    with pytest.raises(SpecError, match="has no expect"):
        load(tmp_path, text.replace("  prompt: 'Shell> '\n", ""))


def test_keys_parse_escape_and_encode():
    keys = parse_keys(r"cat <<in >out\t\x41\\<enter><ctrl-c><up>")
    assert keys == ("cat <in >out\tA\\", Key("enter"), Key("ctrl-c"), Key("up"))
    assert serial_bytes(keys) == b"cat <in >out\tA\\\r\x03\x1b[A"
    assert describe(keys) == "cat <<in >out\\tA\\<enter><ctrl-c><up>"
    assert echo_text(keys) == "cat <in >out\tA\\\n"
    assert serial_bytes(parse_keys("<ctrl-]><ctrl-z><f12>")) == b"\x1d\x1a\x1b[24~"
    for bad in ("", "a\\", "<nope>"):
        with pytest.raises(KeysError):
            parse_keys(bad)
