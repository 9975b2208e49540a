"""The matcher's documented rules: order, priorities, `after:`, timeouts, early decision."""
import re

import pytest

from rustux_bootlab.lab.deadlines import SKIPPED
from rustux_bootlab.lab.matcher import CHANNEL_SKEW_S, SKIP_GRACE_S
from rustux_bootlab.lab.milestones import BootMatcher, FatalSignature, InfraSignature, Milestone, MilestoneSpec
from rustux_bootlab.lab.spec import CHANNELS
from rustux_bootlab.lab.verdict import Culprit, Verdict

ANYWHERE = frozenset(CHANNELS)


def ms(name, regex, channels=ANYWHERE, timeout=10.0):
    return Milestone(name, frozenset(channels), re.compile(regex, re.M), timeout)


SPEC = MilestoneSpec(
    "t",
    (ms("a", r"^A$", timeout=30), ms("b", r"^B (?P<n>\d+)"), ms("c", r"^C$", {"debugcon"})),
    (
        FatalSignature("panic", ANYWHERE, re.compile(r"\[PANIC\] (?P<reason>.*)", re.M)),
        FatalSignature("reset", frozenset({"serial"}), re.compile(r"BdsDxe: loading Boot", re.M), after="a"),
    ),
    (InfraSignature("disk", frozenset({"qemu"}), re.compile(r"disk on fire", re.M), Culprit.HOST),),
)


def test_in_order_hits_and_pass():
    m = BootMatcher(SPEC)
    assert [h.name for h in m.feed("serial", b"noise\nA\nB 42\n", 1.0)] == ["a", "b"]
    assert m.hits[1].groups == {"n": "42"} and m.hits[1].t == 1.0
    assert m.decided is None and m.next_milestone.name == "c"
    m.feed("debugcon", b"C\n", 2.0)
    assert m.decided.verdict is Verdict.PASS and m.decided.last_milestone == "c"
    assert m.complete


def test_out_of_order_milestone_does_not_count_and_matcher_waits():
    m = BootMatcher(SPEC)
    m.feed("serial", b"A\n", 1.0)
    m.feed("debugcon", b"C\n", 1.5)
    assert [h.name for h in m.hits] == ["a"]
    assert [h.name for h in m.out_of_order] == ["c"]
    m.feed("serial", b"B 1\n", 2.0)
    assert [h.name for h in m.hits] == ["a", "b"]
    m.feed("debugcon", b"C\n", 3.0)
    assert m.decided.verdict is Verdict.PASS


def test_a_later_milestone_on_the_expected_ones_channel_passes_it_after_a_grace():
    m = BootMatcher(SPEC)
    m.feed("serial", b"A\n", 1.0)
    m.feed("debugcon", b"C\n", 2.0)  # b is printed on debugcon too: it was not written before C
    assert m.passed_by.name == "c"
    m.poll(2.0 + SKIP_GRACE_S - 0.1)
    assert m.decided is None
    m.poll(2.0 + SKIP_GRACE_S + 0.1)
    assert m.decided.summary() == "FAIL (code): no b after a: c came at 2.00s without it"
    assert m.decided.last_milestone == "a"
    assert m.timeout.missing == "b" and m.timeout.deadline.source == SKIPPED
    assert m.timeout.timeout == pytest.approx(1.0 + SKIP_GRACE_S)


def test_a_passed_milestone_that_comes_within_the_grace_still_counts():
    m = BootMatcher(SPEC)
    m.feed("serial", b"A\n", 1.0)
    m.feed("debugcon", b"C\n", 2.0)
    m.feed("serial", b"B 1\n", 2.0 + SKIP_GRACE_S - 0.5)
    assert m.passed_by is None, "a milestone reached clears it"
    m.poll(2.0 + SKIP_GRACE_S + 0.5)
    m.feed("debugcon", b"C\n", 2.0 + SKIP_GRACE_S + 0.6)
    assert m.decided.verdict is Verdict.PASS


def test_the_grace_never_lengthens_a_shorter_deadline():
    spec = MilestoneSpec("t", (ms("a", r"^A$"), ms("b", r"^B$", timeout=0.5), ms("c", r"^C$")), (), ())
    m = BootMatcher(spec)
    m.feed("serial", b"A\n", 1.0)
    m.feed("serial", b"C\n", 1.1)
    m.poll(1.6)
    assert m.decided.reason == "expected `^B$` after a; the kernel printed `C` there"  # C went on: not a hang


@pytest.mark.parametrize("later_channel", ["serial", "screen"])
def test_a_later_milestone_is_no_evidence_on_another_or_a_redrawn_channel(later_channel):
    # b is printed on debugcon and the screen only: serial's order says nothing about it, and a
    # screen's line may have scrolled away between two reads
    spec = MilestoneSpec("t", (ms("a", r"^A$"), ms("b", r"^B$", {"debugcon", "screen"}), ms("c", r"^C$")), (), ())
    m = BootMatcher(spec)
    m.feed("debugcon", b"A\n", 1.0)
    m.feed(later_channel, b"C\n", 1.2)
    assert [h.name for h in m.out_of_order] == ["c"] and m.passed_by is None
    m.poll(10.9)
    assert m.decided is None
    m.poll(11.1)
    assert m.decided.reason == "hung after a: no b within 10s"


