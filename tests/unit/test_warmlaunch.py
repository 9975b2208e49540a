"""lab/warmlaunch.py: the COM1 dialogue that launches the boot file from a restored shell.

The bytes are shaped like EDK II's shell on a serial terminal (cursor moves between echoed
characters, colour escapes), as captured from OVMF 2022.11."""
from lab.warmlaunch import ANSWER_S, MAP_DEADLINE_S, LaunchState, ShellLaunch

PROMPT = b"\x1b[1m\x1b[33m\x1b[40mShell> \x1b[0m\x1b[37m\x1b[40m"
ECHO_MAP = b"".join(b"\x1b[06;%02dH%c" % (8 + i, c) for i, c in enumerate(b"map -r")) + b"\r\n"
TABLE = (b"\x1b[1m\x1b[33m\x1b[40mMapping table\x1b[0m\r\n      \x1b[1mFS0:\x1b[0m Alias(s):HD0a0:;BLK0:\r\n"
         b"          PciRoot(0x0)/Pci(0x2,0x0)/USB(0x0,0x0)\r\n")
EMPTY_TABLE = b"\x1b[1mMapping table\x1b[0m\r\nmap: No mapping found.\r\n"


def launched_to_the_prompt():
    launch = ShellLaunch(start=1.0)
    assert launch.begin() == b"map -r\r"
    assert launch.feed(ECHO_MAP + TABLE[:30], 1.2) == b""  # split anywhere: waits for the prompt
    assert launch.feed(TABLE[30:] + PROMPT, 1.3) == b"bootx64\r"
    assert launch.state is LaunchState.LAUNCHING
    return launch


def test_map_then_the_short_name_then_launched_when_the_image_speaks():
    launch = launched_to_the_prompt()
    assert launch.feed(b"bootx64\r\n", 1.35) == b""
    launch.image_spoke(1.4)
    assert launch.state is LaunchState.LAUNCHED and launch.launched_at == 1.4 and launch.done


def test_a_silent_image_is_never_taken_for_a_dead_shell_and_a_late_refusal_still_counts():
    launch = launched_to_the_prompt()
    launch.poll(1.3 + ANSWER_S * 10)  # silence after the launch is the image's
    assert launch.state is LaunchState.LAUNCHING and launch.typed
    launch.feed(b"bootx64\r\n" + PROMPT, 1.3 + ANSWER_S * 10)  # however late: no clock decides it
    assert launch.state is LaunchState.FAILED and not launch.typed


def test_a_stick_still_enumerating_is_rescanned_then_given_up():
    launch = ShellLaunch(start=1.0)
    launch.begin()
    assert launch.feed(ECHO_MAP + EMPTY_TABLE + PROMPT, 1.2) == b"map -r\r"
    assert launch.maps == 2 and launch.state is LaunchState.MAPPING
    assert launch.feed(EMPTY_TABLE + PROMPT, 1.0 + MAP_DEADLINE_S) == b""
    assert launch.state is LaunchState.FAILED
    assert "no file system on the USB stick after 2 `map -r`" in launch.failure


def test_a_refused_command_is_a_lab_failure_with_the_shell_line():
    launch = launched_to_the_prompt()
    launch.feed(b"bootx64\r\n'\x1b[1mbootx64\x1b[0m' is not recognized as an internal or external command, "
                b"operable program, or script file.\r\n" + PROMPT, 1.4)
    assert launch.state is LaunchState.FAILED
    assert launch.failure.startswith("the firmware shell did not launch `bootx64`: 'bootx64' is not recognized")


def test_back_at_the_prompt_without_a_message_is_a_failure_too():
    launch = launched_to_the_prompt()
    launch.feed(b"bootx64\r\n" + PROMPT, 1.4)
    assert "came back to its prompt" in launch.failure


def test_a_dead_restored_shell_fails_after_the_answer_timeout():
    launch = ShellLaunch(start=1.0)
    launch.begin()
    launch.poll(1.0 + ANSWER_S - 0.1)
    assert not launch.done
    launch.poll(1.0 + ANSWER_S)
    assert launch.state is LaunchState.FAILED and "did not answer on COM1" in launch.failure


def test_after_the_launch_serial_bytes_are_the_images_own():
    launch = launched_to_the_prompt()
    launch.image_spoke(1.4)
    assert launch.feed(b"Load Error\r\n" + PROMPT, 2.0) == b""
    assert launch.state is LaunchState.LAUNCHED


def test_without_a_debug_console_the_images_first_whole_line_on_serial_says_it_runs():
    launch = ShellLaunch(start=1.0, launch="bootaa64", serial_only=True)
    launch.begin()
    assert launch.feed(ECHO_MAP + TABLE + PROMPT, 1.3) == b"bootaa64\r"
    assert launch.feed(b"bootaa64\r\n", 1.35) == b"" and launch.state is LaunchState.LAUNCHING  # the echo only
    launch.feed(b"'bootaa64' is not rec", 1.36)  # a refusal arriving in pieces is not the image
    assert launch.state is LaunchState.LAUNCHING
    launch.feed(b"ognized as an internal or external command\r\n", 1.37)
    assert launch.state is LaunchState.FAILED


def test_without_a_debug_console_the_kernels_entry_probe_is_the_launch():
    launch = ShellLaunch(start=1.0, launch="bootaa64", serial_only=True)
    launch.begin()
    launch.feed(ECHO_MAP + TABLE + PROMPT, 1.3)
    launch.feed(b"bootaa64\r\n!\r", 1.4)
    assert launch.state is LaunchState.LAUNCHING  # a line not yet whole
    launch.feed(b"\n[rustux] Rustux", 1.5)
    assert launch.state is LaunchState.LAUNCHED and launch.launched_at == 1.5
