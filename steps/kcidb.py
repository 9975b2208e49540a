"""KCIDB JSON for each kernel build and its boots, written on the master (lab/kcidb.py).

`KcidbReport` runs after the kernel build's fan-out: it reads each boot build's
`result.json` log from the master's database, writes `<master>/kcidb/kernel-<n>.json`
(checked against the kcidb-io schema) and attaches it as the `kcidb.json` log. Submitting
the files needs KCIDB credentials and a network (`bootlab kcidb --help` says how).
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from twisted.internet import defer

from buildbot.process.buildstep import BuildStep
from buildbot.data import resultspec
from buildbot.process.results import SKIPPED, SUCCESS, WARNINGS
from rustux_bootlab.lab import kcidb
from rustux_bootlab.lab.kcidb import validation_problem
from rustux_bootlab.lab.record import BootRecord

_COMMIT = re.compile(r"[0-9a-f]{40}")


def _bytes(patch: bytes | str) -> bytes:
    return patch.encode() if isinstance(patch, str) else patch


class KcidbReport(BuildStep):
    name = "kcidb"

    def __init__(self, out_dir: Path, repository_url: str | None, branch: str | None, **kwargs):
        super().__init__(**kwargs)
        self.out_dir, self.repository_url, self.branch = out_dir, repository_url, branch
        self.line = "writing KCIDB JSON"

    @defer.inlineCallbacks
    def run(self):
        boots = []
        for child in (yield self._children()):
            text = yield self._log(child["buildid"], "boot", "result_json")
            if text:
                record = BootRecord.parse(text)
                boots.append(kcidb.boot_from_record(record.target or str(child["buildid"]), record))
        number = self.build.number
        commit = next((r for r in (self.getProperty("got_revision"), self.getProperty("revision"))
                       if isinstance(r, str) and _COMMIT.fullmatch(r)), None)
        if commit is None:
            # KCIDB describes a build of a commit: without one (a failed checkout) there is nothing to write
            self.line = f"no KCIDB JSON: the build has no commit (revision {self.getProperty('revision')!r})"
            return SKIPPED
        source = self.build.getSourceStamp("")
        patch = source.patch[1] if source is not None and source.patch else None
        # a try's checkout is its base plus the patch: the same base with another patch is another checkout
        checkout_id = commit + (f"+{hashlib.sha256(_bytes(patch)).hexdigest()[:12]}" if patch else "")
        checkout = kcidb.Checkout(id=checkout_id, repository_url=self.repository_url, commit=commit,
                                  branch=self.branch)
        passed = self.build.results in (SUCCESS, WARNINGS)
        data = kcidb.report(checkout, kcidb.Build(id=f"kernel-{number}", passed=passed), boots)
        problem = validation_problem(data)
        if problem:
            self.line = f"KCIDB JSON does not match the schema: {problem}"
            return WARNINGS
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / f"kernel-{number}.json"
        path.write_text(json.dumps(data, indent=2) + "\n")
        yield self.addCompleteLog("kcidb.json", json.dumps(data, indent=2) + "\n")
        self.line = f"KCIDB: {len(data['tests'])} tests, {len(data['issues'])} issues -> {path.name}"
        return SUCCESS

    @defer.inlineCallbacks
    def _children(self):
        """The boot builds this build triggered: the last build of each request (RETRY)."""
        children = []
        buildsets = yield self.master.data.get(
            ("buildsets",), filters=[resultspec.Filter("parent_buildid", "eq", [self.build.buildid])])
        for bs in buildsets:
            requests = yield self.master.data.get(
                ("buildrequests",), filters=[resultspec.Filter("buildsetid", "eq", [bs["bsid"]])])
            for br in requests:
                builds = yield self.master.data.get(("buildrequests", br["buildrequestid"], "builds"))
                if builds:
                    children.append(max(builds, key=lambda b: b["number"]))
        return children

    @defer.inlineCallbacks
    def _log(self, buildid: int, step: str, slug: str):
        chunk = yield self.master.data.get(("builds", buildid, "steps", step, "logs", slug, "contents"))
        return chunk["content"] if chunk else None

    def getCurrentSummary(self):
        return {"step": self.line}

    def getResultSummary(self):
        return {"step": self.line}

