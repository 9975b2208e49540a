"""One test per row of lab.judge's rule table, mostly on real captures."""
from rustux_bootlab.lab.judge import BootFacts, judge
from rustux_bootlab.lab.milestones import BootMatcher, load_spec
from rustux_bootlab.lab.verdict import Culprit, Verdict

from captures import FIXTURES, capture_exit_status, replay

ENTRY_HEAP = b"rustux: entry (boot services)\nrustux: memory map: 1 entries, 2 conventional pages\nrustux: boot services exited\nrustux: heap ok\n"


def fed(spec, **channels):
    m = BootMatcher(spec)
    for channel, data in channels.items():
        m.feed(channel, data, 1.0)
    return m


def verdict(outcome):
    return outcome.verdict, outcome.culprit


def test_row1_qemu_failed_to_start(mini_spec):
    o = judge(BootMatcher(mini_spec), BootFacts(qemu_failed_to_start="could not load PC BIOS 'x'", exit_status=1))
    assert verdict(o) == (Verdict.ERROR, Culprit.HOST)
    assert o.reason == "QEMU failed to start: could not load PC BIOS 'x'"


def test_row2_firmware_problem(mini_spec):
    o = judge(BootMatcher(mini_spec), BootFacts(firmware_problem="OVMF_CODE_4M.fd is zero-filled: reinstall"))
    assert verdict(o) == (Verdict.ERROR, Culprit.FIRMWARE)
    assert o.summary() == "ERROR (firmware): OVMF_CODE_4M.fd is zero-filled: reinstall"


def test_row3_infrastructure_signature_no_bootfile(mini_spec):
    m = replay(mini_spec, "no-bootfile")
    o = judge(m, BootFacts())
    assert verdict(o) == (Verdict.ERROR, Culprit.FIRMWARE)
    assert "EFI/BOOT/BOOTX64.EFI" in o.reason


def test_row3_infrastructure_signature_kvm(mini_spec):
    o = judge(replay(mini_spec, "kvm"), BootFacts(global_timeout=True))
    assert verdict(o) == (Verdict.ERROR, Culprit.HOST)




def talking(*chunks, t=1.0):
    """A matcher with a one-step conversation, fed `chunks` on serial, typing when asked."""
    m = BootMatcher(load_spec(FIXTURES / "specs" / "one-step.yaml"))
    for chunk in chunks:
        m.feed("serial", chunk, t)
        for send in m.conversation.take_sends():
            m.conversation.sent(send, t)
    return m


def test_row3b_input_not_delivered_is_error():
    m = talking(b"ready\n")
    m.feed("serial", b"$ ", 1.0)
    send = m.conversation.take_sends()[0]
    m.conversation.undelivered(send, Culprit.BOARD, "SOL down", "ready")
    m.poll(1.5)
    o = judge(m, BootFacts())
    assert verdict(o) == (Verdict.ERROR, Culprit.BOARD)
    assert o.reason == "could not send 'echo hello<enter>' for step hello: SOL down"


def test_row4b_step_without_answer_fails():
    m = talking(b"ready\n$ ", b"echo hello\r\n")
    m.poll(3.5)
    o = judge(m, BootFacts(global_timeout=False))
    assert verdict(o) == (Verdict.FAIL, Culprit.CODE)
    assert o.reason == "no answer to hello within 2s after sending 'echo hello<enter>': last lines: $ echo hello"


def test_row10_reset_during_a_step_names_the_step():
    m = talking(b"ready\n$ ", b"echo hello\r\n")
    o = judge(m, BootFacts(exit_status=0))
    assert o.reason == "machine reset/exited after ready (triple fault?): no answer to step hello"


def test_row4_fatal_panic(mini_spec):
    m = replay(mini_spec, "panic")
    o = judge(m, BootFacts(exit_status=capture_exit_status("panic")))
    assert o.summary() == "FAIL (code): page fault at 0x401000 (error 0x7) rip=0x401000 after heap-ok"
    assert o.last_milestone == "heap-ok"


def test_row5_pass(mini_spec):
    o = judge(replay(mini_spec, "pass"), BootFacts(exit_status=capture_exit_status("pass")))
    assert o.verdict is Verdict.PASS and o.culprit is None and o.last_milestone == "done"


