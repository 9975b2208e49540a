"""The verdict of one boot: the matcher's view combined with facts only the runner knows.

Rules, first match wins (each row has a test in tests/unit/test_judge.py):

 #  condition                                                 verdict
 1  QEMU failed to start                                      ERROR/host
 2  firmware inspection found a problem (before the boot)     ERROR/firmware
 3  an infrastructure signature matched                       ERROR/<its culprit>
 3c ... the firmware gave up on the image (its shell, nothing   lab.bootoptions' table: the image ran and
    to boot) after it said why                                  returned an error is FAIL/code; per status
 3b a step's input could not be delivered (SOL down, QMP),    ERROR/board or lab "could not send ..."
    or its answer was due while the console was down
 4  a fatal signature matched                                 FAIL/code  "<reason> after <last>"
 4a  ... one with `file:` (the kernel says a file of its image
     was missing at boot), the artifact handed over had it      ERROR/lab  "... the deploy lost it"
     ... the artifact did not have it either                    FAIL/code  "... the build did not make it"
 4b a step failed: a failure regex, a wrong exit status, the  FAIL/code  "no answer to <step> within Ns
    prompt back without the answer, no answer in its timeout             after sending <text>: last lines: ..."
 5  all milestones reached and every step done                PASS
 6  no byte on any guest channel (debugcon, serial, firmware):
    a. QEMU exited with an error status, or wrote to stderr   ERROR/host "QEMU produced nothing"
       before the decision (not "terminating on signal 15" while being stopped)
    b. otherwise, on a QEMU target                            ERROR/firmware "firmware printed nothing"
    c. otherwise, on a board (its console is its only channel) ERROR/board "nothing on the console"
 7  QEMU debug-exit 0x11 (status 35) without a panic line     FAIL/code  "kernel reported failure ..."
 7a a screen milestone timed out while the last frame read    ERROR/lab  "no <next> within Ns, but the lab could not
    held text lines with cells no known font explains (not a      read N screen cells on lines ...: '<line>'
    picture; a fatal line read there is row 4's)                   (see screen-<next>.png)"
 8a no milestone at all when one timed out, the console down   ERROR/board  as 12a: "..., but the console dropped
    meanwhile (12a's case before the first milestone)                   output from As to Bs: ..."
 8  no milestone at all, though the firmware printed:
    (a missing boot file is caught by a signature, row 3)     FAIL/code  "no <first> ...: kernel printed nothing"
    (or, with bytes on debugcon, "... in N B of kernel output")
 9  QEMU debug-exit 0x10 (status 33) before the last milestone FAIL/code "... reported success but ..."
10  QEMU exited 0 (a reset under -no-reboot: triple fault)    FAIL/code  "machine reset/exited after <last>"
11  QEMU died otherwise (signal, status 1) mid-boot           ERROR/host
12a a milestone timeout (or a later milestone passed it)      ERROR/board "no <next> after <last>, but the console
    while the console was down after <last> (a board's SOL or           dropped output from As to Bs: the lab could not
    ser2net connection dropped and came back: lines were lost)          see whether it came"
12  a milestone timeout                                       FAIL/code  "hung after <last>: no <next> within Ns"
    ... a later milestone passed it (lab.matcher's grace)                "no <next> after <last>: <later> came at Ts without it"
    ... the console of <last> printed a line like <next>'s, or      "expected `<regex>` after <last>; the kernel printed
        was still printing (not a hang: lab.since)                    `<line>` there and went on to `<latest line>`"
    ... it printed other lines, then went quiet                          "hung after ...; the last line `<line>` came at Ts"
13  the global timeout                                        FAIL/code  "hung after <last>: no <next> within the boot timeout"
14  anything else (streams ended, QEMU still running)         ERROR/lab  "boot ended without a verdict"
"""
from __future__ import annotations

from dataclasses import dataclass

from rustux_bootlab.lab.bootoptions import outcome as boot_option_outcome
from rustux_bootlab.lab.matcher import BootMatcher
from rustux_bootlab.lab.screen.unreadable import Unreadable
from rustux_bootlab.lab.spec import SCREEN
from rustux_bootlab.lab.verdict import Culprit, Outcome, Verdict

DEBUG_EXIT_SUCCESS = 33  # the kernel wrote 0x10 to isa-debug-exit: (0x10 << 1) | 1
DEBUG_EXIT_FAILURE = 35  # 0x11
GUEST_CHANNELS = ("debugcon", "serial", "firmware")
FIRMWARE_GAVE_UP = frozenset({"firmware-shell-fallback", "no-bootable-device"})  # lab.signatures' built-ins


