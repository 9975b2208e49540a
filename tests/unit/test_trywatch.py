"""How `bootlab try` prints a boot's stdio lines (workers/tryjob/watch.py): the triage boot's lines
are marked as the baseline's, so they never read as the tried image's."""
from __future__ import annotations

import http.server
import threading

import pytest

from rustux_bootlab.lab.matcher import MilestoneHit
from rustux_bootlab.lab.record import event_line, milestone_line, verdict_line
from rustux_bootlab.lab.verdict import Culprit, Outcome, Verdict
from rustux_bootlab.workers.tryjob.watch import BootSeen, TryWatch, WatchError

T = "q35-pflash"


def said(lines: list[str]) -> list[str]:
    out: list[str] = []
    watch = TryWatch("http://unused/", "id", say=out.append)
    seen = BootSeen(T, 7, "http://lab/#/builders/2/builds/7")
    for line in lines:
        watch._line(seen, line)
    return out


def hit(name: str, t: float) -> MilestoneHit:
    return MilestoneHit(name=name, t=t, channel="serial", line=name)


def test_the_baselines_milestones_are_labelled_and_the_verdict_is_the_tried_images():
    out = said([
        milestone_line(1, 31, hit("entry", 4.1)),
        event_line("triage: FAIL (code): init died; booting baseline golden/esp on q35-pflash"),
        milestone_line(1, 31, hit("entry", 0.2)),
        milestone_line(31, 31, hit("poweroff", 0.9)),
        verdict_line(Outcome(Verdict.FAIL, Culprit.CODE, "init died", "init-started")),
    ])
    assert out[0].startswith(f"{T}: ok  1/31 entry")
    assert out[1].startswith(f"{T}: FAIL (code): init died; triage boots the last image that passed here")
    assert out[2].startswith(f"{T} baseline: ok  1/31 entry") and out[3].startswith(f"{T} baseline: ok 31/31 poweroff")
    assert out[4].startswith(f"{T}: FAIL/code init died")


def test_a_boot_without_triage_has_no_baseline_lines():
    out = said([milestone_line(1, 31, hit("entry", 4.1)), verdict_line(Outcome(Verdict.PASS, None, "", "poweroff"))])
    assert [line.split(":")[0] for line in out] == [T, T]


class Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        body = b'{"masters": []}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve(port: int = 0) -> http.server.HTTPServer:
    server = http.server.HTTPServer(("127.0.0.1", port), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_a_master_restarting_under_a_try_is_waited_for_a_wrong_address_is_not():
    """A real web server on a free port, stopped after its first answer and started again on
    the same port a moment later, as a supervisor restarts a master."""
    server = serve()
    port = server.server_address[1]
    watch = TryWatch(f"http://127.0.0.1:{port}/", "id", say=print)
    assert watch.get("masters") == {"masters": []}
    server.shutdown()
    server.server_close()
    later = threading.Timer(1.5, lambda: restarted.append(serve(port)))
    restarted: list[http.server.HTTPServer] = []
    later.start()
    try:
        assert watch.get("masters") == {"masters": []}
    finally:
        later.join()
        for s in restarted:
            s.shutdown()
            s.server_close()
    never = TryWatch(f"http://127.0.0.1:{port}/", "id", say=print)
    with pytest.raises(WatchError, match="pass --web URL"):
        never.get("masters")
