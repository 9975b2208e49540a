"""The try scheduler: Buildbot's Try_Userpass, refusing at submission what the kernel builder
cannot build, with one line that names the fix.

Plain `buildbot try` from a checkout whose branch tracks no remote takes the word `master` as
its base revision; its diff against that is empty, and the build it used to start failed at
checkout. A refusal is a `pb.Error`: PB sends its message to the client, which prints it.
"""
from __future__ import annotations

import re
from pathlib import Path

from twisted.internet import defer, utils
from twisted.spread import pb

from buildbot.schedulers.trysched import Try_Userpass, Try_Userpass_Perspective
from buildbot.util import bytes2unicode

_COMMIT = re.compile(r"[0-9a-f]{40}")
GIT_TIMEOUT_S = 10
OPTIONS_FIX = ("put try_branch = 'origin/main' (your clone's copy of the lab's branch) in "
               ".buildbot/options, or run bootlab try")


class TryRefused(pb.Error):
    """A try the kernel builder cannot build; the message travels to the client."""


def refusal(revision: str | None, patch: bytes | None) -> str | None:
    """What is wrong with a try's base revision and patch on their face, or None."""
    if not revision or not _COMMIT.fullmatch(revision):
        return (f"base revision {revision or '(none)'!r} is not a commit hash: the client could not "
                f"find the lab's branch in your checkout; {OPTIONS_FIX}")
    if not patch or not patch.strip():
        return (f"the diff against {revision[:12]} is empty: nothing to try; change something, or if "
                f"you did, the client diffed against the wrong base: {OPTIONS_FIX}")
    return None


class LabTryPerspective(Try_Userpass_Perspective):
    @defer.inlineCallbacks
    def perspective_try(self, branch, revision, patch, repository, project, builderNames,
                        who="", comment="", properties=None):
        revision = bytes2unicode(revision) if revision is not None else None
        body = patch[1] if patch else None
        body = body.encode() if isinstance(body, str) else body
        problem = refusal(revision, body)
        if problem is None:
            problem = yield self.scheduler.unknown_commit(revision)
        if problem is not None:
            raise TryRefused(problem)
        status = yield super().perspective_try(branch, revision, patch, repository, project, builderNames,
                                               who, comment, properties)
        return status


class LabTry(Try_Userpass):
    """`repo`: the kernel builder's repository; when it is a directory on the master, the base
    revision must be one of its commits (else the checkout would fail)."""

    compare_attrs = (*Try_Userpass.compare_attrs, "repo")

    def __init__(self, name, builderNames, port, userpass, repo: str, **kwargs):
        super().__init__(name=name, builderNames=builderNames, port=port, userpass=userpass, **kwargs)
        self.repo = repo

    @defer.inlineCallbacks
    def _create_pb(self):
        def factory(mind, username):
            return LabTryPerspective(self, username)

        for user, passwd in self.userpass:
            reg = yield self.master.pbmanager.register(self.port, user, passwd, factory)
            self.registrations.append(reg)

    @defer.inlineCallbacks
    def unknown_commit(self, revision: str):
        """None when `revision` is a commit of the repository (or the repository is not local)."""
        if not Path(self.repo).is_dir():
            return None
        code = yield utils.getProcessValue(
            "timeout", [str(GIT_TIMEOUT_S), "git", "-C", self.repo, "cat-file", "-e", f"{revision}^{{commit}}"])
        if code == 0:
            return None
        return (f"base revision {revision[:12]} is not a commit of the lab's repository {self.repo}: "
                "push it (or rebase onto the lab's branch) and try again")
