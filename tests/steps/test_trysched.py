"""What the try scheduler refuses on its face (steps/trysched.py); the refusal through a real
master and the real `buildbot try` is in tests/integration/test_bootlab_try.py."""
from __future__ import annotations

from rustux_bootlab.steps.trysched import refusal

BASE = "0123456789abcdef0123456789abcdef01234567"
PATCH = b"diff --git a/x b/x\n"


def test_a_base_that_is_a_branch_name_is_refused_with_the_options_fix():
    problem = refusal("master", PATCH)
    assert problem is not None and "'master' is not a commit hash" in problem and "try_branch" in problem


def test_no_base_is_refused():
    assert "'(none)' is not a commit hash" in (refusal(None, PATCH) or "")


def test_an_empty_diff_is_refused():
    assert "diff against 0123456789ab is empty" in (refusal(BASE, b"  \n") or "")


def test_a_commit_and_a_patch_pass():
    assert refusal(BASE, PATCH) is None
