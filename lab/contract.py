"""The contract between the master's steps and the workers' runner: the names both sides use.

One owner, imported by both sides; no Buildbot import (result codes are plain ints, the
values of buildbot.process.results, which tests/steps/test_steps_contract.py checks). A
name changed here changes on both sides at once.

    builders     `kernel`, and `<role>/<subject>` per target or board (boot, golden, bisect,
                 operator); schedulers `boot-<target>`
    results      Buildbot's result codes and their names, as the REST API says them
    properties   what a boot build carries (steps/boot.py sets them, the pages and the REST
                 clients read them), with their types
    record       the files a boot writes into its record directory (`bootlab boot --out`),
                 which the boot step collects; tests/integration/test_bootlab_boot.py fails
                 when the runner writes a file not named here
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rustux_bootlab.lab.spec import CHANNELS

# -- builders -----------------------------------------------------------------------------------
KERNEL_BUILDER = "kernel"
BOOT, GOLDEN, BISECT, OPERATOR = "boot", "golden", "bisect", "operator"
QEMU_ROLES = (BOOT, BISECT, GOLDEN)  # builds that hold a worker's `qemu` lock


def builder(role: str, subject: str) -> str:
    """`boot/q35-pflash`, `operator/vboard-1`: a role's builder for one target or board."""
    return f"{role}/{subject}"


def boot_builder(subject: str) -> str:
    return builder(BOOT, subject)


def role_of(name: str) -> str | None:
    """The role of a `<role>/<subject>` builder; None for `kernel` and other single builders."""
    return name.split("/", 1)[0] if "/" in name else None


def subject_of(name: str) -> str:
    """The target or board of a `<role>/<subject>` builder (the name itself for the others)."""
    return name.split("/", 1)[1] if "/" in name else name


def boot_scheduler(target: str) -> str:
    return f"boot-{target}"


# -- results ------------------------------------------------------------------------------------
SUCCESS, WARNINGS, FAILURE, SKIPPED, EXCEPTION, RETRY, CANCELLED = range(7)
RESULT_NAMES = ("success", "warnings", "failure", "skipped", "exception", "retry", "cancelled")


def result_name(code: int | None) -> str:
    """A build's result as the REST API's readers say it; `running` before it has one."""
    return "running" if code is None else RESULT_NAMES[code]


def triggered_builds(get: Callable[[str], dict], buildid: int, every_attempt: bool = False) -> list[dict]:
    """The builds `buildid` triggered (a kernel build's boots), read through `get` (a REST API
    client's: path -> decoded JSON): the last attempt of each request (a RETRY adds a build),
    or every attempt in order."""
    children: list[dict] = []
    for bs in get(f"buildsets?parent_buildid={buildid}")["buildsets"]:
        for br in get(f"buildrequests?buildsetid={bs['bsid']}")["buildrequests"]:
            builds = get(f"buildrequests/{br['buildrequestid']}/builds")["builds"]
            if every_attempt:
                children.extend(builds)
            elif builds:
                children.append(max(builds, key=lambda b: b["number"]))
    return children


# -- a boot build's properties (steps/boot.py) ----------------------------------------------------
BOOT_PROPERTY_TYPES: dict[str, Any] = {
    "verdict": str,  # PASS FAIL ERROR MISS (lab.verdict.Verdict values)
    "culprit": (str, type(None)),  # lab.verdict.Culprit values
    "reason": str,
    "last_milestone": (str, type(None)),
    "boot_duration_s": (float, type(None)),
    "milestones_reached": int,
    "milestones_total": int,
    "milestone_times": dict,  # milestone -> seconds since power-on
    "triage": (str, type(None)),  # the triage rule that decided, if any
    "board_state": (dict, type(None)),  # steps/dashboard/boardstate.py
    "environment": (dict, type(None)),  # a QEMU boot's {name, qemu}: lab.environment.ran_on
}
BOOT_PROPERTIES = tuple(BOOT_PROPERTY_TYPES)
(VERDICT, CULPRIT, REASON, LAST_MILESTONE, BOOT_DURATION_S, MILESTONES_REACHED, MILESTONES_TOTAL,
 MILESTONE_TIMES, TRIAGE, BOARD_STATE, ENVIRONMENT) = BOOT_PROPERTIES
TRY_ID = "try_id"  # a try's kernel build: who follows it (workers/tryjob/watch.py)
BASELINE = "baseline"  # a kernel build's last good artifact, for triage
# When a kernel build's kernel was built and a boot's verdict reached the master (epoch seconds,
# the master's clock): Buildbot stamps steps in whole seconds, too coarse for a fan-out of seconds.
KERNEL_BUILT_AT = "kernel_built_at"
VERDICT_AT = "verdict_at"


# -- the boot record ------------------------------------------------------------------------------
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
