"""U-Boot's UEFI refusing the boot file: decided at once, in U-Boot's own words (lab/signatures.py)."""
from rustux_bootlab.lab.judge import BootFacts, judge
from rustux_bootlab.lab.milestones import BootMatcher
from rustux_bootlab.lab.verdict import Culprit, Verdict

# u-boot-qemu 2023.01's COM1 for an ESP whose BOOTX64.EFI is an arm64 image (measured).
REFUSED = (b"Scanning scsi 0:1...\r\nFailed to load EFI variables\r\nBootOrder not defined\r\n"
           b"EFI boot manager: Cannot load any image\r\nFound EFI removable media binary efi/boot/bootx64.efi\r\n"
           b"113152 bytes read in 31 ms (3.5 MiB/s)\r\nBooting /efi\\boot\\bootx64.efi\r\n"
           b"Machine type 0xaa64 is not supported\r\nLoading image failed\r\nEFI LOAD FAILED: continuing...\r\n")


def test_u_boot_refusing_the_image_quotes_it(rustux_spec):
    m = BootMatcher(rustux_spec)
    m.feed("serial", REFUSED, 3.0)
    o = judge(m, BootFacts())
    assert (o.verdict, o.culprit) == (Verdict.ERROR, Culprit.FIRMWARE)
    assert o.reason.startswith("firmware said Machine type 0xaa64 is not supported; U-Boot's UEFI could not load")


def test_u_boot_booting_the_kernel_is_not_a_refusal(rustux_spec):
    m = BootMatcher(rustux_spec)
    m.feed("serial", REFUSED.split(b"Machine type")[0], 3.0)
    assert m.signature is None
