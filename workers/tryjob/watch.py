"""Follow one try on the master's REST API (anonymous read): its kernel build, then every boot.

The try is found by its `try_id` build property; each boot build's stdio log carries bootlab's
progress lines (format and parser in lab/record.py), so milestones print as the boots reach them.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

from rustux_bootlab.lab.contract import FAILURE, SUCCESS, WARNINGS, subject_of, triggered_builds
from rustux_bootlab.lab.record import event_line, parse_progress, parse_verdict_line
from rustux_bootlab.lab.verdict import Culprit, Verdict

TRIAGE_EVENT = event_line("triage: ")  # workers/triage.py: the image failed, the baseline boots next
POLL_S = 0.5
HTTP_TIMEOUT_S = 10
# A master that answered once and then stops answering is restarting (its supervisor brings it
# back within a minute: docs/multi-master.md): the watch waits for it this long before giving up.
OUTAGE_S = 180.0


class WatchError(Exception):
    """The web API could not be followed: one line saying what to do."""


@dataclass
class BootSeen:
    target: str
    buildid: int
    url: str
    lines_seen: int = 0
    verdict: Verdict | None = None
    culprit: Culprit | None = None
    reason: str = ""
    in_triage: bool = False  # the lines after bootlab's triage event are the baseline's boot

    def label(self) -> str:
        return f"{self.target} baseline" if self.in_triage else self.target


@dataclass
class TryWatch:
    web_url: str
    try_id: str
    say: Callable[[str], None]
    clock: Callable[[], float] = time.monotonic
    boots: dict[int, BootSeen] = field(default_factory=dict)
    first_verdict_at: float | None = None  # clock() when the first boot's verdict printed
    outage_s: float = OUTAGE_S
    answered: bool = False  # the web API answered once: an address that never did is a wrong --web

    def get(self, path: str) -> dict:
        gone_since = None
        while True:
            try:
                with urllib.request.urlopen(self.web_url + "api/v2/" + path, timeout=HTTP_TIMEOUT_S) as r:
                    answer = json.loads(r.read())
                self.answered = True
                return answer
            except (urllib.error.URLError, OSError, ValueError) as e:
                gone_since = self.clock() if gone_since is None else gone_since
                if not self.answered:
                    raise WatchError(f"cannot read the master's web API at {self.web_url} ({e}): "
                                     "pass --web URL (the web UI's address)") from e
                if self.clock() - gone_since > self.outage_s:
                    raise WatchError(f"the master's web API at {self.web_url} stopped answering for "
                                     f"{self.outage_s:.0f} s ({e}): the try goes on there, see its web UI") from e
                time.sleep(1)

    def raw_log(self, logid: int) -> str:
        try:
            with urllib.request.urlopen(f"{self.web_url}api/v2/logs/{logid}/raw", timeout=HTTP_TIMEOUT_S) as r:
                return r.read().decode(errors="replace")
        except (urllib.error.URLError, OSError) as e:
            raise WatchError(f"cannot read a log from {self.web_url} ({e})") from e

    def kernel_build(self, builder: str) -> dict | None:
        builders = self.get(f"builders?name={builder}")["builders"]
        if not builders:
            raise WatchError(f"the master at {self.web_url} has no builder {builder!r}")
        recent = self.get(f"builders/{builders[0]['builderid']}/builds?order=-number&limit=20&property=try_id")
        for build in recent["builds"]:
            if build.get("properties", {}).get("try_id", [None])[0] == self.try_id:
                return build
        return None

    def follow(self, builder: str, deadline_s: float) -> dict:
        """Print the kernel build, then each boot's milestones and verdict; the finished kernel build."""
        end = self.clock() + deadline_s
        build = None
        while build is None:
            build = self.kernel_build(builder)
            self._wait(end, "the try job is still waiting for a kernel build (is the kernel worker connected?)")
        self.say(f"try: kernel build {self.build_url(build)}")
        while True:
            build = self.get(f"builds/{build['buildid']}")["builds"][0]
            self.poll_boots(build["buildid"])
            if build["complete"]:
                self.poll_boots(build["buildid"])
                return build
            self._wait(end, f"the try did not finish: see {self.build_url(build)}")

    def build_url(self, build: dict) -> str:
        return f"{self.web_url}#/builders/{build['builderid']}/builds/{build['number']}"

    def poll_boots(self, kernel_buildid: int) -> None:
        for child in self._children(kernel_buildid):
            seen = self.boots.get(child["buildid"])
            if seen is None:
                builder = self.get(f"builders/{child['builderid']}")["builders"][0]["name"]
                seen = BootSeen(subject_of(builder), child["buildid"], self.build_url(child))
                self.boots[child["buildid"]] = seen
                self.say(f"{seen.target}: boot build {seen.url}")
            if seen.verdict is None:
                self._follow_boot(seen, child)

    def _children(self, buildid: int) -> list[dict]:
        # every attempt: a RETRY adds a build, each one prints, the last one's verdict counts
        return triggered_builds(self.get, buildid, every_attempt=True)

    def _follow_boot(self, seen: BootSeen, child: dict) -> None:
        for step in self.get(f"builds/{child['buildid']}/steps")["steps"]:
            if step["name"] != "boot":
                continue
            logs = self.get(f"steps/{step['stepid']}/logs?name=stdio")["logs"]
            lines = self.raw_log(logs[0]["logid"]).splitlines() if logs else []
            for line in lines[seen.lines_seen:]:
                self._line(seen, line)
            seen.lines_seen = len(lines)
        if child["complete"] and seen.verdict is None:
            self._from_properties(seen, child)

    def _line(self, seen: BootSeen, line: str) -> None:
        progress = parse_progress(line)
        if progress is not None:
            self.say(f"{seen.label()}: ok {progress.reached:>2}/{progress.total} {progress.name:<20} {progress.t:7.2f}s")
            return
        if line.startswith(TRIAGE_EVENT):
            seen.in_triage = True
            self.say(f"{seen.target}: {line.removeprefix(TRIAGE_EVENT).split(';')[0]}; triage boots the last image "
                     f"that passed here, its lines marked '{seen.label()}'")
            return
        verdict = parse_verdict_line(line)
        if verdict is not None:
            seen.verdict, seen.culprit, seen.reason = verdict
            self._say_verdict(seen)

    def _from_properties(self, seen: BootSeen, child: dict) -> None:
        """A boot that ended without a verdict line (a crash, a cancel): the build says what happened."""
        props = self.get(f"builds/{child['buildid']}/properties")["properties"][0]
        verdict = props.get("verdict", [None])[0]
        if verdict in Verdict.__members__:
            culprit = props.get("culprit", [None])[0]
            seen.verdict, seen.culprit = Verdict(verdict), Culprit(culprit) if culprit else None
            seen.reason = str(props.get("reason", [""])[0] or "")
        else:
            seen.verdict, seen.culprit = Verdict.ERROR, Culprit.LAB
            seen.reason = f"the boot build ended without a verdict ({child['state_string']})"
        self._say_verdict(seen)

    def _say_verdict(self, seen: BootSeen) -> None:
        assert seen.verdict is not None
        if self.first_verdict_at is None:
            self.first_verdict_at = self.clock()
        head = f"{seen.verdict.value}/{seen.culprit.value}" if seen.culprit else seen.verdict.value
        seen.in_triage = False  # the verdict is the tried image's, triage included
        self.say(f"{seen.target}: {head} {seen.reason}".rstrip() + f"  ({seen.url})")

    def _wait(self, end: float, message: str) -> None:
        if self.clock() > end:
            raise WatchError(message)
        time.sleep(POLL_S)


def kernel_build_verdict(build: dict) -> tuple[Verdict, Culprit | None] | None:
    """What a kernel build that boots nothing says about the patch (None: it went on to the boots)."""
    if build["results"] in (SUCCESS, WARNINGS):
        return None
    if build["results"] == FAILURE:
        return Verdict.FAIL, Culprit.CODE
    return Verdict.ERROR, Culprit.LAB
