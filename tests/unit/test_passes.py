"""The passing-boot store the learned deadlines read: per target, per profile, bounded."""
import pytest

from rustux_bootlab.lab.deadlines import PassingBoot
from rustux_bootlab.workers.passes import KEEP, load_passes, passes_path, record_pass


@pytest.fixture(autouse=True)
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOTLAB_STATE", str(tmp_path / "state"))


def passing(profile="tcg/q35", entry=6.0):
    return PassingBoot(profile, (("entry", entry), ("banner", entry + 0.01)))


def test_round_trip_by_target_and_profile():
    record_pass("q35-pflash", passing(entry=6.0))
    record_pass("q35-pflash", passing("kvm/q35", entry=0.5))
    record_pass("pc-bios", passing(entry=9.0))
    assert load_passes("q35-pflash", "tcg/q35") == [passing(entry=6.0)]
    assert load_passes("q35-pflash", "kvm/q35") == [passing("kvm/q35", entry=0.5)]
    assert load_passes("nowhere", "tcg/q35") == []


def test_keeps_the_newest_and_skips_lines_that_do_not_parse():
    for i in range(KEEP + 5):
        record_pass("q35-pflash", passing(entry=float(i)))
    with passes_path("q35-pflash").open("a") as f:
        f.write("{torn\n")
    got = load_passes("q35-pflash", "tcg/q35")
    assert len(got) == KEEP and got[-1] == passing(entry=float(KEEP + 4))
    record_pass("q35-pflash", passing(entry=100.0))  # the torn line is dropped with the oldest
    assert load_passes("q35-pflash", "tcg/q35")[-1] == passing(entry=100.0)
