"""The early baseline (workers/triage.py): when it starts, what the developer reads, how it stops.
The boots here are stand-ins (a function that waits on its interrupt); tests/integration/
test_bootlab_deadlines.py boots a real changed line with its baseline."""
from __future__ import annotations

import io
import re
import threading
import time
from types import SimpleNamespace

import pytest

from rustux_bootlab.lab.matcher import SKIP_GRACE_S
from rustux_bootlab.lab.milestones import BootMatcher, Milestone, MilestoneSpec
from rustux_bootlab.lab.spec import CHANNELS
from rustux_bootlab.workers.interrupt import Interrupt
from rustux_bootlab.workers.progress import MachineProgress
from rustux_bootlab.workers.triage import EARLY_S, BaselineAhead, EarlyBaseline

SPEC = MilestoneSpec("t", tuple(Milestone(n, frozenset(CHANNELS), re.compile(f"^{n.upper()}$", re.M), 10.0) for n in "abc"), (), ())


class Live:
    def __init__(self) -> None:
        self.matcher = BootMatcher(SPEC)
        self.events: list[str] = []

    def event(self, text: str) -> None:
        self.events.append(text)


def _ahead(boot=lambda progress, interrupt: SimpleNamespace(verdict="PASS")) -> tuple[BaselineAhead, io.StringIO]:
    stream = io.StringIO()
    return BaselineAhead(boot, MachineProgress(stream), Interrupt()), stream


def test_the_baseline_starts_once_a_later_milestone_passed_the_expected_one_early_s_ago() -> None:
    ahead, _ = _ahead()
    early, live = EarlyBaseline(ahead), Live()
    live.matcher.feed("serial", b"A\nC\n", 1.0)  # c came, b did not
    early.tick(live, 1.0 + EARLY_S / 2)
    assert not ahead.started, "within the channels' skew the expected line may still come"
    early.tick(live, 1.0 + EARLY_S)
    assert ahead.started and live.events == ["triage: c came without b; the baseline boots while the grace runs"]
    early.tick(live, 2.0 + EARLY_S)  # once
    ahead.result(MachineProgress(io.StringIO()))


@pytest.mark.parametrize("lines", [b"A\n", b"A\nB\nC\n"], ids=["waiting in order", "passing"])
def test_no_baseline_while_nothing_was_skipped(lines: bytes) -> None:
    ahead, _ = _ahead()
    early, live = EarlyBaseline(ahead), Live()
    live.matcher.feed("serial", lines, 1.0)
    early.tick(live, 1.0 + 10 * EARLY_S)
    assert not ahead.started


def test_no_baseline_once_the_boot_is_decided() -> None:
    ahead, _ = _ahead()
    early, live = EarlyBaseline(ahead), Live()
    live.matcher.feed("serial", b"A\nC\n", 1.0)
    live.matcher.poll(1.0 + SKIP_GRACE_S + 0.1)  # the grace ran out: FAIL
    assert live.matcher.decided is not None
    early.tick(live, 1.0 + SKIP_GRACE_S + 0.1)
    assert not ahead.started


def test_the_baselines_lines_are_said_after_the_images_in_one_piece() -> None:
    def boot(progress, interrupt):
        progress.event("baseline line")
        return "record"

    ahead, stream = _ahead(boot)
    ahead.start()
    out = io.StringIO()
    progress = MachineProgress(out)
    progress.event("triage: the image's line")
    assert ahead.result(progress) == "record"
    assert out.getvalue().splitlines() == ["bootlab: triage: the image's line", "bootlab: baseline line"]
    assert stream.getvalue() == "", "nothing reaches the boot's own progress while it runs"


def test_cancel_stops_the_baseline_through_its_own_interrupt_and_waits_for_it() -> None:
    seen: list[str | None] = []
    running = threading.Event()

    def boot(progress, interrupt):
        running.set()
        while not interrupt:
            time.sleep(0.01)
        seen.append(interrupt.signame)
        return "stopped"

    boot_interrupt = Interrupt()
    ahead = BaselineAhead(boot, MachineProgress(io.StringIO()), boot_interrupt)
    ahead.start()
    running.wait()
    ahead.cancel()
    assert seen == ["the image's boot needed no triage"] and not boot_interrupt, "the image's boot was not interrupted"


def test_a_signal_to_the_boot_stops_the_baseline_too() -> None:
    boot_interrupt = Interrupt()

    def boot(progress, interrupt):
        while not interrupt:
            time.sleep(0.01)
        return interrupt.signame

    ahead = BaselineAhead(boot, MachineProgress(io.StringIO()), boot_interrupt)
    ahead.start()
    boot_interrupt.signame = "SIGTERM"
    assert ahead.result(MachineProgress(io.StringIO())) == "SIGTERM"


def test_what_the_baseline_raised_is_raised_where_its_result_is_taken() -> None:
    def boot(progress, interrupt):
        raise OSError("no space left on device")

    ahead, _ = _ahead(boot)
    ahead.start()
    with pytest.raises(OSError, match="no space left"):
        ahead.result(MachineProgress(io.StringIO()))
