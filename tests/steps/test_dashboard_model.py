"""The dashboard's pure logic (steps/dashboard/): matrix rows from data API builds, the
timeline's geometry, the trend series and their SVG. Plain dicts in, no master."""
from __future__ import annotations

import ast
import json
import xml.dom.minidom
from pathlib import Path

import pytest

from rustux_bootlab.steps.dashboard.boards import board_row
from rustux_bootlab.steps.dashboard.bootview import boot_view
from rustux_bootlab.steps.dashboard.facts import EXCEPTION, FAILURE, SUCCESS, boot_from, kernel_run_from
from rustux_bootlab.steps.dashboard.matrix import build_matrix
from rustux_bootlab.steps.dashboard.svg import timeline_svg, trend_svg
from rustux_bootlab.steps.dashboard.timeline import build_timeline, ticks
from rustux_bootlab.steps.dashboard.trends import build_trend, point_from

DASHBOARD = Path(__file__).resolve().parents[2] / "steps" / "dashboard"
PURE = ("facts", "matrix", "timeline", "trends", "svg", "bootview", "boards")


def props(**values):
    return {name: [value, "test"] for name, value in values.items()}


def boot_build(buildid, builderid=5, complete=True, results=SUCCESS, **properties):
    return {"buildid": buildid, "builderid": builderid, "number": buildid, "complete": complete,
            "results": results, "state_string": "done", "properties": props(**properties)}


def kernel_build(buildid, scheduler, **extra):
    return {"buildid": buildid, "builderid": 1, "number": buildid, "complete": True, "results": SUCCESS,
            "state_string": "build successful", "properties": props(scheduler=scheduler, **extra)}


def stamp(patch=None):
    return [{"revision": "ab" * 20, "branch": "main", "patch": patch}]


