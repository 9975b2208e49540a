"""How `bootlab try` prints a boot's stdio lines (workers/trywatch.py): the triage boot's lines
are marked as the baseline's, so they never read as the tried image's."""
from __future__ import annotations

from lab.matcher import MilestoneHit
from lab.record import event_line, milestone_line, verdict_line
from lab.verdict import Culprit, Outcome, Verdict
from workers.trywatch import BootSeen, TryWatch

T = "q35-pflash"


def said(lines: list[str]) -> list[str]:
    out: list[str] = []
    watch = TryWatch("http://unused/", "id", say=out.append)
    seen = BootSeen(T, 7, "http://lab/#/builders/2/builds/7")
    for line in lines:
        watch._line(seen, line)
    return out


def hit(name: str, t: float) -> MilestoneHit:
    return MilestoneHit(name=name, t=t, channel="serial", line=name)


def test_the_baselines_milestones_are_labelled_and_the_verdict_is_the_tried_images():
    out = said([
        milestone_line(1, 31, hit("entry", 4.1)),
        event_line("triage: FAIL (code): init died; booting baseline golden/esp on q35-pflash"),
        milestone_line(1, 31, hit("entry", 0.2)),
        milestone_line(31, 31, hit("poweroff", 0.9)),
        verdict_line(Outcome(Verdict.FAIL, Culprit.CODE, "init died", "init-started")),
    ])
    assert out[0].startswith(f"{T}: ok  1/31 entry")
    assert out[1].startswith(f"{T}: FAIL (code): init died; triage boots the last image that passed here")
    assert out[2].startswith(f"{T} baseline: ok  1/31 entry") and out[3].startswith(f"{T} baseline: ok 31/31 poweroff")
    assert out[4].startswith(f"{T}: FAIL/code init died")


def test_a_boot_without_triage_has_no_baseline_lines():
    out = said([milestone_line(1, 31, hit("entry", 4.1)), verdict_line(Outcome(Verdict.PASS, None, "", "poweroff"))])
    assert [line.split(":")[0] for line in out] == [T, T]
