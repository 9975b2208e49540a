"""The matcher on real QEMU + OVMF captures: whole, in small chunks, split at every byte."""
import pytest

from rustux_bootlab.lab.milestones import BootMatcher
from rustux_bootlab.lab.verdict import Culprit, Verdict

from captures import capture, replay

ALL = ["entry", "memory-map", "exit-boot-services", "heap-ok", "user-entry", "user-hello", "done"]


@pytest.mark.parametrize("chunk", [None, 1, 7, 64, 4096])
def test_pass_capture(mini_spec, chunk):
    m = replay(mini_spec, "pass", chunk)
    assert [h.name for h in m.hits] == ALL
    assert m.decided.verdict is Verdict.PASS
    assert m.hits[1].groups == {"entries": "109", "conventional_pages": "61284"}
    assert m.hits[-1].channel == "debugcon"  # `done` is debugcon only
    assert m.hits[0].line == "rustux: entry (boot services)"


def test_panic_capture(mini_spec):
    m = replay(mini_spec, "panic")
    assert m.decided.verdict is Verdict.FAIL and m.decided.culprit is Culprit.CODE
    assert m.decided.reason == "page fault at 0x401000 (error 0x7) rip=0x401000 after heap-ok"
    assert m.decided.last_milestone == "heap-ok"


def test_silent_capture_is_undecided_until_timeout(mini_spec):
    m = replay(mini_spec, "silent")
    assert m.decided is None and m.hits == []
    assert m.bytes_seen["serial"] > 0 and m.bytes_seen["debugcon"] == 0
    m.poll(59.0)
    assert m.decided is None
    m.poll(61.0)
    assert m.decided.reason == "no entry within 60s"


def test_no_bootfile_capture_blames_firmware(mini_spec):
    m = replay(mini_spec, "no-bootfile")
    assert m.decided.verdict is Verdict.ERROR and m.decided.culprit is Culprit.FIRMWARE
    assert "fell back to the EFI shell" in m.decided.reason
    assert m.signature.name == "firmware-shell-fallback"


def test_the_firmwares_own_words_lead_the_fallback_reason(mini_spec):
    # OVMF says why it gave up on each boot option before it falls back to the shell.
    m = replay(mini_spec, "no-bootfile", chunk=7)
    # The last option it tried is the one that matters: the empty DVD-ROM fails on every q35 boot.
    assert m.decided.reason.startswith("firmware said Boot0002: UEFI QEMU HARDDISK QM00001: Not Found; "
                                       "the firmware found nothing to boot"), m.decided.reason
    assert "EFI/BOOT/BOOTX64.EFI on the ESP?" in m.decided.reason


def test_a_disk_the_firmware_could_not_load_is_named_with_its_status(mini_spec):
    # The real capture with the disk's status as OVMF prints an image too big for memory.
    data = capture("no-bootfile")
    data["serial"] = data["serial"].replace(b"Sata(0x0,0xFFFF,0x0): Not Found", b"Sata(0x0,0xFFFF,0x0): Out of Resources")
    m = BootMatcher(mini_spec)
    for t, (channel, blob) in enumerate(data.items()):
        m.feed(channel, blob, float(t))
    assert (m.decided.verdict, m.decided.culprit) == (Verdict.ERROR, Culprit.FIRMWARE)
    assert m.decided.reason.startswith("firmware said Boot0002: UEFI QEMU HARDDISK QM00001: Out of Resources; "), (
        m.decided.reason)


def test_a_boot_option_that_failed_before_a_good_boot_decides_nothing(mini_spec):
    m = replay(mini_spec, "pass", chunk=1)  # OVMF's DVD-ROM entry fails on every q35 boot
    assert m.decided.verdict is Verdict.PASS and m.signature is None


def test_kvm_capture_blames_host(mini_spec):
    m = replay(mini_spec, "kvm")
    assert m.decided.verdict is Verdict.ERROR and m.decided.culprit is Culprit.HOST
    assert "KVM internal error" in m.decided.reason


def test_good_boot_dvd_rom_not_found_is_not_an_error(mini_spec):
    serial = capture("pass")["serial"]
    assert b"failed to load Boot0001" in serial and b"Not Found" in serial
    m = BootMatcher(mini_spec)
    m.feed("serial", serial, 1.0)
    assert m.signature is None


@pytest.mark.parametrize("name, verdict", [("pass", Verdict.PASS), ("panic", Verdict.FAIL)])
def test_split_at_every_byte_boundary(mini_spec, name, verdict):
    serial = capture(name)["serial"]
    whole = BootMatcher(mini_spec)
    whole.feed("serial", serial, 1.0)
    for cut in range(len(serial) + 1):
        m = BootMatcher(mini_spec)
        m.feed("serial", serial[:cut], 1.0)
        m.feed("serial", serial[cut:], 1.0)
        m.close(1.0)
        assert [(h.name, h.line) for h in m.hits] == [(h.name, h.line) for h in whole.hits], cut
        if name == "panic":
            assert m.decided == whole.decided, cut


def test_three_way_splits_of_a_shortened_capture(mini_spec):
    debugcon = capture("pass")["debugcon"][:120]
    expected = [h.name for h in replay_one(mini_spec, debugcon).hits]
    assert expected == ["entry", "memory-map", "exit-boot-services"]
    for a in range(0, len(debugcon) + 1, 3):
        for b in range(a, len(debugcon) + 1, 5):
            m = BootMatcher(mini_spec)
            for piece in (debugcon[:a], debugcon[a:b], debugcon[b:]):
                m.feed("debugcon", piece, 1.0)
            assert [h.name for h in m.hits] == expected, (a, b)


def replay_one(spec, data):
    m = BootMatcher(spec)
    m.feed("debugcon", data, 1.0)
    return m
