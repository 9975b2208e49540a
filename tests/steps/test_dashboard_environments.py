"""The matrix names each target's environment under its column (steps/dashboard/)."""
from __future__ import annotations

from pathlib import Path

from flask import render_template

from lab.inventory import load_inventory
from steps.config import compatibility_lanes
from steps.dashboard.app import LabShape, create_app
from steps.dashboard.facts import SUCCESS, boot_from, kernel_run_from
from steps.dashboard.matrix import build_matrix


def test_the_matrix_header_shows_each_targets_environment():
    boot = {"buildid": 7, "builderid": 5, "number": 7, "complete": True, "results": SUCCESS, "state_string": "done",
            "properties": {"verdict": ["PASS", "test"]}}
    kernel = {"buildid": 3, "builderid": 1, "number": 3, "complete": True, "results": SUCCESS,
              "state_string": "build successful", "properties": {"scheduler": ["push", "test"]}}
    run = kernel_run_from(kernel, [{"revision": "ab" * 20, "branch": "main", "patch": None}], None,
                          (boot_from(boot, "boot/q35-pflash-trixie"),))
    shape = LabShape(("q35-pflash", "q35-pflash-trixie"), (), "http://lab/", {"q35-pflash": "debian12",
                                                                             "q35-pflash-trixie": "debian13"})
    app = create_app(shape)
    with app.test_request_context():
        html = render_template("matrix.html", matrix=build_matrix([run], list(shape.columns)),
                               environments=shape.environments, build_url=lambda b: "#", buildbot_url="http://lab/")
    assert '<th>q35-pflash<div class="environment">debian12</div></th>' in html
    assert '<th>q35-pflash-trixie<div class="environment">debian13</div></th>' in html


def test_each_compatibility_lane_boots_the_golden_image_of_its_machine_type():
    inventory = load_inventory(Path(__file__).resolve().parents[2] / "lab-inventory.yaml")
    lanes = {t.name: base for t, base in compatibility_lanes(inventory)}
    assert lanes == {"q35-pflash-trixie": "q35-pflash", "q35-uboot": "q35-pflash", "q35-secure-boot": "q35-pflash",
                     "q35-strictnx-trixie": "q35-pflash"}