def test_the_pure_modules_import_neither_buildbot_twisted_nor_flask():
    for name in PURE:
        tree = ast.parse((DASHBOARD / f"{name}.py").read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            assert not any(n.split(".")[0] in ("buildbot", "twisted", "flask") for n in names), (name, names)


def test_a_try_row_carries_the_patchs_author_and_subject():
    patch = {"author": "Ada Dev <ada@example.org>", "comment": "hello: drop the greeting", "body": b"diff"}
    run = kernel_run_from(kernel_build(7, "try"), stamp(patch), "'try' job", ())
    assert (run.kind, run.author, run.subject, run.revision) == ("try", "Ada Dev <ada@example.org>",
                                                                "hello: drop the greeting", "ab" * 20)


def test_a_forced_row_names_who_forced_it_and_a_push_row_its_revision():
    forced = kernel_run_from(kernel_build(1, "force-kernel", owner="developer"), stamp(), "forced by developer", ())
    assert (forced.kind, forced.author, forced.subject) == ("forced", "developer", "forced by developer")
    pushed = kernel_run_from(kernel_build(2, "push", got_revision="cd" * 20), stamp(), "poll", ())
    assert (pushed.kind, pushed.author, pushed.revision) == ("push", None, "cd" * 20)


def test_the_matrix_has_a_column_per_target_and_board_and_the_newest_boot_per_cell():
    first = boot_from(boot_build(10, results=EXCEPTION, verdict="ERROR", culprit="lab"), "boot/q35-pflash")
    retried = boot_from(boot_build(12, verdict="PASS", boot_duration_s=5.2, last_milestone="poweroff"),
                        "boot/q35-pflash")
    board = boot_from(boot_build(11, builderid=6, results=FAILURE, verdict="FAIL", culprit="code"), "boot/vboard-1")
    gone = boot_from(boot_build(13, builderid=9, verdict="PASS"), "boot/old-target")
    run = kernel_run_from(kernel_build(3, "push"), stamp(), None, (retried, board, first, gone))
    matrix = build_matrix([run], ["q35-pflash", "pc-bios", "vboard-1"])
    assert matrix.columns == ("q35-pflash", "pc-bios", "vboard-1", "old-target")
    cells = matrix.rows[0].cells
    assert [c.buildid if c else None for c in cells] == [12, None, 11, 13]
    assert (cells[0].headline, cells[0].duration_s, cells[2].headline) == ("PASS", 5.2, "FAIL/code")


def test_error_and_fail_are_styled_apart_and_a_running_boot_is_running():
    error = boot_from(boot_build(1, results=EXCEPTION, verdict="ERROR", culprit="firmware"), "boot/t")
    fail = boot_from(boot_build(2, results=FAILURE, verdict="FAIL", culprit="code"), "boot/t")
    running = boot_from(boot_build(3, complete=False, results=None), "boot/t")
    assert (error.style, fail.style, running.style) == ("error", "fail", "running")
    assert (error.headline, running.headline) == ("ERROR/firmware", "running")
    run = kernel_run_from(kernel_build(4, "push"), stamp(), None, (running,))
    assert build_matrix([run], ["t"]).running


MILESTONES = [{"name": "entry", "t": 4.0, "channel": "debugcon"}, {"name": "banner", "t": 4.5, "channel": "debugcon"},
              {"name": "shell", "t": 6.0, "channel": "serial"}]


def test_the_timeline_has_a_lane_per_channel_and_a_bar_from_the_milestone_before():
    tl = build_timeline(MILESTONES, duration_s=8.0, width=890)
    assert tl.lanes == ("debugcon", "serial")
    assert [(b.name, b.lane, b.t0, b.t1) for b in tl.bars] == [
        ("entry", 0, 0.0, 4.0), ("banner", 0, 4.0, 4.5), ("shell", 1, 4.5, 6.0)]
    # 800 units for 8 s after the 90-unit label column
    assert [(round(b.x), round(b.width)) for b in tl.bars] == [(90, 400), (490, 50), (540, 150)]


def test_the_kernel_timeline_starts_at_entry():
    tl = build_timeline(MILESTONES, duration_s=8.0, width=890, since="entry")
    assert (tl.start_s, tl.duration_s, [b.name for b in tl.bars]) == (4.0, 2.0, ["banner", "shell"])
    assert round(tl.bars[0].x) == 90 and round(tl.bars[1].x + tl.bars[1].width) == 890


def test_axis_ticks_are_round_and_few():
    assert ticks(20.1) == [0, 5, 10, 15, 20]
    assert ticks(0.05) == [0, 0.01, 0.02, 0.03, 0.04, 0.05]


def test_the_timeline_svg_is_well_formed_and_escapes_names():
    tl = build_timeline([{"name": "a<b", "t": 1.0, "channel": "serial"}], 2.0)
    svg = timeline_svg(tl)
    xml.dom.minidom.parseString(svg)
    assert 'data-milestone="a&lt;b"' in svg and "a<b" not in svg


def test_a_trend_point_is_entry_to_final_with_the_gap_before_each_milestone():
    point = point_from(7, 3, {"entry": 4.0, "banner": 4.01, "heap": 4.04, "final": 4.1, "poweroff": 9.0})
    assert (point.start, point.total_ms, point.gaps) == ("entry", 100.0, (("banner", 10.0), ("heap", 30.0),
                                                                         ("final", 60.0)))
    assert point_from(8, 4, {"entry": 4.0, "heap": 4.2}) is None  # never reached final: not a time
    board = point_from(9, 5, {"banner": 9.0, "heap": 9.5, "final": 10.0})  # a board: no debugcon, no entry
    assert (board.start, board.total_ms, board.gaps) == ("banner", 1000.0, (("heap", 500.0), ("final", 500.0)))


def test_a_trend_is_oldest_first_and_its_svg_stacks_the_gaps_up_to_the_total():
    trend = build_trend("q35", [(9, 2, {"entry": 1.0, "final": 1.2}), (5, 1, {"entry": 1.0, "heap": 1.1, "final": 1.3}),
                                (11, 3, None)])
    assert [p.number for p in trend.points] == [1, 2] and trend.peak_ms == 300.0
    assert trend.milestones == ("final", "heap")
    svg = trend_svg(trend)
    doc = xml.dom.minidom.parseString(svg)
    points = [r for r in doc.getElementsByTagName("rect") if r.getAttribute("class") == "point"]
    assert [p.getAttribute("data-total-ms") for p in points] == ["300.0", "200.0"]


def test_the_boot_view_reads_the_record_and_links_every_log_raw():
    record = {"verdict": "FAIL", "milestones": MILESTONES, "duration_s": 8.0, "firmware": {"code": {"path": "/x.fd"}},
              "triage": {"rule": "baseline passed", "baseline": {"verdict": "PASS", "image": {"sha256": "f" * 64}}}}
    detail = {"build": boot_build(4, results=FAILURE, verdict="FAIL", culprit="code"), "buildername": "boot/q35",
              "step": {"urls": [{"name": "screen.png", "url": "http://m/plugins/bootlab_screens/4/boot/screen.png"},
                                {"name": "other", "url": "http://m/x"}]},
              "logs": [{"name": "result.json", "logid": 31}, {"name": "serial.log", "logid": 32}],
              "texts": {"result.json": json.dumps(record), "console": "  1.000 s  >> serial: ls\n"}}
    view = boot_view(detail, "http://m/api/v2/")
    assert [s.name for s in view.screens] == ["screen.png"]
    assert [l.url for l in view.raw_logs] == ["http://m/api/v2/logs/31/raw", "http://m/api/v2/logs/32/raw"]
    assert view.firmware == (("code", "path: /x.fd"),)
    assert view.triage == "baseline passed (baseline: PASS, image ffffffffffff)"
    assert view.console.startswith("  1.000 s  >>") and len(view.timeline.bars) == 3


@pytest.mark.parametrize("text", ["", "not json", "[1, 2]"])
def test_a_boot_without_a_readable_record_still_has_a_page(text):
    detail = {"build": boot_build(4, results=EXCEPTION), "buildername": "boot/q35", "texts": {"result.json": text}}
    view = boot_view(detail, "http://m/api/v2/")
    assert (view.record, view.timeline.bars, view.triage) == ({}, (), None)


def board_build(buildid, builderid, complete=True, state="done", complete_at=None, **properties):
    return {**boot_build(buildid, builderid, complete=complete, **properties), "state_string": state,
            "complete_at": complete_at}


STATE = {"board": "vboard-1", "power": "off", "console": "sol", "held_by": "-",
         "health": {"state": "quarantined", "by": "alice", "reason": "fan broken", "since": "2026-12-01T23:00:00Z"}}


def test_a_board_row_shows_the_newest_published_state_and_the_last_verdict():
    boots = [board_build(5, 2, complete_at=100, verdict="MISS", board_state={**STATE, "power": "on"}),
             board_build(3, 2, complete_at=50, verdict="PASS")]
    actions = [board_build(6, 1, complete_at=200, state="vboard-1: quarantined", board_state=STATE)]
    row = board_row("vboard-1", boots, actions, operator_builderid=1)
    assert (row.power, row.health, row.health_by, row.health_reason) == ("off", "quarantined", "alice", "fan broken")
    assert (row.health_since, row.health_style, row.console) == ("2026-12-01T23:00:00Z", "health-quarantined", "sol, free")
    assert (row.state_from.label, row.last_verdict, row.last_action.summary) == ("operator/vboard-1 #6", "MISS",
                                                                                "vboard-1: quarantined")
    assert row.lock_holder is None


def test_a_board_row_names_how_the_board_is_powered_when_the_worker_published_it():
    redfish = {**STATE, "board": "rfboard-1", "power_protocol": "redfish", "console": "rfc2217"}
    row = board_row("rfboard-1", [board_build(9, 3, complete_at=10, verdict="PASS", board_state=redfish)], [], None)
    assert (row.power, row.power_protocol, row.console) == ("off", "redfish", "rfc2217, free")


def test_the_running_build_holds_the_boards_lock_and_one_waiting_for_it_does_not():
    boots = [board_build(8, 2, complete=False, state="acquiring locks"),
             board_build(7, 2, complete=False, state="boot: 3/28 heap")]
    row = board_row("vboard-1", boots, [], operator_builderid=None)
    assert (row.lock_holder.label, row.lock_holder.summary) == ("boot/vboard-1 #7", "boot: 3/28 heap")
    assert (row.power, row.health, row.last_boot) == ("unknown (no state published yet)", "unknown", None)
