"""A board gets what a QEMU target gets, through the same boot run: learned deadlines per
board and spec, boot-time regression flags and triage. Two virtual boards of one kind (ipmi_sim
BMC, SOL console, PXE deploy), booted by the real `bootlab boot --board`, one after another:

1. vb-a boots the good kernel: PASS, its passing boot recorded under the board's profile.
2. That pass's real record is written into vb-a's history as HISTORY passes, its kernel-clock
   times halved (as if vb-a used to boot the kernel twice as fast): the deadlines are learned
   from its real lab-clock gaps, and the next PASS's kernel steps are twice the history's.
3. hang-after-heap on vb-a: FAIL/code, judged within 2 s of the learned deadline. Triage boots
   the last image that passed on vb-a again (PASS, flagged slower than the history) and the
   failing image on sibling vb-b (FAIL): the FAIL stands.
4. vb-a freezes after the kernel's heap line in every boot (its QEMU stopped by SIGSTOP, as a
   board that locks up): the good kernel FAILs on it, the last image that passed on it FAILs
   too, and the same image PASSes on vb-b: ERROR/board, not the code.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from pathlib import Path

import pytest
from board_support import BOOTLAB, REPO, running_vboard, vboards_inventory

from rustux_bootlab.lab import boottime
from rustux_bootlab.lab.deadlines import PassingBoot
from rustux_bootlab.lab.inventory import load_inventory
from rustux_bootlab.workers.state import state_dir, vboard_dir

pytestmark = pytest.mark.qemu
ESP = REPO / "build" / "esp"
HANG = REPO / "build" / "variants" / "hang-after-heap" / "esp"
HEAP_LINE = "[rustux] heap:"


def boot(inventory: Path, board: str, image: Path, out: Path) -> tuple[int, dict, str]:
    argv = [str(BOOTLAB), "boot", "--board", board, "--image", str(image), "--inventory", str(inventory),
            "--out", str(out), "--json"]
    proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.stdout.strip(), proc.stderr[-2000:]
    return proc.returncode, json.loads(proc.stdout), proc.stderr


class Freeze:
    """Stops a virtual board's QEMU (SIGSTOP) once the kernel's heap line shows in a boot's
    timeline, and lets it go on (SIGCONT) once the boot was decided."""

    def __init__(self, board_state: Path, timelines: list[Path]) -> None:
        self.board_state = board_state
        self.timelines = timelines
        self.frozen: dict[Path, list[int]] = {}  # per boot (its timeline): the QEMU it stopped
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Freeze:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()
        for pids in self.frozen.values():
            for pid in pids:
                self._signal(pid, signal.SIGCONT)

    def _run(self) -> None:
        running: list[int] = []  # looked up before the heap line, so the freeze follows it closely
        going: set[Path] = set()  # boots decided, their QEMU let go on
        while not self.done.wait(0.01):
            for timeline in self.timelines:
                text = timeline.read_text(errors="replace") if timeline.exists() else ""
                if timeline in self.frozen:
                    if "decided:" in text and timeline not in going:
                        going.add(timeline)
                        for pid in self.frozen[timeline]:
                            self._signal(pid, signal.SIGCONT)
                elif HEAP_LINE in text:
                    self.frozen[timeline] = [pid for pid in running if self._signal(pid, signal.SIGSTOP)]
                elif "power on requested" in text:
                    running = self._qemu()

    def _qemu(self) -> list[int]:
        out = subprocess.run(["ps", "-ww", "-eo", "pid=,args="], capture_output=True, text=True, check=True).stdout
        return [int(line.split()[0]) for line in out.splitlines()
                if "qemu-system" in line and str(self.board_state) in line]

    @staticmethod
    def _signal(pid: int, sig: int) -> bool:
        try:
            os.kill(pid, sig)
            return True
        except ProcessLookupError:
            return False


def test_a_board_learns_its_deadlines_flags_slower_boots_and_is_triaged(tmp_path: Path) -> None:
    for image in (ESP, HANG):
        if not (image / "EFI" / "BOOT" / "BOOTX64.EFI").is_file():
            pytest.fail(f"{image} has no kernel: run make kernel variants")
    inventory = load_inventory(vboards_inventory(tmp_path, ("vb-a", "vb-b"), kind="vb"))
    a, b = inventory.boards["vb-a"], inventory.boards["vb-b"]
    with running_vboard(inventory, a), running_vboard(inventory, b):
        # 1. a first pass: the spec's timeouts, a passing boot recorded for the board.
        rc, first, stderr = boot(inventory.path, "vb-a", ESP, tmp_path / "first")
        assert (rc, first["verdict"]) == (0, "PASS"), stderr[-2000:]
        assert first["deadlines"]["history"] == 0
        profile = first["deadlines"]["profile"]
        assert profile.startswith("board/pxe/sol/spec-")  # per board (its own file) and spec
        passes = state_dir("vb-a") / "passes.jsonl"
        (entry,) = passes.read_text().splitlines()
        real = PassingBoot.from_dict(json.loads(entry))
        assert real.kernel, "the board's console carries the kernel's clock"

        # 2. history: the real pass, its kernel steps halved.
        faster = PassingBoot(real.profile, real.milestones, tuple((n, t / 2) for n, t in real.kernel))
        passes.write_text((json.dumps(faster.to_dict()) + "\n") * boottime.HISTORY)

        # 3. a hang judged by the learned deadline; triage keeps the FAIL.
        rc, hang, stderr = boot(inventory.path, "vb-a", HANG, tmp_path / "hang")
        assert (rc, hang["verdict"], hang["culprit"]) == (1, "FAIL", "code"), (hang["reason"], stderr[-2000:])
        decided = hang["deadlines"]["decided_by"]
        assert decided["source"] == "learned" and decided["after"] == "heap", decided
        heap_t = next(m["t"] for m in hang["milestones"] if m["name"] == "heap")
        due = heap_t + decided["seconds"]
        assert due <= decided["decided_t"] <= due + 2.0, (due, decided)
        baseline, sibling = hang["triage"]["baseline"], hang["triage"]["sibling"]
        assert (baseline["board"], baseline["verdict"]) == ("vb-a", "PASS")
        assert Path(baseline["image"]["path"]).parent == state_dir("vb-a") / "last-pass"
        assert (sibling["board"], sibling["verdict"]) == ("vb-b", "FAIL")
        assert hang["triage"]["rule"].endswith("(FAIL/code kept)")
        again = json.loads((tmp_path / "hang" / "baseline" / "result.json").read_text())
        assert again["boot_time"]["clock"] == "kernel" and again["boot_time"]["regressions"], again["boot_time"]
        assert any(line.startswith("bootlab: slower: ") for line in stderr.splitlines())

        # 4. vb-a locks up after the heap line: both images fail on it, the image passes on vb-b.
        out = tmp_path / "frozen"
        with Freeze(vboard_dir(a), [out / "timeline.log", out / "baseline" / "timeline.log"]) as freeze:
            rc, frozen, stderr = boot(inventory.path, "vb-a", ESP, out)
        assert all(freeze.frozen.get(t) for t in freeze.timelines), f"vb-a's QEMU not frozen in both boots: {freeze.frozen}"
        assert (rc, frozen["verdict"], frozen["culprit"]) == (3, "ERROR", "board"), (frozen["reason"], stderr[-2000:])
        assert frozen["reason"].startswith("board vb-a broken: the last image that passed on it also failed")
        assert frozen["triage"]["image_outcome"]["verdict"] == "FAIL"
        assert frozen["triage"]["baseline"]["verdict"] == "FAIL"
        assert (frozen["triage"]["sibling"]["board"], frozen["triage"]["sibling"]["verdict"]) == ("vb-b", "PASS")
