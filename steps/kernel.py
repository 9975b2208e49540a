"""KernelBuild: builds userspace and the kernel into an ESP on the worker.

Same shape as Buildbot's cppcheck step: a line observer collects rustc's diagnostics
(the `error`/`warning` header plus its ` --> file:line:col` location) into a `warnings`
log, and the summary says how long the build took.
"""
from __future__ import annotations

import re

from twisted.internet import defer

from buildbot.process import logobserver
from buildbot.process.buildstep import BuildStep, ShellMixin
from buildbot.process.results import FAILURE, SUCCESS, WARNINGS
from rustux_bootlab.lab import contract as c

_HEADER_RE = re.compile(r"^(?P<level>error|warning)(?:\[\w+\])?: (?P<message>.*)$")
_LOCATION_RE = re.compile(r"^\s*--> (?P<location>\S+)")
# cargo's own closing lines repeat the count, they are not diagnostics
_CARGO_SUMMARY_RE = re.compile(r"^(?:error|warning): (?:could not compile|aborting due to|build failed|`\S+` \(.*\) generated)")


def diagnostics(lines: list[str]) -> list[tuple[str, str]]:
    """(level, `file:line:col: message`) for each rustc diagnostic in `lines`."""
    found: list[tuple[str, str]] = []
    pending: tuple[str, str] | None = None
    for line in lines:
        header = _HEADER_RE.match(line)
        if header is not None and not _CARGO_SUMMARY_RE.match(line):
            if pending is not None:
                found.append(pending)
            pending = (header["level"], header["message"])
            continue
        location = _LOCATION_RE.match(line)
        if location is not None and pending is not None:
            found.append((pending[0], f"{location['location']}: {pending[1]}"))
            pending = None
    if pending is not None:
        found.append(pending)
    return found


def build_summary(errors: int, warnings: int, seconds: float, ok: bool) -> str:
    counts = ", ".join(f"{n} {word}{'s' if n != 1 else ''}" for n, word in ((errors, "error"), (warnings, "warning")) if n)
    if ok:
        return f"kernel built in {seconds:.1f} s" + (f" ({counts})" if counts else "")
    return f"kernel build failed in {seconds:.1f} s" + (f": {counts}" if counts else "")


class KernelBuild(ShellMixin, BuildStep):
    name = "kernel"
    renderables = ("variant",)

    def __init__(self, variant=None, script="scripts/build-kernel.sh", **kwargs):
        self.variant = variant
        self.script = script
        kwargs = self.setupShellMixin(kwargs, prohibitArgs=["command"])
        super().__init__(**kwargs)
        self.lines: list[str] = []
        self.summary_line: str | None = None
        self.addLogObserver("stdio", logobserver.LineConsumerLogObserver(self._collect))

    def _collect(self):
        while True:
            _, line = yield
            self.lines.append(line)

    @defer.inlineCallbacks
    def run(self):
        command = [self.script] + ([self.variant] if self.variant else [])
        cmd = yield self.makeRemoteShellCommand(command=command)
        started = self.master.reactor.seconds()
        yield self.runCommand(cmd)
        yield (yield self.getLog("stdio")).finish()
        seconds = self.master.reactor.seconds() - started
        found = diagnostics(self.lines)
        errors = sum(1 for level, _ in found if level == "error")
        warnings = len(found) - errors
        if found:
            yield self.addCompleteLog("warnings", "".join(f"{level}: {text}\n" for level, text in found))
        ok = cmd.results() == SUCCESS
        self.setProperty("kernel_build_s", round(seconds, 1), "KernelBuild")
        self.setProperty(c.KERNEL_BUILT_AT, round(self.master.reactor.seconds(), 3), "KernelBuild")
        self.summary_line = build_summary(errors, warnings, seconds, ok)
        if not ok:
            return FAILURE
        return WARNINGS if warnings else SUCCESS

    def getResultSummary(self):
        if self.summary_line is not None:
            return {"step": self.summary_line}
        return super().getResultSummary()
