"""Secure Boot's verdict: a refusal by the firmware, judged by who signed the image.

The facts: whether the lane enforces Secure Boot (the target's `secure_boot:`), who signed
the image's BOOTX64.EFI (the lab's db key, another key, nobody; None: the lab could not read
it), and the firmware's own words when it refused an image (OVMF's BdsDxe line ending in
"Security Violation" or "Access Denied"). Applied to the judge's outcome (lab/judge.py);
first match wins (each row has a test in tests/unit/test_secureboot.py):

 #  condition                                              verdict
 1  the lane does not enforce Secure Boot                  the judge's outcome
 2  the judge's outcome is PASS                            the judge's outcome
 3  the firmware refused no image                          the judge's outcome
 4  refused, and the lab signed the image                  ERROR/lab  "... the lab signed it: its keys or template are wrong"
 5  refused, signed with a key the lab's db does not hold  FAIL/code  "Secure Boot refused ...: signed with another key"
 6  refused, not signed                                    FAIL/code  "Secure Boot refused ...: not signed"
 7  refused, the signature could not be read               FAIL/code  "Secure Boot refused ..."
Every reason quotes the firmware's line: it said why, so no reason asks whether the file is there.
"""
from __future__ import annotations

from dataclasses import dataclass

from rustux_bootlab.lab.bootoptions import SECURE_BOOT_REFUSALS, Attempt
from rustux_bootlab.lab.verdict import Culprit, Outcome, Verdict

SIGNERS = ("lab", "other", "unsigned")


@dataclass(frozen=True)
class SecureBootFacts:
    enforcing: bool
    signer: str | None  # one of SIGNERS; None: unknown
    refusal: str | None = None  # the firmware's words, from `refusal()`


def refusal(attempt: Attempt | None) -> str | None:
    """`Boot0001 "UEFI QEMU HARDDISK QM00001": Access Denied` when the firmware's last word on the
    image's boot option (the matcher's `boot_options.last`) was a Secure Boot refusal."""
    if attempt is None or attempt.status not in SECURE_BOOT_REFUSALS:
        return None
    return attempt.said


def secure_boot_outcome(outcome: Outcome, facts: SecureBootFacts) -> Outcome:
    """Apply the rule table above to the judge's outcome."""
    if not facts.enforcing or outcome.verdict is Verdict.PASS or facts.refusal is None:
        return outcome
    said = f"the firmware said {facts.refusal}"
    last = outcome.last_milestone
    if facts.signer == "lab":
        return Outcome(Verdict.ERROR, Culprit.LAB, f"Secure Boot refused BOOTX64.EFI though the lab signed it ({said}): "
                       "the lab's keys or VARS template are wrong; remake them with python -m rustux_bootlab.workers.secureboot_keys", last)
    why = {"other": ": it is signed with a key the lab's db does not hold; sign it with the lab's db key",
           "unsigned": ": it is not signed; sign it with the lab's db key (scripts/build-kernel.sh does)"}.get(facts.signer or "", "")
    return Outcome(Verdict.FAIL, Culprit.CODE, f"Secure Boot refused BOOTX64.EFI ({said}){why}", last)