def test_channel_restriction():
    m = BootMatcher(SPEC)
    m.feed("serial", b"A\nB 1\nC\n", 1.0)
    assert m.next_milestone.name == "c"


def test_one_line_is_one_event():
    m = BootMatcher(SPEC)
    m.feed("serial", b"A\n", 1.0)
    assert [h.name for h in m.hits] == ["a"]
    m.feed("serial", b"A\n", 1.0)  # a repeat of a reached milestone is ignored
    assert [h.name for h in m.hits] == ["a"]


def test_fatal_with_reason_group():
    m = BootMatcher(SPEC)
    m.feed("serial", b"A\n[PANIC] page fault at 0x401000\nB 1\n", 1.0)
    assert m.decided.verdict is Verdict.FAIL and m.decided.culprit is Culprit.CODE
    assert m.decided.summary() == "FAIL (code): page fault at 0x401000 after a"
    assert [h.name for h in m.hits] == ["a"]  # nothing after the decision counts


def test_fatal_before_any_milestone():
    m = BootMatcher(SPEC)
    m.feed("debugcon", b"[PANIC] early\n", 0.5)
    assert m.decided.reason == "early before a"


def test_after_gates_the_reset_signature():
    m = BootMatcher(SPEC)
    m.feed("serial", b'BdsDxe: loading Boot0002 "disk"\n', 0.5)
    assert m.decided is None
    m.feed("serial", b"A\n", 1.0)
    m.feed("serial", b'BdsDxe: loading Boot0002 "disk"\n', 5.0)
    assert m.decided.verdict is Verdict.FAIL
    assert m.decided.reason.startswith("reset: BdsDxe: loading Boot0002") and m.decided.reason.endswith("after a")


def test_after_allows_for_channel_skew():
    """Firmware output printed before the kernel's first line may be read just after it."""
    m = BootMatcher(SPEC)
    m.feed("debugcon", b"A\n", 1.0)
    m.feed("serial", b'BdsDxe: loading Boot0002 "disk"\n', 1.0 + CHANNEL_SKEW_S)
    assert m.decided is None
    m.feed("serial", b'BdsDxe: loading Boot0002 "disk"\n', 1.1 + CHANNEL_SKEW_S)
    assert m.decided.verdict is Verdict.FAIL


def test_fatal_and_milestones_in_one_block_are_processed_in_line_order():
    m = BootMatcher(SPEC)
    m.feed("serial", b"A\n[PANIC] boom\nB 3\n", 1.0)
    assert [h.name for h in m.hits] == ["a"]
    assert m.decided.reason == "boom after a"


def test_infrastructure_signature():
    m = BootMatcher(SPEC)
    m.feed("serial", b"A\n", 1.0)
    m.feed("qemu", b"qemu: disk on fire\n", 2.0)
    assert m.decided.verdict is Verdict.ERROR and m.decided.culprit is Culprit.HOST
    assert m.decided.reason == "disk: qemu: disk on fire"
    assert m.signature.kind == "infrastructure"


def test_signature_only_on_its_channel():
    m = BootMatcher(SPEC)
    m.feed("serial", b"disk on fire\n", 1.0)
    assert m.decided is None


def test_milestone_timeouts():
    m = BootMatcher(SPEC)
    m.poll(29.9)
    assert m.decided is None
    m.feed("serial", b"A\n", 20.0)
    m.poll(29.9)  # b's 10 s count from a at 20.0
    assert m.decided is None
    m.poll(30.5)
    assert m.decided.summary() == "FAIL (code): hung after a: no b within 10s"
    assert m.timeout.missing == "b" and m.timeout.after == "a"


def test_first_milestone_timeout():
    m = BootMatcher(SPEC)
    m.poll(31.0)
    assert m.decided.reason == "no a within 30s" and m.timeout.after is None


def test_decision_is_final_and_bytes_still_counted():
    m = BootMatcher(SPEC)
    m.feed("debugcon", b"[PANIC] x\n", 1.0)
    first = m.decided
    assert m.feed("debugcon", b"A\nB 1\nC\n", 2.0) == []
    m.poll(100.0)
    assert m.decided is first and m.hits == [] and m.timeout is None
    assert m.bytes_seen["debugcon"] == len(b"[PANIC] x\n") + len(b"A\nB 1\nC\n")


def test_close_flushes_the_unterminated_line():
    m = BootMatcher(SPEC)
    assert m.feed("serial", b"A", 1.0) == []
    assert [h.name for h in m.close(2.0)] == ["a"]


def test_unknown_channel_is_rejected():
    with pytest.raises(ValueError, match="unknown channel 'com2'"):
        BootMatcher(SPEC).feed("com2", b"x", 0.0)


