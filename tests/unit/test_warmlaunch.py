"""lab/warmlaunch.py: what the resident loader says on COM1 after a restore decides whether the
lab started the image; what comes after is the image's."""
from rustux_bootlab.lab.warmlaunch import STARTED_S, LaunchState, LoaderLaunch

STARTING = b"rustux-loader: starting \\EFI\\BOOT\\BOOTX64.EFI\r\n"
ERROR = b"rustux-loader: error: fw_cfg DMA read of opt/rustux/esp failed (status 0x0000000000000000)\r\n"


def test_started_when_the_loader_says_so_then_launched_when_the_image_speaks():
    launch = LoaderLaunch(start=1.0)
    launch.feed(STARTING[:10], 1.01)  # split anywhere
    assert launch.state is LaunchState.LOADING
    launch.feed(STARTING[10:], 1.02)
    assert launch.state is LaunchState.STARTED and launch.started_at == 1.02
    launch.image_spoke(1.05)
    assert launch.state is LaunchState.LAUNCHED and launch.launched_at == 1.05 and launch.done


def test_a_loader_error_is_the_labs_failure_with_its_words():
    launch = LoaderLaunch(start=1.0)
    launch.feed(ERROR[:30], 1.1)
    assert launch.state is LaunchState.LOADING, "half a line decides nothing"
    launch.feed(ERROR[30:], 1.2)
    assert launch.state is LaunchState.FAILED and not launch.blames_snapshot
    assert launch.failure == ("the resident loader could not start the image: fw_cfg DMA read of opt/rustux/esp "
                              "failed (status 0x0000000000000000)")


def test_a_silent_loader_fails_after_its_deadline_but_a_silent_image_never_does():
    quiet = LoaderLaunch(start=1.0)
    quiet.poll(1.0 + STARTED_S - 0.01)
    assert quiet.state is LaunchState.LOADING
    quiet.poll(1.0 + STARTED_S)
    assert quiet.state is LaunchState.FAILED and "did not start the image within" in (quiet.failure or "")
    assert quiet.blames_snapshot
    started = LoaderLaunch(start=1.0)
    started.feed(STARTING, 1.01)
    started.poll(1.0 + STARTED_S * 10)
    started.feed(ERROR.replace(b"fw_cfg DMA read of opt/rustux/esp failed", b"the boot file returned"), 9.0)
    assert started.state is LaunchState.STARTED, "after the start, silence and a return are the image's"


def test_the_image_speaking_first_counts_as_launched():
    launch = LoaderLaunch(start=1.0)
    launch.image_spoke(1.03)  # the debug console's socket may beat COM1's
    assert launch.state is LaunchState.LAUNCHED and launch.started_at == 1.03
