"""lab/record.py: what the worker writes is what the master reads, record and progress lines."""
import json

import pytest

from rustux_bootlab.lab.matcher import MilestoneHit
from rustux_bootlab.lab.record import (BootRecord, RecordError, never_ran, parse_progress, parse_verdict_line, read_record,
                        milestone_line, verdict_line, write_record)
from rustux_bootlab.lab.verdict import Culprit, Outcome, Verdict

HEAP = MilestoneHit("heap", 3.4123, "debugcon", "rustux: heap ok")


def test_a_record_survives_the_trip_through_result_json(tmp_path):
    record = BootRecord(Outcome(Verdict.FAIL, Culprit.CODE, "hung after heap: no user-entry within 15s", "heap"),
                        "q35-pflash", {"path": "build/esp", "sha256": "ab"}, {"code": {"size": 1}},
                        {"version": "8.2", "accel": "tcg"}, [HEAP], 17, 18.25, {"debugcon": 900},
                        {"rule": "baseline passed on the same target: the new image is at fault (FAIL/code kept)"})
    write_record(tmp_path / "rec", record)
    back = read_record(tmp_path / "rec")
    assert back.to_dict() == record.to_dict()
    assert back.milestones[0].t == 3.412 and back.outcome == record.outcome
    assert back.summary() == "FAIL after heap: hung after heap: no user-entry within 15s"
    assert back.milestone_log().splitlines() == [
        "   3.41 s  heap                 rustux: heap ok",
        "16 of 17 milestones not reached: FAIL",
        "triage: baseline passed on the same target: the new image is at fault (FAIL/code kept)",
    ]
    assert not list((tmp_path / "rec").glob(".result.json.*")), "the temp file is renamed into place"


def test_a_board_record_has_no_qemu_and_its_board_facts():
    record = BootRecord(Outcome(Verdict.PASS, None, "all 3 milestones reached in 3.00s", "done"), "vboard-1",
                        {"path": "x", "sha256": None}, qemu={"ignored": True}, board={"bmc": "127.0.0.1:9001"})
    data = record.to_dict()
    assert data["qemu"] is None and data["board"] == {"bmc": "127.0.0.1:9001"}
    assert "board" not in never_ran(record.outcome, "q35-pflash", "build/esp").to_dict()


def test_a_boot_that_never_ran_names_the_image_and_keeps_the_count():
    miss = Outcome(Verdict.MISS, Culprit.LAB, "target pc-bios is disabled in the inventory", None)
    data = never_ran(miss, "pc-bios", "build/esp", 17).to_dict()
    assert data["verdict"] == "MISS" and data["image"] == {"path": "build/esp", "sha256": None}
    assert data["milestones"] == [] and data["milestones_total"] == 17
    assert BootRecord.from_dict(data).summary() == "MISS: target pc-bios is disabled in the inventory"


@pytest.mark.parametrize("text, message", [
    ("bootlab: usage", "printed no result.json"),
    ("[]", "no `verdict` key"),
    ('{"verdict": "MAYBE"}', "unknown verdict 'MAYBE'"),
    ('{"verdict": "ERROR", "culprit": "gremlins"}', "unknown culprit 'gremlins'"),
    ('{"verdict": "FAIL", "culprit": "host"}', "inconsistent"),
])
def test_what_is_not_a_record_is_refused_by_name(text, message):
    with pytest.raises(RecordError, match=message):
        BootRecord.parse(text)


def test_the_progress_lines_read_back_as_written():
    line = milestone_line(5, 17, HEAP)
    assert line == "bootlab: milestone 5/17 heap 3.41s"
    progress = parse_progress(line)
    assert (progress.reached, progress.total, progress.name, progress.t) == (5, 17, "heap", 3.41)
    error = Outcome(Verdict.ERROR, Culprit.BOARD, "board nuc-1: BMC 10.0.0.9:623: no answer", None)
    assert parse_verdict_line(verdict_line(error)) == (Verdict.ERROR, Culprit.BOARD, error.reason)
    passed = Outcome(Verdict.PASS, None, "all 17 milestones reached in 3.60s", "done")
    assert parse_verdict_line(verdict_line(passed)) == (Verdict.PASS, None, passed.reason)
    assert parse_progress("bootlab: target q35-pflash: q35, pflash firmware") is None
    assert parse_verdict_line("bootlab: verdict MAYBE - x") is None
    assert json.loads(BootRecord(passed, "t", {}).to_json())["culprit"] is None
