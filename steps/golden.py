"""GoldenImage: says whether a target has a golden image (its last passing artifact) to boot.

A health check without one cannot be attempted; the build must say so instead of
looking like a successful boot.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from buildbot.process.buildstep import BuildStep
from buildbot.process.results import SKIPPED, SUCCESS


class GoldenImage(BuildStep):
    name = "golden-image"

    def __init__(self, target: str, path: Path, **kwargs):
        super().__init__(**kwargs)
        self.target = target
        self.path = path
        self.summary_line = "checking"

    def run(self):
        if not self.path.exists():
            self.summary_line = f"no golden image for {self.target} yet: boot/{self.target} must PASS once"
            return SKIPPED
        kept = datetime.fromtimestamp(self.path.stat().st_mtime, timezone.utc)
        self.summary_line = f"golden image kept {kept:%Y-%m-%d %H:%M} UTC"
        return SUCCESS

    def getCurrentSummary(self):
        return {"step": self.summary_line}

    def getResultSummary(self):
        return {"step": self.summary_line, "build": self.summary_line}
