"""The resident loader per architecture (workers/warm/loader.py): which file a warm machine
gets, and the errors that send a warm boot cold."""
from __future__ import annotations

import pytest

from rustux_bootlab.workers.warm.loader import ESP_FILE, LoaderMissing, loader_path, warm_devices


def test_each_architecture_gets_its_own_loader(tmp_path, monkeypatch):
    x86, arm = tmp_path / "x86.efi", tmp_path / "aa64.efi"
    x86.write_bytes(b"MZ x86")
    arm.write_bytes(b"MZ aa64")
    monkeypatch.setenv("BOOTLAB_LOADER", str(x86))
    monkeypatch.setenv("BOOTLAB_LOADER_AARCH64", str(arm))
    assert loader_path("x86_64") == x86 and loader_path("aarch64") == arm
    argv = warm_devices(tmp_path / "esp.img", "aarch64")
    assert argv[:2] == ("-kernel", str(arm)) and f"name={ESP_FILE},file={tmp_path / 'esp.img'}" in argv


def test_a_missing_loader_says_how_to_build_it(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOTLAB_LOADER_AARCH64", str(tmp_path / "absent.efi"))
    with pytest.raises(LoaderMissing, match=r"no resident loader for aarch64 at .*absent\.efi: run make loader"):
        loader_path("aarch64")


def test_an_architecture_without_a_loader_is_named():
    with pytest.raises(LoaderMissing, match=r"no resident loader is built for riscv64 \(.* builds x86_64, aarch64\)"):
        loader_path("riscv64")
