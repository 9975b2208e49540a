"""The matcher and the judge on real captures of the Rustux kernel and its known-bad variants."""
from pathlib import Path

import pytest

from rustux_bootlab.lab.judge import BootFacts, judge
from rustux_bootlab.lab.milestones import BootMatcher, load_spec
from rustux_bootlab.lab.verdict import Culprit, Verdict

from captures import capture, capture_exit_status, replay

REPO = Path(__file__).resolve().parents[2]


def outcome(spec, name, poll_at=None):
    m = replay(spec, name)
    if poll_at is not None:
        m.poll(poll_at)
    status = capture_exit_status(name)
    return m, judge(m, BootFacts(exit_status=None if status == 124 else status, global_timeout=status == 124))


def test_pass(rustux_spec):
    m, o = outcome(rustux_spec, "kernel-pass")
    assert o.verdict is Verdict.PASS and o.last_milestone == "final"
    assert [h.name for h in m.hits] == [ms.name for ms in rustux_spec.milestones]
    assert m.hits[0].channel == "debugcon"  # `entry` is debugcon only; OVMF's serial chatter came first
    assert m.hits[-1].groups["ms"].isdigit()


def test_shared_user_tables_page_fault_in_ring3(rustux_spec):
    m, o = outcome(rustux_spec, "kernel-shared-user-tables")
    assert o.verdict is Verdict.FAIL and o.culprit is Culprit.CODE
    assert o.reason.startswith("page fault (vector 14) error=0x15 rip=0x100000000000")
    # This variant never prints the address-space milestone (its tables are unchecked), so
    # `entering ring 3` came out of order and does not count: the last milestone is elf-loaded.
    assert o.reason.endswith("after elf-loaded") and o.last_milestone == "elf-loaded"
    assert [h.name for h in m.out_of_order] == ["user-entry"]


def test_triple_fault_is_a_reset(rustux_spec):
    _, o = outcome(rustux_spec, "kernel-triple-fault")
    assert o.summary() == "FAIL (code): machine reset/exited after exit-boot-services (triple fault?): no cpu-tables"


def test_hang_after_heap_times_out(rustux_spec):
    m = replay(rustux_spec, "kernel-hang-after-heap")
    heap_t = m.hits[-1].t
    m.poll(heap_t + 16)
    o = judge(m, BootFacts())
    assert o.summary() == "FAIL (code): hung after heap: no exit-boot-services within 15s"


def test_silent_kernel_is_fail_not_error(rustux_spec):
    _, o = outcome(rustux_spec, "kernel-silent", poll_at=61)
    assert o.verdict is Verdict.FAIL and o.culprit is Culprit.CODE
    assert "the kernel printed nothing" in o.reason


def test_shell_fallback_keeps_the_builtin_hint(rustux_spec):
    m = replay(rustux_spec, "no-bootfile")
    assert m.decided.culprit is Culprit.FIRMWARE
    # The spec's own firmware-shell-fallback (no hint) takes the built-in hint and cause.
    assert m.decided.reason.startswith("firmware said Boot0002: UEFI QEMU HARDDISK QM00001: Not Found; "
                                       "the firmware found nothing to boot"), m.decided.reason


def test_every_byte_boundary_of_the_kernel_debugcon(rustux_spec):
    data = capture("kernel-pass")["debugcon"]
    for cut in range(len(data) + 1):
        m = BootMatcher(rustux_spec)
        m.feed("debugcon", data[:cut], 1.0)
        m.feed("debugcon", data[cut:], 2.0)
        assert m.decided is not None and m.decided.verdict is Verdict.PASS, cut


def test_current_kernel_spec_still_loads():
    path = REPO / "kernel" / "milestones.yaml"
    if not path.exists():
        pytest.skip("kernel/milestones.yaml not written yet")
    assert load_spec(path).milestones