def test_row6a_silence_and_qemu_error_is_host(mini_spec):
    m = fed(mini_spec, qemu=b"qemu-system-x86_64: -drive file=x: Could not open 'x'\n")
    o = judge(m, BootFacts(exit_status=1))
    assert verdict(o) == (Verdict.ERROR, Culprit.HOST)
    assert o.reason.startswith("QEMU produced nothing on any channel (exit status 1)")


def test_row6b_silence_everywhere_is_firmware(mini_spec):
    m = BootMatcher(mini_spec)
    m.poll(61.0)  # the first milestone's timeout fires ...
    o = judge(m, BootFacts())
    assert verdict(o) == (Verdict.ERROR, Culprit.FIRMWARE)  # ... but silence is never the kernel's fault
    assert "not even the firmware's" in o.reason


def test_row6b_qemu_noise_while_being_stopped_is_not_evidence(mini_spec):
    m = BootMatcher(mini_spec)
    m.poll(61.0)
    m.feed("qemu", b"qemu-system-x86_64: terminating on signal 15 from pid 4242\n", 61.5)
    assert verdict(judge(m, BootFacts())) == (Verdict.ERROR, Culprit.FIRMWARE)


def test_row6c_silence_on_a_board_is_the_boards(mini_spec):
    m = BootMatcher(mini_spec)
    m.poll(61.0)
    o = judge(m, BootFacts(duration_s=61.0, board="nuc-1", console="10.0.0.9:623"))
    assert verdict(o) == (Verdict.ERROR, Culprit.BOARD)
    assert o.reason.startswith("board nuc-1: nothing on the console (10.0.0.9:623) in 61.0s after power-on")


def test_row7_debug_exit_failure_without_panic_line(mini_spec):
    m = fed(mini_spec, serial=ENTRY_HEAP)
    o = judge(m, BootFacts(exit_status=35))
    assert verdict(o) == (Verdict.FAIL, Culprit.CODE)
    assert o.reason == "kernel reported failure (debug-exit 0x11) without a panic line, after heap-ok"


def test_row8_silent_kernel_after_firmware_output(mini_spec):
    m = replay(mini_spec, "silent")
    m.poll(61.0)
    o = judge(m, BootFacts())
    assert verdict(o) == (Verdict.FAIL, Culprit.CODE)
    assert o.reason.startswith("no entry milestone: the firmware ran (serial 432 B) but the kernel printed nothing within 60s")


def test_row8a_no_first_milestone_while_the_console_was_down_is_the_boards(mini_spec):
    m = replay(mini_spec, "silent")  # the firmware's lines, then nothing
    m.poll(61.0)
    o = judge(m, BootFacts(board="b1", console="tcp://127.0.0.1:7000", console_gaps=((2.1, 4.8),)))
    assert verdict(o) == (Verdict.ERROR, Culprit.BOARD)
    assert o.reason.endswith("but the console dropped output from 2.10s to 4.80s (tcp://127.0.0.1:7000): "
                             "the lab could not see whether entry came"), o.reason


def test_row8_silent_kernel_then_reset(mini_spec):
    o = judge(replay(mini_spec, "silent"), BootFacts(exit_status=0))
    assert verdict(o) == (Verdict.FAIL, Culprit.CODE)
    assert o.reason.endswith("the machine reset/exited")


def test_row8_kernel_output_without_the_first_milestone(mini_spec):
    m = fed(mini_spec, serial=b"BdsDxe: starting Boot0002\n", debugcon=b"Rustux kernel starting (boot services)\n")
    o = judge(m, BootFacts(exit_status=0, duration_s=4.56))
    assert o.summary() == (
        "FAIL (code): no entry milestone in 39 B of kernel output on debugcon; the machine reset/exited: "
        "compare debugcon.log with the spec's entry regex"
    )


def test_row8_duration_when_nothing_timed_out(mini_spec):
    o = judge(replay(mini_spec, "silent"), BootFacts(duration_s=12.345))
    assert o.reason.endswith("but the kernel printed nothing in 12.3s")


