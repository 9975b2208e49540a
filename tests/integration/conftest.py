"""What every integration test gets without asking: its own lab state, secrets and cache, so no
test reads or changes the developer's `build/lab`, `~/.cache` or another test's board health.

- per module (for module-scoped boots): `$BOOTLAB_STATE`, `$BOOTLAB_SECRETS`, `$XDG_CACHE_HOME`
  in a temp dir; the KVM probe's cache is shared by a module's boots (`probe_cache`), so each
  module exercises the real probe once instead of trusting a stale answer;
- per test: `$BOOTLAB_STATE` and `$BOOTLAB_SECRETS` again in the test's own `tmp_path`, so a
  board quarantined by one test is not quarantined for the next.
- per run: `$BOOTLAB_SNAPSHOTS`, the warm boots' snapshots, made once per machine and firmware
  and restored by every later boot of any module, as a worker host keeps them (a snapshot is
  keyed by all it depends on; tests that break snapshots on purpose use their own directory).
`bootlab` subprocesses inherit the environment. Ports: `harness.local_lab.free_port`.
"""
from __future__ import annotations

from pathlib import Path

import pytest

PER_TEST = {"BOOTLAB_STATE": "state", "BOOTLAB_SECRETS": "secrets"}


@pytest.fixture(scope="session", autouse=True)
def snapshots(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("snapshots")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BOOTLAB_SNAPSHOTS", str(root))
        yield root


@pytest.fixture(scope="module", autouse=True)
def module_dirs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("lab")
    with pytest.MonkeyPatch.context() as mp:
        for var, name in PER_TEST.items():
            mp.setenv(var, str(root / name))
        mp.setenv("XDG_CACHE_HOME", str(root / "cache"))
        yield root


@pytest.fixture(autouse=True)
def test_dirs(tmp_path, monkeypatch) -> None:
    for var, name in PER_TEST.items():
        monkeypatch.setenv(var, str(tmp_path / name))


@pytest.fixture(scope="module")
def probe_cache(module_dirs) -> Path:
    """`$XDG_CACHE_HOME` of this module's boots (the KVM probe's answer is under rustux-bootlab/)."""
    return module_dirs / "cache"