@dataclass
class BootFacts:
    """What the runner observed besides the console bytes."""

    exit_status: int | None = None  # QEMU's exit status; None if the runner stopped it or it still ran
    global_timeout: bool = False  # the runner's boot timeout expired
    qemu_failed_to_start: str | None = None  # why, if QEMU never ran the guest
    firmware_problem: str | None = None  # first problem from `inspect_firmware`, if the boot was refused
    boot_timeout_s: float | None = None  # for the message of row 13
    duration_s: float | None = None  # how long the boot ran, for messages without a timeout
    board: str | None = None  # a board's boot: the board's name (there is no QEMU)
    console: str | None = None  # ... and where its console was read (SOL address, serial device)
    # Files of the image the boot was handed (ESP-relative, `EFI/BOOT/BOOTX64.EFI`); None: unknown.
    image_files: frozenset[str] | None = None
    # The screen's unreadable cells when a screen milestone was awaited (workers/qemu/screen.py).
    screen_unreadable: Unreadable | None = None
    # A board's console gaps after power-on, on the milestones' clock: (start, end) in seconds.
    console_gaps: tuple[tuple[float, float], ...] = ()


def judge(matcher: BootMatcher, facts: BootFacts) -> Outcome:
    """Apply the rule table above."""
    m, f = matcher, facts
    last = m.last_milestone
    after = f"after {last}" if last else "before the first milestone"

    def out(verdict: Verdict, culprit: Culprit | None, reason: str) -> Outcome:
        return Outcome(verdict, culprit, reason, last)

    if f.qemu_failed_to_start:
        return out(Verdict.ERROR, Culprit.HOST, f"QEMU failed to start: {f.qemu_failed_to_start}")
    if f.firmware_problem:
        return out(Verdict.ERROR, Culprit.FIRMWARE, f.firmware_problem)
    talk = m.conversation
    if talk is not None and talk.failure is not None and talk.failure.verdict is Verdict.ERROR:
        return talk.failure
    if m.signature is not None and m.decided is not None:
        return _missing_file(m, f) or _firmware_gave_up(m, f) or m.decided
    if talk is not None and talk.failure is not None:
        return talk.failure
    if m.complete:
        return m.decided or out(Verdict.PASS, None, f"all {len(m.hits)} milestones reached")
    seen = m.bytes_at_decision or m.bytes_seen
    if not any(seen[c] for c in GUEST_CHANNELS):
        if _qemu_error(f.exit_status) or seen["qemu"]:
            status = "" if f.exit_status is None else f" (exit status {f.exit_status})"
            return out(Verdict.ERROR, Culprit.HOST, f"QEMU produced nothing on any channel{status}: see qemu.log")
        if f.board is not None:
            took = f" in {f.duration_s:.1f}s" if f.duration_s is not None else ""
            return out(Verdict.ERROR, Culprit.BOARD, f"board {f.board}: nothing on the console ({f.console}){took} after "
                       "power-on: check the console path and that the board powers up")
        return out(
            Verdict.ERROR,
            Culprit.FIRMWARE,
            "no output on any channel, not even the firmware's: the firmware did not run; check the firmware image",
        )
    if f.exit_status == DEBUG_EXIT_FAILURE:
        return out(Verdict.FAIL, Culprit.CODE, f"kernel reported failure (debug-exit 0x11) without a panic line, {after}")
    if m.timeout is not None and f.screen_unreadable is not None and _on_screen(m, m.timeout.missing):
        why = m.decided.reason if m.decided else f"no {m.timeout.missing}"
        return out(Verdict.ERROR, Culprit.LAB, f"{why}, but the lab could not read {f.screen_unreadable.describe()}: "
                   "the screen may show it in a font the lab does not know (bootlab screen learn-font)")
    if not m.hits and (blind := _blind_timeout(m, f, after)) is not None:
        return blind
    if not m.hits:
        first = m.spec.milestones[0].name
        if seen["debugcon"]:  # only the kernel writes to port 0xE9
            return out(
                Verdict.FAIL,
                Culprit.CODE,
                f"no {first} milestone in {seen['debugcon']} B of kernel output on debugcon{_ended(m, f)}: "
                f"compare debugcon.log with the spec's {first} regex",
            )
        return out(
            Verdict.FAIL,
            Culprit.CODE,
            f"no {first} milestone: the firmware ran ({_firmware_bytes(seen)}) but the kernel printed nothing{_ended(m, f)}",
        )
    awaited = m.awaited  # not complete, so a milestone or a step is missing
    if f.exit_status == DEBUG_EXIT_SUCCESS:
        return out(Verdict.FAIL, Culprit.CODE, f"kernel reported success (debug-exit 0x10) {after} but never printed {awaited}")
    if f.exit_status == 0:
        return out(Verdict.FAIL, Culprit.CODE, f"machine reset/exited {after} (triple fault?): no {awaited}")
    if f.exit_status is not None:
        return out(Verdict.ERROR, Culprit.HOST, f"QEMU died with status {f.exit_status} {after}: see qemu.log")
    if (blind := _blind_timeout(m, f, after)) is not None:
        return blind
    if m.timeout is not None:
        return m.decided or out(Verdict.FAIL, Culprit.CODE, f"hung {after}: no {awaited}")
    if f.global_timeout:
        limit = f" of {f.boot_timeout_s:g}s" if f.boot_timeout_s else ""
        return out(Verdict.FAIL, Culprit.CODE, f"hung {after}: no {awaited} within the boot timeout{limit}")
    return out(Verdict.ERROR, Culprit.LAB, f"boot ended without a verdict {after}: streams closed while QEMU still ran")


