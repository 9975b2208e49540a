"""The contract between the master's steps and the workers' runner: the names both sides use.

One owner, imported by both sides (no Buildbot import: `steps/` maps these to Buildbot's own
constants where it must). A name changed here changes on both sides at once.

The boot record: the files a boot writes into its record directory (`bootlab boot --out`),
which the master's boot step collects and shows. tests/unit/test_contract.py fails when the
runner writes a file not named here.
"""
from __future__ import annotations

from lab.spec import CHANNELS

RESULT = "result.json"  # lab/record.py's BootRecord
TIMELINE = "timeline.log"  # every channel and the runner's events on one clock
SCREEN_PNG = "screen.png"  # the last screen, while QEMU still ran at the end
SCREEN_SHOTS = "screen-*.png"  # a conversation's screenshots
BASELINE_DIR = "baseline"  # triage's boot of the last good image, its own record inside the image's
SIBLING_DIR = "sibling"  # triage's boot of the image on a sibling board


def channel_log(channel: str) -> str:
    """A channel's raw log."""
    return f"{channel}.log"


RECORD_LOGS = (TIMELINE, *(channel_log(c) for c in CHANNELS))  # the text logs a step shows
RECORD_FILES = (RESULT, SCREEN_PNG, *RECORD_LOGS)  # what a boot may leave at the top of its record
