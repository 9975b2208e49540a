"""Outcomes decided around a boot rather than read from its consoles (those are lab/judge.py's):
before the boot (MISS), when a part of the lab fails (ERROR with that part's culprit), and
when a signal stops it. The workers report facts; the verdict is made here.

 #  condition                                                   verdict
 1  the inventory takes the target or board out of service      MISS/lab   "<kind> <name> is disabled in the inventory"
 2  the target or board is quarantined                          MISS/lab   "<kind> <name> is quarantined by ...: release it"
 3  the board is held by another session                        MISS/lab   "<who holds it>: try again when it is free"
 4  a signal stopped the boot                                   ERROR/lab  "interrupted by <SIG> after <N>s"
 5  the runner itself crashed                                   ERROR/lab  "bootlab crashed (...): a lab bug"
 6  the image is not bootable (no EFI/BOOT/BOOTX64.EFI, not PE/COFF, bad FAT):
    a. its files differ from what the build made (the          ERROR/lab  "image not bootable: ...; <file> is not
       `<image>.sha256sums` the kernel step packed with it)               what the build made: damaged on the way"
    b. otherwise: the build's artifact itself is broken         FAIL/code  "image not bootable: ...: the build's
                                                                           artifact is broken"
 7  a part of the lab failed (BMC, console, deploy, sockets)    ERROR/<the part's culprit>
 8  a deploy signature on a line the firmware has not ended yet ERROR/<its culprit>  "<hint> (<name>: <line>)"
 9  a person at the console ended the boot before its verdict   ERROR/lab  "<how> after <N>s, before a verdict"
A malformed image was never booted (row 6), but it is the build's output: broken as the build
made it, it is the code's (FAIL, never retried); damaged on its way to the boot, the lab's.
Buildbot and `bootlab boot --image PATH` get the same verdict for the same bytes: bootlab
cannot tell a path a person typed from the artifact a build step handed it (a path that does
not exist is a usage error, exit 2, before any boot).
"""
from __future__ import annotations

from rustux_bootlab.lab.spec import InfraSignature
from rustux_bootlab.lab.verdict import Culprit, Outcome, Verdict

# A record's outcome until the boot's own is known; never left in a written record.
NOT_DECIDED = Outcome(Verdict.ERROR, Culprit.LAB, "boot not run", None)


def out_of_service(kind: str, name: str) -> Outcome:
    return Outcome(Verdict.MISS, Culprit.LAB, f"{kind} {name} is disabled in the inventory", None)


def quarantined(kind: str, name: str, described: str) -> Outcome:
    """`described` is the health record's one line (`quarantined by alice since ...: why`)."""
    return Outcome(Verdict.MISS, Culprit.LAB, f"{kind} {name} is {described} (bootlab release {name})", None)


def held_elsewhere(held: str) -> Outcome:
    return Outcome(Verdict.MISS, Culprit.LAB, f"{held}: try again when it is free", None)


def interrupted(signame: str, elapsed_s: float, last: str | None) -> Outcome:
    return Outcome(Verdict.ERROR, Culprit.LAB, f"interrupted by {signame} after {elapsed_s:.1f}s", last)


def runner_crashed(exc: BaseException) -> Outcome:
    reason = f"bootlab crashed ({type(exc).__name__}: {exc}): a lab bug, traceback on stderr"
    return Outcome(Verdict.ERROR, Culprit.LAB, reason, None)


NOT_BOOTABLE = "image not bootable: "


def image_not_bootable(problem: str, damaged: str | None = None) -> Outcome:
    """`damaged`: what differs from what the build made (row 6a), None if nothing does."""
    if damaged is not None:
        return Outcome(Verdict.ERROR, Culprit.LAB, f"{NOT_BOOTABLE}{problem}; {damaged}: damaged on the way to the "
                       "boot (check the artifact's transfer and unpacking)", None)
    return Outcome(Verdict.FAIL, Culprit.CODE, f"{NOT_BOOTABLE}{problem}: the build's artifact is broken", None)


def never_booted(outcome: Outcome) -> bool:
    """Row 6: the image never ran, so a baseline boot (lab.triage) cannot tell anything."""
    return outcome.reason.startswith(NOT_BOOTABLE)


def part_failed(culprit: Culprit, message: str, last: str | None = None) -> Outcome:
    """A part of the lab failed; `message` names it and what to do."""
    if culprit is Culprit.CODE:
        raise ValueError("a part of the lab failing is never the code's fault")
    return Outcome(Verdict.ERROR, culprit, message, last)


def open_line_signature(sig: InfraSignature, line: str, last: str | None) -> Outcome:
    return Outcome(Verdict.ERROR, sig.culprit, f"{sig.hint} ({sig.name}: {line})", last)


def ended_before_verdict(how: str, elapsed_s: float, last: str | None) -> Outcome:
    """`bootlab console --target`: the person detached before the boot said anything: like a
    signal (row 4), nothing is known about the kernel."""
    return Outcome(Verdict.ERROR, Culprit.LAB, f"{how} after {elapsed_s:.1f}s, before a verdict", last)
