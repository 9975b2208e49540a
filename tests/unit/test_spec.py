"""Milestone spec loading: good specs load, bad ones say file, line, key and what is expected."""
import re
import textwrap

import pytest

from rustux_bootlab.lab.milestones import CHANNELS, SpecError, load_spec
from rustux_bootlab.lab.spec import STREAMS
from rustux_bootlab.lab.verdict import Culprit

from captures import spec_error

GOOD = """\
name: rustux
default_timeout: 15
milestones:
  - name: entry
    channel: debugcon
    regex: '^!'
    timeout: 60
  - name: memory-map
    channel: any
    regex: 'memory map: (?P<entries>\\d+) entries'
fatal:
  - name: panic
    channel: any
    regex: '\\[PANIC\\] (?P<reason>.*)'
  - name: reset
    channel: any
    regex: 'BdsDxe: loading Boot'
    after: entry
infrastructure:
  - name: kvm-internal-error
    channel: qemu
    regex: 'KVM internal error'
    culprit: host
"""


def write(tmp_path, text, name="milestones.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def test_good_spec_loads(tmp_path):
    spec = load_spec(write(tmp_path, GOOD))
    assert spec.name == "rustux"
    assert [m.name for m in spec.milestones] == ["entry", "memory-map"]
    assert spec.milestones[0].timeout == 60 and spec.milestones[1].timeout == 15
    assert spec.milestones[0].channels == {"debugcon"}
    assert spec.milestones[1].channels == set(STREAMS) == set(CHANNELS) - {"screen"}
    assert spec.milestones[0].regex.flags & re.MULTILINE
    assert spec.fatal[1].after == "entry"
    assert spec.infrastructure[0].culprit is Culprit.HOST


def test_fixture_spec_loads(mini_spec):
    assert len(mini_spec.milestones) == 7


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ("    timeout: 60", "    timout: 60", r":7: milestones\[0\]\.timout: unknown key \(did you mean 'timeout'\?\)"),
        ("    regex: '^!'", "    regex: '^(!'", r":6: milestones\[0\]\.regex: bad regular expression '\^\(!'"),
        ("    channel: debugcon", "    channel: debugcom", r":5: milestones\[0\]\.channel: 'debugcom' is not one of debugcon, serial, firmware, qemu, screen, any \(did you mean 'debugcon'\?\)"),
        ("  - name: memory-map", "  - name: entry", r":8: milestones\[1\]\.name: duplicate name 'entry'"),
        ("    after: entry", "    after: entyr", r":18: fatal\[1\]\.after: 'entyr' is not one of entry, memory-map"),
        ("    culprit: host", "    culprit: code", r":23: infrastructure\[0\]\.culprit: 'code' is not one of firmware, host, board, lab"),
        ("    timeout: 60", "    timeout: soon", r":7: milestones\[0\]\.timeout: expected a number, got 'soon'"),
        ("name: rustux", "nme: rustux", r":1: nme: unknown key \(did you mean 'name'\?\)"),
        ("  - name: memory-map", "  - nam: memory-map", r":8: milestones\[1\]\.nam: unknown key"),
        ("  - name: panic", "  - name: Panic!", r":12: fatal\[0\]\.name: 'Panic!' is not a valid name"),
    ],
)
def test_errors_name_file_line_key(tmp_path, old, new, expected):
    assert old in GOOD
    error = spec_error(tmp_path / "milestones.yaml", GOOD.replace(old, new, 1))
    assert re.search(expected, error), error


def test_missing_required_key(tmp_path):
    p = write(tmp_path, "name: x\n")
    with pytest.raises(SpecError, match=r":1: \(top level\): missing required key 'milestones'"):
        load_spec(p)


def test_milestone_missing_regex(tmp_path):
    p = write(tmp_path, "name: x\nmilestones:\n  - {name: a, channel: any}\n")
    with pytest.raises(SpecError, match=r":3: milestones\[0\]: missing required key 'regex'"):
        load_spec(p)


def test_empty_milestones(tmp_path):
    with pytest.raises(SpecError, match="needs at least one milestone"):
        load_spec(write(tmp_path, "name: x\nmilestones: []\n"))


def test_yaml_syntax_error_has_line(tmp_path):
    with pytest.raises(SpecError, match=r"milestones.yaml:4: not valid YAML: .*flow mapping at line 3"):
        load_spec(write(tmp_path, "name: x\nmilestones:\n  - {name: a, channel: any\n"))


def test_missing_file(tmp_path):
    with pytest.raises(SpecError, match="nope.yaml: file not found"):
        load_spec(tmp_path / "nope.yaml")


def test_milestones_must_be_a_list(tmp_path):
    with pytest.raises(SpecError, match=r":2: milestones: expected a list"):
        load_spec(write(tmp_path, "name: x\nmilestones: {a: 1}\n"))


def test_infrastructure_hint(tmp_path):
    text = GOOD.replace("    culprit: host", "    culprit: host\n    hint: 'retry with --accel tcg'")
    assert load_spec(write(tmp_path, text)).infrastructure[0].hint == "retry with --accel tcg"