def test_regex_spanning_lines_in_a_block_does_not_match():
    spec = MilestoneSpec("t", (ms("x", r"foo\s+bar"),))
    m = BootMatcher(spec)
    m.feed("serial", b"foo\nbar\nfoo  bar\n", 1.0)
    assert m.hits[0].line == "foo  bar"


def test_spec_signature_overrides_builtin_of_same_name():
    quiet = InfraSignature("kvm-internal-error", frozenset({"qemu"}), re.compile("never", re.M), Culprit.HOST)
    spec = MilestoneSpec("t", (ms("a", "^A$"),), (), (quiet,))
    m = BootMatcher(spec)
    m.feed("qemu", b"KVM internal error. Suberror: 1\n", 1.0)
    assert m.decided is None


def test_a_changed_line_is_not_a_hang_it_quotes_the_line_and_where_the_kernel_went():
    # rule: a timeout after the kernel went on printing on the last milestone's channel names the
    # line that came instead (the most like the regex) and the last line, never "hung"
    spec = MilestoneSpec("t", (ms("a", r"^A$"), ms("hello", r"^Hello from userspace!$", timeout=1.5)), (), ())
    m = BootMatcher(spec)
    m.feed("debugcon", b"A\n[init] started\nHallo from userspace!\n", 1.0)
    m.feed("serial", b"BdsDxe: noise on another channel\n", 1.1)  # not ordered with A: no evidence
    m.feed("debugcon", b"[sh] ready: 90 ms from kernel entry\n", 1.2)
    m.poll(2.6)
    assert m.decided.summary() == ("FAIL (code): expected `^Hello from userspace!$` after a; the kernel printed "
                                   "`Hallo from userspace!` there and went on to `[sh] ready: 90 ms from kernel entry`")


def test_a_skipped_milestone_also_names_the_changed_line_that_came_instead():
    m = BootMatcher(SPEC)
    m.feed("serial", b"A\nB: one\n", 1.0)
    m.feed("debugcon", b"C\n", 1.0)
    m.poll(1.0 + SKIP_GRACE_S + 0.1)
    assert m.decided.reason == ("no b after a: c came at 1.00s without it; the kernel printed `B: one` where "
                                "`^B (?P<n>\\d+)` was expected")


def test_quiet_consoles_after_the_milestone_are_still_a_hang():
    m = BootMatcher(SPEC)
    m.feed("serial", b"A\n", 1.0)
    m.feed("debugcon", b"unrelated\n", 1.1)  # another channel: not ordered with A's line
    m.poll(11.1)
    assert m.decided.reason == "hung after a: no b within 10s"


SELF_TEST = MilestoneSpec("t", (ms("a", r"^A$"), ms("self-test", r"^\[init\] rc: self-test passed")), (), ())


def test_unlike_lines_then_quiet_consoles_are_a_hang_naming_the_last_line():
    # the no-preempt self-test: lines after user-exit, none like the milestone, then silence
    m = BootMatcher(SELF_TEST)
    m.feed("serial", b"A\n[rc] initrd listing:\n[burn B] 3/3\n", 1.0)
    m.poll(11.1)
    assert m.decided.reason == "hung after a: no self-test within 10s; the last line `[burn B] 3/3` came at 1.00s"


def test_unlike_lines_still_coming_at_the_timeout_are_not_a_hang():
    m = BootMatcher(SELF_TEST)
    m.feed("serial", b"A\n[rc] initrd listing:\n", 1.0)
    m.feed("serial", b"[burn B] 999/1000\n", 10.5)
    m.poll(11.1)
    assert m.decided.reason == ("expected `^\\[init\\] rc: self-test passed` after a; the kernel printed "
                                "`[rc] initrd listing:` there and went on to `[burn B] 999/1000`")



def test_a_console_gap_ends_the_line_it_cut():
    """A board's console dropped mid-line: the kernel-stack line lost its end, and after the
    reconnect the timer's line came whole; joined, they read as kernel-stack alone."""
    spec = MilestoneSpec("t", (ms("kernel-stack", r"\[rustux\] kernel stack: .* unmapped"),
                               ms("timer", r"\[rustux\] interrupts: lapic timer (?P<hz>\d+) Hz")), (), ())
    joined = BootMatcher(spec)
    joined.feed("serial", b"[rustux] kernel stack: 64 KiB at 0xe0ed000, guard page 0xe0ec000 unmapped, r", 1.0)
    assert [h.name for h in joined.feed("serial", b"[rustux] interrupts: lapic timer 100 Hz\r\n", 2.0)] == ["kernel-stack"]
    m = BootMatcher(spec)
    m.feed("serial", b"[rustux] kernel stack: 64 KiB at 0xe0ed000, guard page 0xe0ec000 unmapped, r", 1.0)
    hits = m.end_line("serial", 2.0)
    hits += m.feed("serial", b"[rustux] interrupts: lapic timer 100 Hz\r\n", 2.0)
    assert [h.name for h in hits] == ["kernel-stack", "timer"]
    assert m.end_line("serial", 3.0) == [], "no cut line: nothing to end"
    assert m.bytes_seen["serial"] == joined.bytes_seen["serial"], "the line end is the runner's, not the machine's"
