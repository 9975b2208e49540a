"""The matrix's environment dimension (steps/dashboard/): each target's environment under its
column; one target booted on hosts of two distributions gets a column for each; where one image
passes on one lane and fails on another of the same machine type, the row shows the comparison
and lab/environments.py's decision, from the golden image's boot on the failing lane."""
from __future__ import annotations

import json
from pathlib import Path

from flask import render_template

from rustux_bootlab.lab.inventory import load_inventory
from rustux_bootlab.steps.config import compatibility_lanes
from rustux_bootlab.steps.dashboard.app import LabShape, _plain, create_app
from rustux_bootlab.steps.dashboard.facts import FAILURE, SUCCESS, boot_from, kernel_run_from
from rustux_bootlab.steps.dashboard.matrix import build_matrix

ENVIRONMENTS = {"q35-pflash": "debian12", "pc-pflash": "debian12"}
MACHINES = {"q35-pflash": "q35", "pc-pflash": "pc"}
HANG = "hung after heap: no 'timer' within 15 s"


def boot(buildid: int, target: str, verdict: str, env: dict | None, culprit: str | None = None, role: str = "boot") -> object:
    props = {"verdict": [verdict, "test"], "culprit": [culprit, "test"], "reason": [HANG if culprit else "all reached", "test"],
             "last_milestone": ["heap", "test"]}
    if env is not None:
        props["environment"] = [env, "test"]
    build = {"buildid": buildid, "builderid": 5, "number": buildid, "complete": True,
             "results": SUCCESS if verdict == "PASS" else FAILURE, "state_string": "done", "properties": props}
    return boot_from(build, f"{role}/{target}")


def run(buildid: int, *boots):
    kernel = {"buildid": buildid, "builderid": 1, "number": buildid, "complete": True, "results": SUCCESS,
              "state_string": "build successful", "properties": {"scheduler": ["push", "test"]}}
    return kernel_run_from(kernel, [{"revision": "ab" * 20, "branch": "main", "patch": None}], None, tuple(boots))


D12 = {"name": "debian12", "qemu": "7.2.22"}
D13 = {"name": "debian13", "qemu": "10.0.13"}


def render(matrix, shape: LabShape) -> str:
    with create_app(shape).test_request_context():
        return render_template("matrix.html", matrix=matrix, environments=shape.environments,
                               build_url=lambda b: "#", buildbot_url="http://lab/")


def test_the_matrix_header_shows_each_targets_environment():
    shape = LabShape(("q35-pflash", "q35-pflash-trixie"), (), "http://lab/", {"q35-pflash": "debian12",
                                                                             "q35-pflash-trixie": "debian13"})
    one = run(3, boot(7, "q35-pflash-trixie", "PASS", None))
    html = render(build_matrix([one], list(shape.columns)), shape)
    assert '<th>q35-pflash<div class="environment">debian12</div></th>' in html
    assert '<th>q35-pflash-trixie<div class="environment">debian13</div></th>' in html


def test_a_target_booted_on_two_distributions_has_a_column_for_each_with_its_qemu():
    rows = [run(10, boot(11, "q35-pflash", "PASS", D13), boot(12, "pc-pflash", "PASS", D12)),
            run(3, boot(4, "q35-pflash", "PASS", D12), boot(5, "pc-pflash", "PASS", None))]
    matrix = build_matrix(rows, ["q35-pflash", "pc-pflash", "vboard-1"], ENVIRONMENTS, MACHINES)
    assert list(zip(matrix.columns, matrix.environments, matrix.qemus)) == [
        ("q35-pflash", "debian12", "7.2.22"), ("q35-pflash", "debian13", "10.0.13"), ("pc-pflash", "debian12", "7.2.22"),
        ("vboard-1", None, None)]
    assert [c and c.buildid for c in matrix.rows[0].cells] == [None, 11, 12, None]
    assert [c and c.buildid for c in matrix.rows[1].cells] == [4, None, 5, None]  # no environment said: the inventory's
    assert not any(r.comparisons for r in matrix.rows)  # every lane passed: nothing to compare
    html = render(matrix, LabShape(("q35-pflash", "pc-pflash"), ("vboard-1",), "http://lab/", ENVIRONMENTS, MACHINES))
    assert '<th>q35-pflash<div class="environment">debian13</div><div class="qemu">QEMU 10.0.13</div></th>' in html


