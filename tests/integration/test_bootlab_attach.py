"""An attachment (workers/qemu/attach.py) plugs into a real QEMU boot: its argument reaches
QEMU, its hooks run in order with QMP usable, and what it feeds and sends goes through the
same path as the guest's own bytes. One TCG boot of the real kernel, which the probe pauses
(QMP `stop`) at its first milestone, so the boot ends by a milestone timeout (1 s here, for
every milestone after the first: lines already in flight may still tick one) with QEMU
still running: the case in which `stopping` runs."""
from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path

import pytest

from bootlab_support import REPO, kernel_esp
from rustux_bootlab.lab.inventory import load_inventory
from rustux_bootlab.lab.milestones import load_spec
from rustux_bootlab.lab.verdict import Verdict
from rustux_bootlab.workers.qemu.machine import BootRequest, BootSession
from rustux_bootlab.workers.interrupt import Interrupt
from rustux_bootlab.workers.progress import MachineProgress
from rustux_bootlab.workers.qemu.attach import Attachment, LiveBoot

pytestmark = pytest.mark.qemu


class Probe(Attachment):
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.hits: list[str] = []
        self.status: str | None = None
        self.ticks = 0

    def qemu_args(self, work: Path) -> tuple[str, ...]:
        self.calls.append("qemu_args")
        return ("-name", "attached-probe")

    def started(self, live: LiveBoot) -> None:
        self.calls.append("started")
        assert live.qmp is not None
        self.status = live.qmp.execute("query-status")["status"]

    def tick(self, live: LiveBoot, t: float) -> None:
        self.ticks += 1

    def hit(self, live: LiveBoot, hit) -> None:
        if not self.hits:
            live.feed("qemu", b"probe: fed after the first milestone\n")
            live.send("serial", b"\r")  # COM1 input: the kernel ignores it, the socket takes it
            live.event("probe: sent a key on serial")
            live.qmp.execute("stop")
        self.hits.append(hit.name)

    def stopping(self, live: LiveBoot) -> None:
        self.calls.append("stopping")


def test_an_attachment_takes_part_in_a_real_boot(tmp_path):
    target = load_inventory(REPO / "lab-inventory.yaml", check_files=False).target("q35-pflash")
    spec = load_spec(REPO / "kernel" / "milestones.yaml")
    first, *rest = spec.milestones
    spec = replace(spec, milestones=(first, *(replace(m, timeout=1.0) for m in rest)))
    probe = Probe()
    request = BootRequest(target, kernel_esp(), spec, tmp_path, target.boot_timeout_s, attachments=(probe,))
    record = BootSession(request, MachineProgress(io.StringIO()), Interrupt()).run()
    assert record.outcome.verdict is Verdict.FAIL, record.outcome
    assert re.fullmatch(r"hung after \S+: no \S+ within 1s", record.outcome.reason), record.outcome.reason
    assert probe.calls[0] == "qemu_args" and "-name attached-probe" in " ".join(record.qemu["command"])
    assert probe.calls[1:] == ["started", "stopping"] and probe.status in ("running", "prelaunch")
    assert probe.ticks > 0 and probe.hits[0] == first.name and probe.hits == [hit.name for hit in record.milestones]
    assert b"probe: fed after the first milestone" in (tmp_path / "qemu.log").read_bytes()
    timeline = (tmp_path / "timeline.log").read_text()
    assert " qemu     probe: fed after the first milestone" in timeline
    assert " runner   probe: sent a key on serial" in timeline
    assert (tmp_path / "screen.png").is_file(), "the built-in ScreenChannel attachment ran too"