def test_row9_debug_exit_success_too_early(mini_spec):
    o = judge(fed(mini_spec, serial=ENTRY_HEAP), BootFacts(exit_status=33))
    assert o.summary() == "FAIL (code): kernel reported success (debug-exit 0x10) after heap-ok but never printed user-entry"


def test_row10_reset_triple_fault(mini_spec):
    o = judge(fed(mini_spec, serial=ENTRY_HEAP), BootFacts(exit_status=0))
    assert o.summary() == "FAIL (code): machine reset/exited after heap-ok (triple fault?): no user-entry"


def test_row11_qemu_died_mid_boot(mini_spec):
    o = judge(fed(mini_spec, serial=ENTRY_HEAP), BootFacts(exit_status=-9))
    assert verdict(o) == (Verdict.ERROR, Culprit.HOST)
    assert o.reason == "QEMU died with status -9 after heap-ok: see qemu.log"


def test_row12_milestone_timeout(mini_spec):
    m = fed(mini_spec, serial=ENTRY_HEAP)
    m.poll(12.0)
    o = judge(m, BootFacts())
    assert o.summary() == "FAIL (code): hung after heap-ok: no user-entry within 10s"


def test_row12a_a_milestone_due_while_the_console_was_down_is_the_boards(mini_spec):
    m = fed(mini_spec, serial=ENTRY_HEAP)  # heap-ok at 1.0 s
    m.poll(12.0)
    o = judge(m, BootFacts(board="b1", console="tcp://127.0.0.1:7000", console_gaps=((4.3, 5.3),)))
    assert verdict(o) == (Verdict.ERROR, Culprit.BOARD)
    assert o.reason == ("hung after heap-ok: no user-entry within 10s, but the console dropped output from 4.30s to "
                        "5.30s (tcp://127.0.0.1:7000): the lab could not see whether user-entry came")


def test_row12a_a_gap_before_the_last_milestone_hides_nothing(mini_spec):
    m = fed(mini_spec, serial=ENTRY_HEAP)
    m.poll(12.0)
    o = judge(m, BootFacts(board="b1", console="sol", console_gaps=((0.2, 0.5),)))
    assert o.summary() == "FAIL (code): hung after heap-ok: no user-entry within 10s"


def test_row13_global_timeout(mini_spec):
    o = judge(fed(mini_spec, serial=ENTRY_HEAP), BootFacts(global_timeout=True, boot_timeout_s=90))
    assert o.summary() == "FAIL (code): hung after heap-ok: no user-entry within the boot timeout of 90s"


def test_row14_no_verdict_is_the_labs_fault(mini_spec):
    o = judge(fed(mini_spec, serial=ENTRY_HEAP), BootFacts())
    assert verdict(o) == (Verdict.ERROR, Culprit.LAB)


def test_rules_are_ordered_firmware_problem_beats_everything(mini_spec):
    o = judge(replay(mini_spec, "pass"), BootFacts(firmware_problem="bad"))
    assert o.verdict is Verdict.ERROR


NO_INITRD = """\
name: rustux
milestones:
  - {name: banner, channel: serial, regex: '^\\[rustux\\] banner$'}
  - {name: final, channel: serial, regex: '^done$'}
fatal:
  - {name: no-initrd, channel: any, regex: '\\[PANIC\\] (?P<reason>no initrd: .*)', file: EFI/rustux/initrd.cpio}
  - {name: panic, channel: any, regex: '\\[PANIC\\] (?P<reason>.*)'}
"""
MISSING = (b"[rustux] banner\n[rustux] initrd: \\EFI\\rustux\\initrd.cpio not found on the boot volume (NOT_FOUND)\n"
           b"[PANIC] no initrd: \\EFI\\rustux\\initrd.cpio is not on the ESP\n")


def no_initrd_boot(tmp_path, line=MISSING):
    (tmp_path / "spec.yaml").write_text(NO_INITRD)
    return fed(load_spec(tmp_path / "spec.yaml"), serial=line)


def test_row4a_file_in_the_artifact_but_missing_at_boot_is_the_deploys_fault(tmp_path):
    o = judge(no_initrd_boot(tmp_path), BootFacts(exit_status=35, image_files=frozenset(
        {"EFI/BOOT/BOOTX64.EFI", "EFI/rustux/initrd.cpio"})))
    assert verdict(o) == (Verdict.ERROR, Culprit.LAB)
    assert "no initrd" in o.reason and "the deploy lost it" in o.reason and "EFI/rustux/initrd.cpio" in o.reason


