"""The chaos soak's checker (harness/chaos/checker.py): what went in against what came out."""
from rustux_bootlab.harness.chaos.checker import BootRun, KernelRun, Recovery, Window, check, recovery_table

TARGETS = ("q35", "vboard-1")
PASS, FAILURE, RETRY, CANCELLED = 0, 2, 5, 6


def kernel(buildid=1, bad=False, fanned=TARGETS, results=0):
    return KernelRun(buildid, bad, fanned, results)


def boot(target, verdict="PASS", culprit=None, results=PASS, kernel_buildid=1, at=100.0, bad=False):
    return BootRun(kernel_buildid, bad, target, results, verdict, culprit, at, at + 10)


def run(kernels, boots, faults=(), pending=(), orphans=(), boards=(), unrecovered=()):
    return check(list(kernels), list(boots), list(pending), list(orphans), list(boards), list(faults), list(unrecovered))


def test_one_final_verdict_per_target_is_all_well():
    c = run([kernel()], [boot("q35"), boot("vboard-1")])
    assert c.ok() and c.line() == "lost=0 duplicated=0 false_fail=0 stuck=0 orphans=0" and c.boots == 2


def test_a_retried_boot_then_its_verdict_counts_once():
    c = run([kernel()], [boot("q35", "ERROR", "lab", RETRY), boot("q35"), boot("vboard-1")])
    assert c.ok() and c.boots == 2


def test_a_target_without_a_final_verdict_is_lost():
    c = run([kernel()], [boot("q35"), boot("vboard-1", "ERROR", "lab", RETRY)])
    assert (c.lost, c.ok()) == (1, False)


def test_a_final_build_with_no_verdict_is_lost():
    assert run([kernel()], [boot("q35"), boot("vboard-1", None, None, FAILURE)]).lost == 1


def test_a_kernel_build_that_never_fanned_out_is_lost_unless_collapsed():
    assert run([kernel(fanned=(), results=FAILURE)], []).lost == 1
    assert run([KernelRun(None, False, (), None)], []).lost == 1
    c = run([KernelRun(None, False, (), 3)], [])
    assert c.ok() and c.collapsed == 1


def test_two_final_verdicts_for_one_target_are_duplicated():
    c = run([kernel()], [boot("q35"), boot("q35"), boot("vboard-1")])
    assert c.duplicated == 1


def test_the_boots_of_a_retried_kernel_build_are_superseded_by_its_retry():
    final = [boot("q35", kernel_buildid=2), boot("vboard-1", kernel_buildid=2)]
    c = run([kernel(2)], [*final, boot("q35", kernel_buildid=1), boot("pc", None, None, CANCELLED, kernel_buildid=1)])
    assert c.ok() and (c.superseded, c.boots) == (2, 2)
    c = run([kernel(2)], [*final, boot("q35", "FAIL", "code", FAILURE, kernel_buildid=1)])
    assert c.false_fail == 1, "a false FAIL is one wherever it shows"


def test_a_boot_of_a_target_not_fanned_out_to_is_duplicated():
    assert run([kernel()], [boot("q35"), boot("vboard-1"), boot("pc")]).duplicated == 1


def test_fail_code_for_a_known_good_kernel_is_a_false_fail():
    c = run([kernel()], [boot("q35", "FAIL", "code", FAILURE), boot("vboard-1")])
    assert c.false_fail == 1 and not c.ok()


def test_a_known_bad_kernel_must_fail_not_pass():
    assert run([kernel(bad=True)], [boot("q35", "FAIL", "code", FAILURE), boot("vboard-1", "FAIL", "code", FAILURE)]).ok()
    c = run([kernel(bad=True)], [boot("q35", "FAIL", "code", FAILURE), boot("vboard-1")])
    assert c.missed_bad == 1 and not c.ok()


def test_pending_builds_boards_left_on_and_unrecovered_faults_are_stuck():
    c = run([kernel()], [boot("q35"), boot("vboard-1")], pending=["build request 7"], boards=["vboard-1 locked"],
            unrecovered=["kill crossbar"])
    assert c.stuck == 3


def test_processes_left_behind_are_orphans():
    assert run([kernel()], [boot("q35"), boot("vboard-1")], orphans=["qemu-2 41: qemu-system-x86_64"]).orphans == 1


def test_lab_errors_are_told_apart_by_whether_a_fault_was_under_way():
    boots = [boot("q35", "ERROR", "lab", at=100), boot("vboard-1", "ERROR", "board", at=500)]
    c = run([kernel()], boots, faults=[Window(105, 130)])
    assert (c.lab_errors, c.lab_errors_quiet) == (2, 1) and c.ok()


def test_the_recovery_table_gives_median_and_max_per_fault_kind():
    table = recovery_table([Recovery("kill", 2.0), Recovery("kill", 4.0), Recovery("kill", 9.0), Recovery("stop", None),
                            Recovery("partition", 1.0, noticed_s=45.0)])
    assert "| kill | 3 | 3 | 4.0 | 9.0 | - |" in table
    assert "| stop | 1 | 0 | - | - | - |" in table
    assert "| partition | 1 | 1 | 1.0 | 1.0 | 45 / 45 |" in table
