"""lab/netboot.py: one test per row of its rule table, and the progress it reads."""
from rustux_bootlab.lab.netboot import NetbootProgress, netboot_outcome
from rustux_bootlab.lab.verdict import Culprit, Outcome, Verdict

NOTHING = Outcome(Verdict.FAIL, Culprit.CODE, "no banner milestone: the firmware ran (serial 82 B) but the kernel "
                  "printed nothing within 75s", None)


def progress(*texts: str) -> str | None:
    p = NetbootProgress()
    for text in texts:
        p.feed(text)
    return p.stage


def test_progress_follows_ovmf_and_never_goes_back():
    assert progress("BdsDxe: loading Boot0001") is None
    assert progress(">>Start PXE over IPv4.\n") == "started"
    assert progress(">>Start PXE over IPv4.\n", "  Station IP address is 10.0.2.15\n") == "address"
    assert progress(">>Start PXE over IPv4.\n  Station IP address is 10.0.2.15\n Downloading NBP file...\n\n"
                    "  NBP file downloaded successfully.\n", ">>Start PXE over IPv4.\n") == "downloaded"


def test_row1_not_the_codes_fail_or_a_milestone_came():
    error = Outcome(Verdict.ERROR, Culprit.BOARD, "nothing on the console", None)
    assert netboot_outcome(error, "started") is error
    later = Outcome(Verdict.FAIL, Culprit.CODE, "hung after banner", "banner")
    assert netboot_outcome(later, "started") is later


def test_row2_no_network_boot_or_the_image_arrived():
    assert netboot_outcome(NOTHING, None) is NOTHING
    assert netboot_outcome(NOTHING, "downloaded") is NOTHING


def test_row3_an_address_but_no_image():
    out = netboot_outcome(NOTHING, "address")
    assert (out.verdict, out.culprit) == (Verdict.ERROR, Culprit.LAB)
    assert "sent no image" in out.reason and "pxe-server" in out.reason and "82 B" in out.reason


def test_row4_no_dhcp_answer():
    out = netboot_outcome(NOTHING, "started")
    assert (out.verdict, out.culprit) == (Verdict.ERROR, Culprit.LAB)
    assert "no DHCP answer" in out.reason
