"""lab/health.py: good -> suspect -> quarantined on ERRORs that blame the machine; operators
quarantine and release with a reason."""
from __future__ import annotations

import pytest

from rustux_bootlab.lab.health import QUARANTINE_AFTER, Health, HealthError, HealthRecord
from rustux_bootlab.lab.outcomes import image_not_bootable
from rustux_bootlab.lab.verdict import Culprit, Outcome, Verdict

NOW = "2026-11-23T23:00:00Z"
BMC_DOWN = Outcome(Verdict.ERROR, Culprit.BOARD, "board nuc-1: BMC 10.0.0.9:623 did not answer", None)
PASS = Outcome(Verdict.PASS, None, "all 16 milestones", "final")
FAIL = Outcome(Verdict.FAIL, Culprit.CODE, "page fault", "user-entry")


def errors(n: int, record: HealthRecord = HealthRecord()) -> HealthRecord:
    for _ in range(n):
        record = record.after_boot(BMC_DOWN, NOW)
    return record


def test_an_error_blaming_the_board_makes_it_suspect_and_n_in_a_row_quarantine_it():
    suspect = errors(1)
    assert (suspect.state, suspect.errors_in_row, suspect.by) == (Health.SUSPECT, 1, "lab")
    assert errors(QUARANTINE_AFTER - 1).state is Health.SUSPECT
    quarantined = errors(QUARANTINE_AFTER)
    assert (quarantined.state, quarantined.by) == (Health.QUARANTINED, "lab")
    assert quarantined.reason == f"{QUARANTINE_AFTER} ERRORs in a row, the last: {BMC_DOWN.reason}"


@pytest.mark.parametrize("outcome", [PASS, FAIL])
def test_a_boot_that_ran_the_code_clears_suspicion(outcome):
    cleared = errors(QUARANTINE_AFTER - 1).after_boot(outcome, NOW)
    assert (cleared.state, cleared.errors_in_row) == (Health.GOOD, 0)
    # and the count starts again: it takes N new ERRORs in a row
    assert errors(QUARANTINE_AFTER - 1, cleared).state is Health.SUSPECT


@pytest.mark.parametrize("outcome", [
    Outcome(Verdict.ERROR, Culprit.LAB, "artifact without BOOTX64.EFI", None),
    image_not_bootable("build/esp has no EFI/BOOT/BOOTX64.EFI"),  # FAIL, but nothing ran on the machine
    Outcome(Verdict.ERROR, Culprit.FIRMWARE, "OVMF_CODE zero-filled", None),
    Outcome(Verdict.MISS, Culprit.LAB, "held by another session", None),
])
def test_errors_that_do_not_blame_the_machine_change_nothing(outcome):
    suspect = errors(1)
    assert suspect.after_boot(outcome, NOW) == suspect
    assert HealthRecord().after_boot(outcome, NOW) == HealthRecord()


def test_only_an_operator_ends_a_quarantine():
    quarantined = errors(QUARANTINE_AFTER)
    assert quarantined.after_boot(PASS, NOW) == quarantined
    released = quarantined.released("alice", "BMC replaced", NOW)
    assert (released.state, released.by, released.reason, released.errors_in_row) == (Health.GOOD, "alice", "BMC replaced", 0)
    with pytest.raises(HealthError, match="not quarantined .health good.: nothing to release"):
        released.released("alice", "", NOW)


def test_an_operator_quarantine_needs_a_reason_and_names_who():
    with pytest.raises(HealthError, match="needs a reason"):
        HealthRecord().quarantined("bob", "  ", NOW)
    record = HealthRecord().quarantined("bob", "fan broken", NOW)
    assert record.describe() == f"quarantined by bob since {NOW}: fan broken"
    assert HealthRecord.from_dict(record.to_dict()) == record


def test_a_broken_record_is_an_error_that_says_what_is_expected():
    with pytest.raises(HealthError, match="expected state good, suspect or quarantined"):
        HealthRecord.from_dict({"state": "sick"})
