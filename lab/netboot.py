"""A board's network boot that had not delivered the image when the boot was decided.

OVMF says how far a network boot got: `>>Start PXE over IPv4.` (or HTTP Boot) when it starts
the option, `Station IP address is ...` once DHCP answered, `NBP file downloaded
successfully.` once the boot server sent the image. A PXE board's boot decided with no
milestone while the firmware was still between the first and the last of these is not a
kernel that printed nothing: the image never reached the board (the chaos soak paused the
lab's dnsmasq for 25 s and the judge blamed the code). Applied to the judge's outcome for
boards deployed by PXE; first match wins (each row has a test in tests/unit/test_netboot.py):

 #  condition                                                     verdict
 1  the judge's outcome is not FAIL/code, or a milestone came     the judge's outcome
 2  the firmware started no network boot, or its image arrived    the judge's outcome
 3  DHCP answered, the image never arrived                        ERROR/lab "... the boot server sent no image"
 4  no DHCP answer                                                ERROR/lab "... no DHCP answer"
"""
from __future__ import annotations

import re

from rustux_bootlab.lab.verdict import Culprit, Outcome, Verdict

STAGES = (
    ("started", re.compile(r">>Start (?:PXE|HTTP Boot) over IPv[46]")),
    ("address", re.compile(r"Station IP address is")),
    ("downloaded", re.compile(r"NBP file downloaded successfully")),
)
CHECK = "check the lab's DHCP/TFTP (bootlab pxe-server) and its log"


class NetbootProgress:
    """How far the firmware's network boot got; fed the console's cleaned recent text."""

    def __init__(self) -> None:
        self._reached = -1  # index into STAGES: stages only advance

    @property
    def stage(self) -> str | None:
        return STAGES[self._reached][0] if self._reached >= 0 else None

    def feed(self, text: str) -> None:
        for i in range(len(STAGES) - 1, self._reached, -1):
            if STAGES[i][1].search(text):
                self._reached = i
                return


def netboot_outcome(outcome: Outcome, stage: str | None) -> Outcome:
    """Apply the rule table above; `stage`: NetbootProgress.stage at the decision."""
    if outcome.verdict is not Verdict.FAIL or outcome.culprit is not Culprit.CODE or outcome.last_milestone:
        return outcome
    if stage in (None, "downloaded"):
        return outcome
    if stage == "address":
        why = "DHCP answered but the boot server sent no image (no 'NBP file downloaded')"
    else:
        why = "no DHCP answer came (no 'Station IP address')"
    return Outcome(Verdict.ERROR, Culprit.LAB, f"the board's network boot had not delivered the image when the boot "
                   f"was decided: {why}; the kernel never ran, so this is not its fault: {CHECK} "
                   f"(the judge had said: {outcome.reason})", None)
