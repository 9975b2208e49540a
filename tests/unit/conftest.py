"""Fixtures for the lab unit tests: the fixture specs (helpers are in captures.py)."""
from __future__ import annotations

import pytest

from captures import FIXTURES
from rustux_bootlab.lab.milestones import MilestoneSpec, load_spec


@pytest.fixture(scope="session")
def mini_spec() -> MilestoneSpec:
    return load_spec(FIXTURES / "specs" / "mini-efi.yaml")


@pytest.fixture(scope="session")
def rustux_spec() -> MilestoneSpec:
    """kernel/milestones.yaml as it was when the kernel-* captures were recorded."""
    return load_spec(FIXTURES / "specs" / "rustux.yaml")