def environment_fault() -> tuple[object, LabShape]:
    """A push whose image fails on q35-pflash on Debian 13 (and the golden image too) and passes on
    Debian 12, rendered with the lab's shape (also in a browser: tests/integration/test_dashboard.py)."""
    env_fault = run(20, boot(21, "q35-pflash", "PASS", D12), boot(22, "q35-pflash", "FAIL", D13, "code"),
                    boot(23, "pc-pflash", "FAIL", D12, "code"))
    golden = [boot(25, "q35-pflash", "FAIL", D13, "code", role="golden"), boot(24, "q35-pflash", "PASS", D12, role="golden")]
    return build_matrix([env_fault], list(MACHINES), ENVIRONMENTS, MACHINES, golden), \
        LabShape(tuple(MACHINES), (), "http://lab/", ENVIRONMENTS, MACHINES)


def test_an_image_failing_on_one_environment_shows_the_comparison_and_the_rules_decision():
    """Row 5 of lab/environments.py (the golden image fails there too: the environment's fault,
    another QEMU: ERROR/host) and row 7 (the golden image passes there: FAIL/code, fails only there)."""
    env_fault = run(20, boot(21, "q35-pflash", "PASS", D12), boot(22, "q35-pflash", "FAIL", D13, "code"),
                    boot(23, "pc-pflash", "FAIL", D12, "code"))
    code_fault = run(30, boot(31, "q35-pflash", "PASS", D12), boot(32, "q35-pflash", "FAIL", D13, "code"))
    golden_fails = [boot(25, "q35-pflash", "FAIL", D13, "code", role="golden"), boot(24, "q35-pflash", "PASS", D12, role="golden")]
    golden_passes = [boot(35, "q35-pflash", "PASS", D13, role="golden"), *golden_fails]
    decided = build_matrix([env_fault], list(MACHINES), ENVIRONMENTS, MACHINES, golden_fails).rows[0].comparisons
    assert [c.machine for c in decided] == ["q35"]  # pc failed on its only lane: nothing differs there
    ok, bad = decided[0].decisions
    assert (ok.lane, ok.own, ok.decided.verdict.value) == ("q35-pflash (debian12, 7.2.22)", "PASS", "PASS")
    assert (bad.lane, bad.own, bad.decided.verdict.value, bad.decided.culprit.value) == (
        "q35-pflash (debian13, 10.0.13)", "FAIL/code", "ERROR", "host")
    assert bad.decided.reason.startswith("q35-pflash (debian13, 10.0.13) fails the golden image too")
    assert "passes on q35-pflash (debian12, 7.2.22): the environment differs, not the code" in bad.decided.reason

    matrix = build_matrix([code_fault, env_fault], list(MACHINES), ENVIRONMENTS, MACHINES, golden_passes)
    bad = matrix.rows[0].comparisons[0].decisions[1]
    assert (bad.decided.verdict.value, bad.decided.culprit.value) == ("FAIL", "code")
    assert bad.decided.reason == f"fails only on q35-pflash (debian13, 10.0.13); passes on q35-pflash (debian12, 7.2.22): {HANG}"
    unknown = build_matrix([code_fault], list(MACHINES), ENVIRONMENTS, MACHINES, []).rows[0].comparisons[0].decisions[1]
    assert "golden image not booted on q35-pflash: cannot tell whose" in unknown.decided.reason

    shape = LabShape(tuple(MACHINES), (), "http://lab/", ENVIRONMENTS, MACHINES)
    html = render(matrix, shape)  # the golden image's newest boot on the lane decides every row
    assert html.count('<tr class="comparison"') == 2 and html.count('<span class="decided">FAIL/code</span>') == 2
    assert "fails only on q35-pflash (debian13, 10.0.13); passes on q35-pflash (debian12, 7.2.22)" in html
    html = render(*environment_fault())
    assert html.count('<tr class="comparison"') == 1 and '<span class="decided">ERROR/host</span>' in html
    as_json = json.loads(json.dumps(_plain(environment_fault()[0])))  # matrix.json
    assert as_json["rows"][0]["comparisons"][0]["decisions"][1]["decided"]["culprit"] == "host"


def test_each_compatibility_lane_boots_the_golden_image_of_its_machine_type():
    inventory = load_inventory(Path(__file__).resolve().parents[2] / "lab-inventory.yaml")
    lanes = {t.name: base for t, base in compatibility_lanes(inventory)}
    assert lanes == {"q35-pflash-trixie": "q35-pflash", "q35-uboot": "q35-pflash", "q35-secure-boot": "q35-pflash",
                     "q35-strictnx-trixie": "q35-pflash"}
