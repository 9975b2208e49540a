"""Two real boots on q35-pflash share one state directory:
1. the good kernel with a zero-filled VARS (unusual, but OVMF rebuilds the store and boots):
   PASS with a warning in result.json, and a passing record for the target;
2. hang-after-heap, after that record's real gaps were written as three passing boots:
   FAIL/code decided by the learned deadline, long before the spec's 15 s timeout;
3. changed-hello (`Hallo from userspace!`) under the same learned deadlines: FAIL/code that
   quotes the changed line and the kernel going on, never "hung";
4. changed-hello again with a baseline, which boots during the changed line's grace.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bootlab_support import kernel_esp, run_boot, variant_esp
from rustux_bootlab.lab.deadlines import FLOOR_S, MIN_HISTORY

pytestmark = pytest.mark.qemu
TARGET = "q35-pflash"
VARS_4M = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")


@pytest.fixture(scope="module")
def state(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("state")


@pytest.fixture(scope="module")
def zero_vars_boot(tmp_path_factory, state):
    d = tmp_path_factory.mktemp("zero-vars")
    zero = d / "OVMF_VARS_4M.fd"
    zero.write_bytes(bytes(VARS_4M.stat().st_size))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BOOTLAB_STATE", str(state))
        return run_boot(d / "record", "--target", TARGET, "--image", kernel_esp(), "--firmware-vars", zero)


def test_bootable_but_unusual_firmware_boots_with_a_warning(zero_vars_boot):
    boot = zero_vars_boot
    assert boot.rc == 0, boot.stderr
    assert boot.verdict == ("PASS", None)
    (warning,) = boot.result["warnings"]
    assert warning.startswith("OVMF_VARS_4M.fd is zero-filled: OVMF creates a fresh variable store and boots")
    assert f"bootlab: warning: {warning}" in boot.stderr
    assert boot.result["deadlines"]["history"] == 0  # a fresh state directory: the spec's timeouts


def test_a_hang_is_decided_by_the_learned_deadline(zero_vars_boot, tmp_path, state, monkeypatch):
    passes = state / TARGET / "passes.jsonl"
    (entry,) = passes.read_text().splitlines()  # the PASS above recorded its real gaps
    passes.write_text((entry + "\n") * MIN_HISTORY)
    monkeypatch.setenv("BOOTLAB_STATE", str(state))
    boot = run_boot(tmp_path, "--target", TARGET, "--image", variant_esp("hang-after-heap"))
    assert boot.rc == 1, boot.stderr
    assert boot.verdict == ("FAIL", "code")
    assert boot.result["reason"].startswith("hung after heap: no exit-boot-services within 1.50s (learned from 3 passing boots")
    decided = boot.result["deadlines"]["decided_by"]
    assert decided["source"] == "learned" and decided["seconds"] == FLOOR_S and decided["after"] == "heap"
    heap_t = boot.result["milestones"][-1]["t"]
    # Decided once the learned deadline passed, and far sooner than the spec's 15 s (a
    # loose bound: the host is shared; bench/deadlines.py measures the delay).
    assert heap_t + FLOOR_S <= decided["decided_t"] < heap_t + 10
    seen = dict(json.loads(entry)["milestones"])
    assert decided["due_t"] == pytest.approx(heap_t + seen["exit-boot-services"] - seen["heap"], abs=0.002)


def _learned(state: Path, monkeypatch) -> None:
    """The good boot's real gaps as enough passing boots to learn deadlines from."""
    passes = state / TARGET / "passes.jsonl"
    entry = passes.read_text().splitlines()[0]
    passes.write_text((entry + "\n") * MIN_HISTORY)
    monkeypatch.setenv("BOOTLAB_STATE", str(state))


def test_a_changed_line_under_learned_deadlines_is_not_called_a_hang(zero_vars_boot, tmp_path, state, monkeypatch):
    _learned(state, monkeypatch)
    boot = run_boot(tmp_path, "--target", TARGET, "--image", variant_esp("changed-hello"))
    assert boot.rc == 1, boot.stderr
    assert boot.verdict == ("FAIL", "code")
    reason = boot.result["reason"]
    assert "hung" not in reason, reason
    assert reason.startswith("expected `^Hello from userspace!$` after init-started; the kernel printed "
                             "`Hallo from userspace!` there and went on to `"), reason
    assert boot.result["last_milestone"] == "init-started"


def test_the_baseline_of_a_changed_line_boots_while_its_grace_runs(zero_vars_boot, tmp_path, state, monkeypatch):
    """4. changed-hello with the last good image as baseline: the shell's later line comes
    without `Hello`, so the baseline boots during the grace, not after the verdict; what the
    developer reads stays in order (the image's lines, the triage line, the baseline's)."""
    _learned(state, monkeypatch)
    boot = run_boot(tmp_path, "--target", TARGET, "--image", variant_esp("changed-hello"), "--baseline", kernel_esp())
    assert boot.rc == 1, boot.stderr
    assert boot.verdict == ("FAIL", "code")
    triage = boot.result["triage"]
    assert triage["baseline"]["verdict"] == "PASS" and triage["rule"].startswith("baseline passed on the same target")
    timeline = (tmp_path / "timeline.log").read_text().splitlines()
    early = next(line for line in timeline if "the baseline boots while the grace runs" in line)
    decided = next(line for line in timeline if " decided: FAIL" in line)
    assert int(early.split()[0]) < int(decided.split()[0]), (early, decided)
    lines = boot.stderr.splitlines()
    said = next(i for i, line in enumerate(lines) if line.startswith("bootlab: triage: FAIL"))
    poweroff = [i for i, line in enumerate(lines) if line.startswith("bootlab: milestone ") and " poweroff " in line]
    assert poweroff and min(poweroff) > said, "the baseline's milestones (it reaches poweroff) come after the triage line"
    assert (tmp_path / "baseline" / "result.json").is_file()
