"""The board's view of a milestone spec (lab/boardview.py): debugcon-only milestones are
skipped with their timeout carried to the next one, `any` narrows to the console, fatal
`after:` follows a skipped milestone, and a spec a board cannot check at all is refused."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from rustux_bootlab.lab.milestones import BootMatcher, load_spec
from rustux_bootlab.lab.boardview import BoardSpecError, board_view

REPO = Path(__file__).resolve().parents[2]


def _spec(tmp_path: Path, text: str):
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return load_spec(path)


def test_the_kernel_spec_on_a_board_skips_entry_and_gives_banner_its_time() -> None:
    full = load_spec(REPO / "kernel" / "milestones.yaml")
    view, skipped = board_view(full)
    assert skipped == ["entry"]
    assert [m.name for m in view.milestones] == [m.name for m in full.milestones[1:]]
    assert view.milestones[0].timeout == full.milestones[0].timeout + full.milestones[1].timeout
    assert all(m.channels == {"serial"} for m in view.milestones)
    reset = next(s for s in view.fatal if s.name == "reset")
    assert reset.after == "banner"  # 'entry' cannot be seen: the reset counts once the kernel printed
    assert all(s.channels <= {"serial"} for s in (*view.fatal, *view.infrastructure))
    assert not any(s.name == "kvm-internal-error" for s in view.infrastructure)  # QEMU stderr: not on a board


def test_a_board_view_still_decides_a_reset_after_the_kernel_started(tmp_path: Path) -> None:
    view, _ = board_view(load_spec(REPO / "kernel" / "milestones.yaml"))
    m = BootMatcher(view)
    m.feed("serial", b"BdsDxe: loading Boot0001 \"UEFI PXEv4\"\r\n", 1.0)  # the firmware's first boot: fine
    assert m.decided is None
    m.feed("serial", b"[rustux] Rustux 0.1.0 (UEFI x86_64): firmware revision 0x10000, TSC 2000000 kHz\r\n", 2.0)
    m.feed("serial", b"BdsDxe: loading Boot0001 \"UEFI PXEv4\"\r\n", 3.0)  # ... again: the machine reset
    assert m.decided is not None and m.decided.verdict.value == "FAIL"


def test_a_spec_with_only_debugcon_milestones_cannot_run_on_a_board(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "name: k\nmilestones:\n  - {name: entry, channel: debugcon, regex: '^!'}\n")
    with pytest.raises(BoardSpecError, match="no milestone on the board's channels .*serial"):
        board_view(spec)


def test_trailing_skipped_milestones_move_after_to_the_last_kept_one(tmp_path: Path) -> None:
    spec = _spec(tmp_path, """name: k
milestones:
  - {name: a, channel: serial, regex: 'A'}
  - {name: z, channel: debugcon, regex: 'Z', timeout: 5}
fatal:
  - {name: again, channel: any, regex: 'reset', after: z}
  - {name: dbg, channel: debugcon, regex: 'boom'}
""")
    view, skipped = board_view(spec)
    assert skipped == ["z"] and [m.name for m in view.milestones] == ["a"]
    assert [(s.name, s.after) for s in view.fatal] == [("again", "a")]


def test_steps_a_board_cannot_answer_are_skipped_and_the_rest_follow_moved_milestones(tmp_path: Path) -> None:
    spec = _spec(tmp_path, """name: k
milestones:
  - {name: entry, channel: debugcon, regex: '^!'}
  - {name: up, channel: any, regex: 'up'}
conversation:
  after: entry
  prompt: '[$] '
  steps:
    - {name: typed, send: 'x<enter>', expect: 'x'}
    - {name: on-debugcon, send: 'y<enter>', expect: 'y', channel: debugcon}
""")
    view, skipped = board_view(spec)
    assert skipped == ["entry", "on-debugcon"]
    assert view.conversation.after == "up"
    assert [(s.name, s.after) for s in view.conversation.steps] == [("typed", "up")]
    only_debugcon = spec.conversation.steps[1:]
    view, skipped = board_view(replace(spec, conversation=replace(spec.conversation, steps=only_debugcon)))
    assert view.conversation is None and skipped == ["entry", "on-debugcon"]
