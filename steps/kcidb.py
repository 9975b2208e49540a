"""KCIDB JSON for each kernel build and its boots, written on the master (lab/kcidb.py).

`KcidbReport` runs after the kernel build's fan-out: it reads each boot build's
`result.json` log from the master's database, writes `<master>/kcidb/kernel-<n>.json`
(checked against the kcidb-io schema) and attaches it as the `kcidb.json` log. Submitting
the files needs KCIDB credentials and a network (`bootlab kcidb --help` says how).
"""
from __future__ import annotations

import json
from pathlib import Path

from twisted.internet import defer

from buildbot.process.buildstep import BuildStep
from buildbot.data import resultspec
from buildbot.process.results import SUCCESS, WARNINGS
from lab import kcidb
from lab.kcidb import validation_problem
from lab.record import BootRecord


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
        revision = self.getProperty("got_revision") or self.getProperty("revision")
        number = self.build.number
        checkout = kcidb.Checkout(id=str(revision or f"build-{number}"), repository_url=self.repository_url,
                                  commit=revision or "0" * 40, branch=self.branch)
        data = kcidb.report(checkout, kcidb.Build(id=f"kernel-{number}", passed=True), boots)
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

