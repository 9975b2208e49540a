"""lab/kcidb.py: KCIDB JSON checked against the kcidb-io package's own schema."""
import pytest
from kcidb_io.schema import LATEST

from rustux_bootlab.lab import kcidb
from rustux_bootlab.lab.record import BootRecord

SHA = "0123456789abcdef0123456789abcdef01234567"
CHECKOUT = kcidb.Checkout(id=SHA, repository_url="https://git.example.org/rustux.git", commit=SHA, branch="main",
                          subject="kernel: heap self-test")
BUILD = kcidb.Build(id="kernel-42", passed=True, duration_s=12.5)
PASSED = kcidb.Boot("q35-pflash", "q35-pflash", "PASS", None, "all 3 milestones reached", ("entry", "heap", "user exit"),
                    duration_s=11.2)
FAILED = kcidb.Boot("pc-bios", "pc-bios", "FAIL", "code", "machine reset/exited after heap", ("entry", "heap"),
                    missed="user exit")
LAB_FAULT = kcidb.Boot("q35-bios", "q35-bios", "ERROR", "firmware", "OVMF.fd is zero-filled", (), missed="entry")
MISSED = kcidb.Boot("pc-pflash", "pc-pflash", "MISS", "lab", "target pc-pflash is disabled", (), missed="entry")


def by_id(data):
    return {t["id"].split(":", 2)[2]: t for t in data["tests"]}


def test_a_report_is_valid_kcidb():
    data = kcidb.report(CHECKOUT, BUILD, [PASSED, FAILED, LAB_FAULT, MISSED])
    LATEST.validate(data)
    assert kcidb.validation_problem(data) is None
    assert data["version"] == {"major": LATEST.major, "minor": LATEST.minor}
    assert data["checkouts"][0]["git_commit_hash"] == SHA
    assert data["builds"][0]["checkout_id"] == data["checkouts"][0]["id"] == f"rustux_lab:{SHA}"


def test_verdicts_map_one_to_one_and_milestones_are_tests():
    tests = by_id(kcidb.report(CHECKOUT, BUILD, [PASSED, FAILED, LAB_FAULT, MISSED]))
    assert {name: tests[f"{name}:boot"]["status"] for name in ("q35-pflash", "pc-bios", "q35-bios", "pc-pflash")} == {
        "q35-pflash": "PASS", "pc-bios": "FAIL", "q35-bios": "ERROR", "pc-pflash": "MISS"}
    assert tests["q35-pflash:boot.user_exit"]["status"] == "PASS"  # the space is not a path character
    assert tests["q35-pflash:boot.user_exit"]["misc"] == {"milestone": "user exit"}
    assert tests["pc-bios:boot.heap"]["status"] == "PASS"
    assert tests["pc-bios:boot.user_exit"]["status"] == "FAIL"  # the milestone it lost
    assert tests["q35-bios:boot.entry"]["status"] == "ERROR"


def test_culprits_are_issues_with_incidents_on_the_failing_boot():
    data = kcidb.report(CHECKOUT, BUILD, [PASSED, FAILED, LAB_FAULT, MISSED])
    issues = {i["misc"]["culprit"]: i for i in data["issues"]}
    assert issues["code"]["culprit"] == {"code": True}
    assert issues["firmware"]["culprit"] == {"harness": True}  # never blamed on the code
    assert set(issues) == {"code", "firmware"}  # a MISS is no issue: nothing ran
    by_issue = {i["issue_id"]: i for i in data["incidents"]}
    assert by_issue[issues["code"]["id"]]["test_id"] == "rustux_lab:kernel-42:pc-bios:boot"
    assert all(i["present"] for i in data["incidents"])


def test_the_same_failure_on_another_build_is_the_same_issue():
    one = kcidb.report(CHECKOUT, BUILD, [FAILED])
    two = kcidb.report(CHECKOUT, kcidb.Build(id="kernel-43", passed=True), [FAILED])
    assert one["issues"] == two["issues"]
    assert one["incidents"][0]["id"] != two["incidents"][0]["id"]


def test_a_bisection_culprit_is_an_issue_blaming_the_code():
    culprit = kcidb.Culprit(commit=SHA, subject="turn triple-fault on", author="Ann <ann@example.org>",
                            lost_milestone="user exit", target="pc-bios", boot_id="pc-bios")
    data = kcidb.report(CHECKOUT, BUILD, [FAILED], culprit)
    LATEST.validate(data)
    issue = next(i for i in data["issues"] if i["id"].startswith("rustux_lab:bisect-"))
    assert issue["culprit"] == {"code": True} and issue["report_subject"] == "turn triple-fault on"
    assert "lost milestone user exit" in issue["comment"]
    assert any(i["issue_id"] == issue["id"] and i["test_id"].endswith("pc-bios:boot") for i in data["incidents"])


def test_a_failed_build_has_no_boots():
    data = kcidb.report(CHECKOUT, kcidb.Build(id="kernel-44", passed=False), [])
    LATEST.validate(data)
    assert data["builds"][0]["status"] == "FAIL" and data["tests"] == []


def test_the_schema_check_catches_a_bad_mapping():
    data = kcidb.report(CHECKOUT, BUILD, [PASSED])
    data["tests"][0]["status"] = "BROKEN"
    assert "BROKEN" in kcidb.validation_problem(data)
    with pytest.raises(Exception):
        LATEST.validate(data)


def test_boot_from_record_names_the_missed_milestone():
    record = {"verdict": "FAIL", "culprit": "code", "reason": "hung", "target": "pc-bios", "duration_s": 3.0,
              "milestones": [{"name": "entry"}, {"name": "heap"}]}
    boot = kcidb.boot_from_record("pc-bios", BootRecord.from_dict(record), ["entry", "heap", "final"])
    assert (boot.reached, boot.missed, boot.verdict) == (("entry", "heap"), "final", "FAIL")


def test_a_repository_that_is_not_https_is_kept_in_misc():
    local = kcidb.Checkout(id=SHA, repository_url="file:///srv/rustux", commit=SHA)
    data = kcidb.report(local, BUILD, [PASSED])
    LATEST.validate(data)
    assert "git_repository_url" not in data["checkouts"][0]
    assert data["checkouts"][0]["misc"] == {"repository": "file:///srv/rustux"}
