"""lab/secureboot.py: one test per row of its rule table."""
from rustux_bootlab.lab.bootoptions import BootOptions
from rustux_bootlab.lab.secureboot import SecureBootFacts, refusal, secure_boot_outcome
from rustux_bootlab.lab.verdict import Culprit, Outcome, Verdict

LINE = ('BdsDxe: failed to load Boot0001 "UEFI QEMU HARDDISK QM00001 " from '
        "PciRoot(0x0)/Pci(0x1F,0x2)/Sata(0x0,0xFFFF,0x0): Access Denied")


def firmware_said(*lines: str) -> str | None:
    options = BootOptions()
    for line in lines:
        options.line(line, "")
    return refusal(options.last)


SAID = firmware_said(LINE)
SHELL = Outcome(Verdict.ERROR, Culprit.FIRMWARE, "the firmware found nothing to boot ...: is EFI/BOOT/BOOTX64.EFI on the ESP?", None)


def test_refusal_quotes_the_firmware():
    assert SAID == 'Boot0001 "UEFI QEMU HARDDISK QM00001": Access Denied'
    assert firmware_said(LINE.replace("Access Denied", "Not Found")) is None
    # The firmware's own shell, refused after the image: not the image's refusal, and not a later word on it.
    assert firmware_said(LINE, 'BdsDxe: failed to start Boot0002 "EFI Internal Shell" from Fv(7C)/FvFile(7C): '
                         "Security Violation") == SAID


def test_row1_not_enforcing():
    assert secure_boot_outcome(SHELL, SecureBootFacts(False, "unsigned", SAID)) is SHELL


def test_row2_pass():
    passed = Outcome(Verdict.PASS, None, "all milestones", "poweroff")
    assert secure_boot_outcome(passed, SecureBootFacts(True, "lab", SAID)) is passed


def test_row3_no_refusal():
    assert secure_boot_outcome(SHELL, SecureBootFacts(True, "unsigned", None)) is SHELL


def test_row4_lab_signed_is_the_labs_error():
    out = secure_boot_outcome(SHELL, SecureBootFacts(True, "lab", SAID))
    assert (out.verdict, out.culprit) == (Verdict.ERROR, Culprit.LAB)
    assert "Access Denied" in out.reason and "lab signed" in out.reason and "on the ESP" not in out.reason


def test_row5_other_key():
    out = secure_boot_outcome(SHELL, SecureBootFacts(True, "other", SAID))
    assert (out.verdict, out.culprit) == (Verdict.FAIL, Culprit.CODE)
    assert "Secure Boot" in out.reason and "signed with a key the lab's db does not hold" in out.reason


def test_row6_unsigned():
    out = secure_boot_outcome(SHELL, SecureBootFacts(True, "unsigned", SAID))
    assert (out.verdict, out.culprit) == (Verdict.FAIL, Culprit.CODE)
    assert "not signed" in out.reason and "Access Denied" in out.reason and "on the ESP" not in out.reason


def test_row7_unknown_signer():
    out = secure_boot_outcome(SHELL, SecureBootFacts(True, None, SAID))
    assert (out.verdict, out.culprit) == (Verdict.FAIL, Culprit.CODE)
    assert out.reason.startswith("Secure Boot refused BOOTX64.EFI (the firmware said Boot0001")
