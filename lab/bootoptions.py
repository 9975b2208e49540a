"""What the firmware's boot manager said about each boot option, and what its status means.

EDK2's BdsDxe prints `loading`, `starting`, `failed to load ...: <status>` (LoadImage refused
the image: it never ran) and `failed to start ...: <status>` (the image ran and returned an
error) for every option it tries. When it then falls back to its shell (or finds nothing),
the built-in signatures of lab/signatures.py decide ERROR/firmware with the ESP question;
that question is right only when the image never ran. The judge (lab/judge.py row 3c) asks
`outcome` first, with the last option the firmware tried that was not its own shell.

Rules, first match wins (one test each in tests/unit/test_bootoptions.py):

 #  the firmware said about the image's option      verdict
 1  failed to start ...: <any status>               FAIL/code  "the image ran and returned <status> to the
    (it ran: its own lines came in between)                    firmware: last lines: ..."
 2  failed to load ...: Security Violation or     ERROR/firmware "the firmware refused to load the image
    Access Denied (Secure Boot refused it)                    (<status>): its Secure Boot policy; ..."
    (a lane that enforces Secure Boot on purpose judges its refusals by who signed the image:
    lab/secureboot.py's table, applied after this one, owns that decision)
 3  failed to load ...: Load Error                   FAIL/code  "... not a valid UEFI image (Load Error) ..."
 4  failed to load ...: Unsupported                  FAIL/code  "... another architecture or subsystem ..."
 5  failed to load ...: Out of Resources             ERROR/lab  "... no memory for the image: the target's memory ..."
 6  failed to load ...: Device Error                 ERROR/lab  "... could not read the image from the disk ..."
 7  failed to load ...: Not Found, or anything else  (none: the signature's own ERROR/firmware with the ESP question)
The firmware's own words are quoted in every reason.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from rustux_bootlab.lab.since import quote
from rustux_bootlab.lab.verdict import Culprit, Outcome, Verdict

SHELL = "EFI Internal Shell"
LAST_LINES = 3
BOOT_LINE = re.compile(r'BdsDxe: (?P<event>loading|starting|failed to load|failed to start) (?P<option>Boot\S+) '
                       r'"(?P<device>[^"]*?)\s*" from [^\n]*?(?:: (?P<status>[A-Z][A-Za-z ]+?))?\s*$', re.MULTILINE)
SECURE_BOOT_REFUSALS = frozenset({"Security Violation", "Access Denied"})


@dataclass(frozen=True)
class Attempt:
    """The firmware's last word on one boot option."""

    option: str
    device: str
    event: str  # loading, starting, failed to load, failed to start
    status: str | None
    last_lines: tuple[str, ...] = ()  # for `failed to start`: what the image printed before it returned

    @property
    def said(self) -> str:
        return f'{self.option} "{self.device}": {self.status}'


class BootOptions:
    """Fed every `BdsDxe: ...` line of the firmware's consoles, in order."""

    def __init__(self) -> None:
        self.last: Attempt | None = None  # the last option tried that is not the firmware's shell

    def line(self, line: str, before: str) -> None:
        """`line` matched BOOT_LINE; `before`: the text that came before it on its channel."""
        m = BOOT_LINE.search(line)
        if m is None or m["device"] == SHELL:
            return
        last: tuple[str, ...] = ()
        if m["event"] == "failed to start":
            own = [x.strip() for x in before.split("\n") if x.strip() and "BdsDxe: " not in x]
            last = tuple(quote(x) for x in own[-LAST_LINES:])
        self.last = Attempt(m["option"], m["device"], m["event"], m["status"], last)


def outcome(attempt: Attempt | None, last: str | None) -> Outcome | None:
    """The rule table above for the option the firmware gave up on; None: row 7."""
    if attempt is None or attempt.status is None:
        return None
    status, said = attempt.status, f"firmware said {attempt.said}"
    if attempt.event == "failed to start":
        lines = " | ".join(attempt.last_lines) or "nothing"
        return Outcome(Verdict.FAIL, Culprit.CODE,
                       f"the image ran and returned {status} to the firmware: last lines: {lines} ({said})", last)
    if attempt.event != "failed to load":
        return None
    if status in SECURE_BOOT_REFUSALS:
        return Outcome(Verdict.ERROR, Culprit.FIRMWARE, f"the firmware refused to load the image ({status}): its Secure "
                       f"Boot policy; check the image's signature and the keys enrolled ({said})", last)
    row = _LOAD_ROWS.get(status)
    if row is None:
        return None
    verdict, culprit, why = row
    return Outcome(verdict, culprit, f"{why} ({said})", last)


_LOAD_ROWS: dict[str, tuple[Verdict, Culprit, str]] = {
    "Load Error": (Verdict.FAIL, Culprit.CODE,
                   "the firmware could not load the image: not a valid UEFI image (Load Error); check the build's output"),
    "Unsupported": (Verdict.FAIL, Culprit.CODE, ("the firmware cannot run this image (Unsupported): built for another "
                                                 "architecture or as a driver rather than an application?")),
    "Out of Resources": (Verdict.ERROR, Culprit.LAB, ("the firmware had no memory for the image (Out of Resources): "
                                                      "the target's memory in the inventory, or an image too large for it")),
    "Device Error": (Verdict.ERROR, Culprit.LAB, ("the firmware could not read the image from the disk (Device Error): "
                                                  "check the disk image the lab wrote")),
}
