"""`bootlab bisect` on a scratch git history made from this repository's kernel: real builds
(each commit's own scripts/build-kernel.sh) and real QEMU boots.

The history (10 commits): c0 the kernel as it is, c3 does not compile and c4 fixes it, c6
turns the known-bad `triple-fault` variant's code path on by default (a real bug: the
machine resets after ExitBootServices), the rest change a notes file. The lab fault: the
target's firmware is zero-filled while the first search step boots (both attempts), so that
step is ERROR/firmware and must be skipped, never taken for bad. Milestone names are read
from the kernel's spec, not assumed.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
import yaml

from bootlab_support import BOOTLAB, REPO
from history_support import AUTHOR, BUG_SUBJECT, commit, commit_the_bug, git, kernel_repo, notes, seed_cargo

pytestmark = [pytest.mark.qemu, pytest.mark.slow]
OVMF = Path("/usr/share/OVMF")


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> dict:
    repo = tmp_path_factory.mktemp("kernel-repo")
    shas = [kernel_repo(repo)]
    shas.append(notes(repo, "- boot path notes", "notes: start"))
    shas.append(notes(repo, "- heap notes", "notes: heap"))
    main_rs = repo / "kernel/src/main.rs"
    original = main_rs.read_text()
    main_rs.write_text(original + "\nfn broken() -> u32 { \"not a number\" }\n")
    shas.append(commit(repo, "kernel: a helper that does not compile"))
    main_rs.write_text(original)
    shas.append(commit(repo, "kernel: drop the helper again"))
    shas.append(notes(repo, "- paging notes", "notes: paging"))
    shas.append(commit_the_bug(repo))
    for topic in ("syscalls", "user space", "release"):
        shas.append(notes(repo, f"- {topic} notes", f"notes: {topic}"))
    cargo_dir = tmp_path_factory.mktemp("bisect-cargo") / "cargo"
    seed_cargo(cargo_dir)
    spec = yaml.safe_load((REPO / "kernel/milestones.yaml").read_text())
    return {"repo": repo, "shas": shas, "cargo": cargo_dir, "milestones": [m["name"] for m in spec["milestones"]]}


def lab(tmp: Path, zero_firmware: bool = False) -> tuple[Path, Path]:
    """An inventory with one target whose firmware CODE file the test can zero-fill."""
    fw = tmp / "fw"
    fw.mkdir()
    code = fw / "OVMF_CODE_4M.fd"
    shutil.copy(OVMF / "OVMF_CODE_4M.fd", code)
    shutil.copy(OVMF / "OVMF_VARS_4M.fd", fw / "OVMF_VARS_4M.fd")
    if zero_firmware:
        code.write_bytes(bytes(code.stat().st_size))
    inventory = tmp / "inventory.yaml"
    inventory.write_text(yaml.safe_dump({
        "lab": {"name": "bisect-test"},
        "workers": {"local-qemu": {"kind": "qemu", "max_builds": 1}},
        "firmware": {"ovmf": {"code": str(code), "vars": str(fw / "OVMF_VARS_4M.fd")}},
        "targets": {"bisect-q35": {"machine": "q35", "firmware": {"set": "ovmf", "mode": "pflash"},
                                   "memory_mb": 256, "accel": "tcg", "boot_timeout_s": 90, "worker": "local-qemu"}},
    }))
    return inventory, code


def bisect(history: dict, inventory: Path, out: Path, fault_on_step: int | None = None, firmware: Path | None = None):
    """Run `bootlab bisect --json`; zero-fill `firmware` from step `fault_on_step` until its retry failed too."""
    argv = [str(BOOTLAB), "bisect", "--repo", str(history["repo"]), "--good", history["shas"][0],
            "--bad", history["shas"][-1], "--target", "bisect-q35", "--inventory", str(inventory),
            "--out", str(out), "--cargo-dir", str(history["cargo"]), "--json"]
    proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    good_firmware = firmware.read_bytes() if firmware else b""

    def watch() -> None:
        for line in proc.stderr:
            lines.append(line)
            if firmware is None or not line.startswith("bisect: step "):
                continue
            if int(line.split()[2]) == fault_on_step and line.endswith("building\n"):
                firmware.write_bytes(bytes(len(good_firmware)))
            elif ": skip: ERROR" in line:  # the retry failed too: the lab is fixed again
                firmware.write_bytes(good_firmware)

    reader = threading.Thread(target=watch)
    reader.start()
    stdout = proc.stdout.read()
    rc = proc.wait(timeout=1200)
    reader.join()
    return rc, json.loads(stdout), "".join(lines)


def test_bisect_names_the_culprit_past_a_lab_fault_and_a_commit_that_does_not_build(history, tmp_path):
    inventory, code = lab(tmp_path)
    rc, result, stderr = bisect(history, inventory, tmp_path / "record", fault_on_step=3, firmware=code)
    assert rc == 0, stderr
    shas, culprit = history["shas"], result["culprit"]
    assert culprit["commit"] == shas[6]
    assert culprit["subject"] == BUG_SUBJECT
    assert culprit["author"] == AUTHOR
    steps = result["steps"]
    phases = [s["phase"] for s in steps]
    assert phases[:2] == ["check-bad", "check-good"]
    assert phases[-2:] == ["confirm-culprit", "confirm-parent"]
    # the lab fault: booted twice, ERROR/firmware both times, skipped, never "bad"
    faulted = [s for s in steps if s["verdict"] == "ERROR"]
    assert [(s["culprit"], s["attempt"], s["decision"]) for s in faulted] == [("firmware", 1, "retry"), ("firmware", 2, "skip")]
    assert faulted[0]["commit"] == faulted[1]["commit"]
    assert all(s["decision"] != "bad" for s in steps if s["commit"] in shas[:6])
    assert all(s["decision"] in ("bad", "retry", "skip") for s in steps if s["commit"] in shas[6:] and s["verdict"] != "PASS")
    # the bad boot's last milestone and the one it lost, against the parent's boot
    bad = steps[-2]
    assert (bad["verdict"], bad["culprit"]) == ("FAIL", "code")
    names = history["milestones"]
    assert culprit["lost_milestone"] == names[names.index(bad["last_milestone"]) + 1]
    assert steps[-1]["commit"] == shas[5] and steps[-1]["decision"] == "good"
    assert result["boots"] == sum(1 for s in steps if s["verdict"])
    for s in steps:  # every boot left its record, every step its build log
        assert s["record"] is None or (Path(s["record"]) / "result.json").is_file()
    assert f"culprit {shas[6][:12]} \"{BUG_SUBJECT}\"" in stderr
    assert not git(history["repo"], "worktree", "list").count("\n"), "the scratch worktree was left behind"
    kcidb_of_the_culprit(history, tmp_path, steps[-2]["record"], tmp_path / "record" / "bisect.json")


def kcidb_of_the_culprit(history: dict, tmp: Path, record: str, bisect_json: Path) -> None:
    """`bootlab kcidb` on the culprit's real boot record and the bisection: valid KCIDB."""
    from kcidb_io.schema import LATEST

    out = tmp / "kcidb.json"
    proc = subprocess.run([str(BOOTLAB), "kcidb", "--repo", str(history["repo"]), "--rev", history["shas"][6],
                           "--boot", record, "--bisect", str(bisect_json), "--out", str(out)],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    LATEST.validate(data)
    assert data["checkouts"][0]["git_commit_hash"] == history["shas"][6]
    statuses = {t["path"]: t["status"] for t in data["tests"]}
    assert statuses["boot"] == "FAIL" and "FAIL" in statuses.values() and "PASS" in statuses.values()
    bisected = [i for i in data["issues"] if i["id"].startswith("rustux_lab:bisect-")]
    assert [i["culprit"] for i in bisected] == [{"code": True}]
    assert any(i["issue_id"] == bisected[0]["id"] for i in data["incidents"])


def test_a_range_whose_bad_end_was_a_lab_fault_has_no_culprit_and_says_so(history, tmp_path):
    inventory, _ = lab(tmp_path, zero_firmware=True)
    rc, result, stderr = bisect(history, inventory, tmp_path / "record")
    assert rc == 3, stderr
    assert result["culprit"] is None
    assert [(s["phase"], s["verdict"], s["decision"]) for s in result["steps"]] == [
        ("check-bad", "ERROR", "retry"), ("check-bad", "ERROR", "skip")]
    assert "boot was a lab fault, not the code's" in result["conclusion"]
    assert "zero-filled" in result["conclusion"]