def test_row4a_file_missing_from_the_artifact_is_the_builds_fault(tmp_path):
    o = judge(no_initrd_boot(tmp_path), BootFacts(exit_status=35, image_files=frozenset({"EFI/BOOT/BOOTX64.EFI"})))
    assert verdict(o) == (Verdict.FAIL, Culprit.CODE)
    assert o.reason.endswith("EFI/rustux/initrd.cpio is missing from the artifact too: the build did not make it")


def test_row4a_needs_the_artifact_and_a_file_signature(tmp_path):
    unknown = judge(no_initrd_boot(tmp_path), BootFacts(exit_status=35))
    assert verdict(unknown) == (Verdict.FAIL, Culprit.CODE) and "artifact" not in unknown.reason
    other_panic = no_initrd_boot(tmp_path, b"[rustux] banner\n[PANIC] page fault\n")
    o = judge(other_panic, BootFacts(exit_status=35, image_files=frozenset({"EFI/rustux/initrd.cpio"})))
    assert verdict(o) == (Verdict.FAIL, Culprit.CODE) and "deploy" not in o.reason
    fat_case = judge(no_initrd_boot(tmp_path), BootFacts(image_files=frozenset({"efi/RUSTUX/INITRD.CPIO"})))
    assert verdict(fat_case) == (Verdict.ERROR, Culprit.LAB), "FAT names are case-insensitive"


def _screen_matcher(tmp_path, fatal=""):
    p = tmp_path / "screen.yaml"
    p.write_text("name: linux-screen\nmilestones:\n"
                 "  - {name: ebs, channel: screen, regex: '^ExitBootServices OK$', timeout: 1}\n" + fatal)
    m = BootMatcher(load_spec(p))
    m.feed("firmware", b"BdsDxe: starting Boot0001 \"UEFI QEMU HARDDISK\"\n", 0.1)  # as OVMF says on debugcon
    return m


def test_row7a_a_screen_milestone_timeout_over_unreadable_cells_is_the_labs(tmp_path):
    """Linux's own VGA8x16 console (a real screenshot), read with only the fonts the lab had
    before Linux's: its `f`, `v`, `'`, `` ` `` and `~` are unreadable, `ExitBootServices OK`
    reads `ExitBootSer\ufffdices OK`, and the milestone times out while the screen shows it."""
    from rustux_bootlab.lab.screen.reader import ScreenReader, known_fonts
    from rustux_bootlab.lab.screen.unreadable import unreadable
    from screens import shown

    m = _screen_matcher(tmp_path)
    lines = shown(m, ScreenReader(known_fonts()), "linux-vga8x16", 0.2)
    m.poll(1.5)
    plain = judge(m, BootFacts(global_timeout=False))
    assert (plain.verdict, plain.culprit) == (Verdict.FAIL, Culprit.CODE)  # what the lab said before
    o = judge(m, BootFacts(screen_unreadable=unreadable(lines, "screen-ebs.png")))
    assert (o.verdict, o.culprit) == (Verdict.ERROR, Culprit.LAB), o.reason
    assert "could not read 8 screen cells on lines 2, 3, 5, 6, 7: " in o.reason
    assert "'ExitBootSer\ufffdices OK'" in o.reason and "and 2 more (see screen-ebs.png)" in o.reason


def test_row7a_a_fatal_line_read_on_the_same_screen_is_still_the_kernels(tmp_path):
    from rustux_bootlab.lab.screen.reader import ScreenReader, known_fonts
    from rustux_bootlab.lab.screen.unreadable import unreadable
    from screens import shown

    m = _screen_matcher(tmp_path, "fatal:\n  - {name: oops, channel: screen, regex: '^BusyBox is copyrighted'}\n")
    lines = shown(m, ScreenReader(known_fonts()), "linux-vga8x16", 0.2)
    o = judge(m, BootFacts(screen_unreadable=unreadable(lines, "screen-ebs.png")))
    assert (o.verdict, o.culprit) == (Verdict.FAIL, Culprit.CODE) and "oops" in o.reason
