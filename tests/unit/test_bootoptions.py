"""One test per row of lab.bootoptions' rule table, through the matcher and the judge (row 3c),
on the boot manager's lines as OVMF prints them (the row-1 lines are those of a real boot of
tests/fixtures/mini-efi's `error` variant)."""
import pytest

from rustux_bootlab.lab.judge import BootFacts, judge
from rustux_bootlab.lab.milestones import BootMatcher
from rustux_bootlab.lab.verdict import Culprit, Verdict

DISK = 'Boot0001 "UEFI QEMU HARDDISK QM00001 " from PciRoot(0x0)/Pci(0x1F,0x2)/Sata(0x0,0xFFFF,0x0)'
SHELL = ('BdsDxe: loading Boot0002 "EFI Internal Shell" from Fv(7CB8BDC9-F8EB-4F34-AAEA-3EE4AF6516A1)/'
         'FvFile(7C04A583-9E3E-4F1C-AD65-E05268D0B4D1)\r\n')
SAID = 'firmware said Boot0001 "UEFI QEMU HARDDISK QM00001"'


def gave_up(mini_spec, lines: str, **facts) -> tuple:
    m = BootMatcher(mini_spec)
    m.feed("serial", (lines + SHELL).encode(), 1.0)
    o = judge(m, BootFacts(**facts))
    return o.verdict, o.culprit, o.reason


def loaded(status: str) -> str:
    return f"BdsDxe: loading {DISK}\r\nBdsDxe: failed to load {DISK}: {status}\r\n"


def test_row1_the_image_ran_and_returned_an_error_is_the_images(mini_spec):
    lines = (f"BdsDxe: loading {DISK}\r\nBdsDxe: starting {DISK}\r\n"
             "mini-efi: no root device, giving up\r\n"
             f"BdsDxe: failed to start {DISK}: Device Error\r\n")
    m = BootMatcher(mini_spec)
    cut = lines.index("BdsDxe: failed to start")  # the image's lines and the firmware's in separate reads
    m.feed("serial", lines[:cut].encode(), 1.0)
    m.feed("serial", lines[cut:].encode() + SHELL.encode(), 1.1)
    o = judge(m, BootFacts())
    assert (o.verdict, o.culprit) == (Verdict.FAIL, Culprit.CODE)
    assert o.reason == ("the image ran and returned Device Error to the firmware: last lines: "
                        f"mini-efi: no root device, giving up ({SAID}: Device Error)")


def test_row1_quotes_the_images_last_lines_when_each_came_in_a_read_of_its_own(mini_spec):
    lines = [f"BdsDxe: loading {DISK}", f"BdsDxe: starting {DISK}", "rustux: entry (boot services)",
             "mini-efi: no root device, giving up", f"BdsDxe: failed to start {DISK}: Device Error"]
    m = BootMatcher(mini_spec)
    for i, line in enumerate(lines):  # as QEMU's serial socket hands them over, a line per read
        m.feed("serial", f"{line}\r\n".encode(), 1.0 + i / 1000)
    m.feed("serial", SHELL.encode(), 1.1)
    assert judge(m, BootFacts()).reason.startswith(
        "the image ran and returned Device Error to the firmware: last lines: "
        "rustux: entry (boot services) | mini-efi: no root device, giving up (")


@pytest.mark.parametrize("status", ["Security Violation", "Access Denied"])
def test_row2_a_secure_boot_refusal_outside_a_secure_boot_lane_is_the_firmwares(mini_spec, status):
    verdict, culprit, reason = gave_up(mini_spec, loaded(status))
    assert (verdict, culprit) == (Verdict.ERROR, Culprit.FIRMWARE)
    assert reason.startswith(f"the firmware refused to load the image ({status}): its Secure Boot policy")


@pytest.mark.parametrize(("status", "culprit", "reason"), [
    pytest.param("Load Error", Culprit.CODE, "the firmware could not load the image: not a valid UEFI image (Load "
                 "Error)", id="row3-load-error-is-the-builds"),
    pytest.param("Unsupported", Culprit.CODE, "the firmware cannot run this image (Unsupported): built for another "
                 "architecture", id="row4-unsupported-is-the-builds"),
    pytest.param("Out of Resources", Culprit.LAB, "the firmware had no memory for the image (Out of Resources)",
                 id="row5-out-of-resources-is-not-the-codes"),
    pytest.param("Device Error", Culprit.LAB, "the firmware could not read the image from the disk (Device Error)",
                 id="row6-device-error-while-loading-is-the-disks"),
])
def test_rows3_to_6_a_refused_load_by_status(mini_spec, status, culprit, reason):
    verdict, got_culprit, got = gave_up(mini_spec, loaded(status))
    assert (verdict, got_culprit) == ((Verdict.FAIL if culprit is Culprit.CODE else Verdict.ERROR), culprit)
    assert got.startswith(reason) and got.endswith(f"({SAID}: {status})")


def test_row7_not_found_keeps_the_esp_question(mini_spec):
    verdict, culprit, reason = gave_up(mini_spec, loaded("Not Found"))
    assert (verdict, culprit) == (Verdict.ERROR, Culprit.FIRMWARE)
    assert "is EFI/BOOT/BOOTX64.EFI on the ESP?" in reason and "Not Found" in reason