def _missing_file(m: BootMatcher, f: BootFacts) -> Outcome | None:
    """Row 4a: the kernel could not find a file of its image; the artifact says who lost it."""
    hit, decided = m.signature, m.decided
    signature = next((s for s in m.spec.fatal if hit is not None and hit.kind == "fatal" and s.name == hit.name), None)
    if signature is None or signature.file is None or f.image_files is None or decided is None:
        return None
    wanted = signature.file.upper()
    if any(name.strip("/").upper() == wanted for name in f.image_files):  # FAT: case-insensitive
        return Outcome(Verdict.ERROR, Culprit.LAB,
                       f"{decided.reason}, but the image the lab was handed has {signature.file}: "
                       "the deploy lost it (check the image written to the target)", decided.last_milestone)
    return Outcome(Verdict.FAIL, Culprit.CODE,
                   f"{decided.reason}; {signature.file} is missing from the artifact too: the build did not make it",
                   decided.last_milestone)


def _firmware_gave_up(m: BootMatcher, f: BootFacts) -> Outcome | None:
    """Row 3c: the firmware fell back to its shell or found nothing after saying why."""
    hit = m.signature
    if hit is None or hit.kind != "infrastructure" or hit.name not in FIRMWARE_GAVE_UP:
        return None
    return boot_option_outcome(m.boot_options.last, m.last_milestone)


def _blind_timeout(m: BootMatcher, f: BootFacts, after: str) -> Outcome | None:
    """Rows 8a and 12a: a milestone timed out while the console dropped output: the board's."""
    if m.timeout is None or (gap := _gap_since_last(m, f)) is None:
        return None
    why = m.decided.reason if m.decided else f"no {m.timeout.missing} {after}"
    return Outcome(Verdict.ERROR, Culprit.BOARD, f"{why}, but the console dropped output from {gap[0]:.2f}s to "
                   f"{gap[1]:.2f}s ({f.console}): the lab could not see whether {m.timeout.missing} came",
                   m.last_milestone)


def _gap_since_last(m: BootMatcher, f: BootFacts) -> tuple[float, float] | None:
    """Row 12a: a console gap that ended after the last milestone came (the awaited one may be in it)."""
    since = m.hits[-1].t if m.hits else 0.0
    return next((gap for gap in f.console_gaps if gap[1] > since), None)


def _on_screen(m: BootMatcher, milestone: str) -> bool:
    return any(x.name == milestone and SCREEN in x.channels for x in m.spec.milestones)


def _qemu_error(status: int | None) -> bool:
    return status is not None and status not in (0, DEBUG_EXIT_SUCCESS, DEBUG_EXIT_FAILURE)


def _firmware_bytes(seen: dict[str, int]) -> str:
    return ", ".join(f"{c} {seen[c]} B" for c in GUEST_CHANNELS if seen[c])


def _ended(m: BootMatcher, f: BootFacts) -> str:
    if m.timeout is not None:
        return f" within {m.timeout.timeout:g}s"
    if f.exit_status == 0:
        return "; the machine reset/exited"
    if f.global_timeout and f.boot_timeout_s:
        return f" within the boot timeout of {f.boot_timeout_s:g}s"
    if f.duration_s is not None:
        return f" in {f.duration_s:.1f}s"
    return ""
