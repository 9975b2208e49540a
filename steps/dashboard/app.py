"""The dashboard's Flask app: HTTP at the edge, every page from the master's data API.

Buildbot's `wsgi_dashboards` plugin mounts it at `<buildbotURL>plugins/wsgi_dashboards/bootlab/`
and sets `app.buildbot_api` (its Application: `.master` is the running master). The web UI's
menu entry loads `index.html` into the UI's own page; scripts do not run there, so it holds
the pages in a frame, where each page updates itself (static/live.js asks for `?part=main`).
Each page also answers as JSON (`<page>.json`) for scripts and tests.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Any

from flask import Flask, abort, jsonify, render_template, request

from rustux_bootlab.steps.dashboard import fetch
from rustux_bootlab.steps.dashboard.actions import BUTTONS, SCHEDULER, boards_allowed
from rustux_bootlab.steps.dashboard.boards import board_row
from rustux_bootlab.steps.dashboard.bootview import boot_view
from rustux_bootlab.steps.dashboard.matrix import build_matrix
from rustux_bootlab.steps.dashboard.svg import legend, timeline_svg, trend_svg
from rustux_bootlab.steps.dashboard.trends import build_trend

NAME = "bootlab"
MATRIX_ROWS = 25  # kernel revisions on the matrix: the page stays fast however long the history
GOLDEN_BOOTS = 5  # golden-image boots per target the matrix's comparisons look back on
TABS = (("matrix", "Matrix"), ("boards", "Boards"), ("trends", "Trends"))
TREND_BOOTS = 40  # boots per target on the trend chart


@dataclass(frozen=True)
class LabShape:
    """What the pages need from the inventory: the matrix's columns and the boards."""

    targets: tuple[str, ...]
    boards: tuple[str, ...]
    buildbot_url: str
    environments: dict[str, str] = field(default_factory=dict)  # target -> its environment (QEMU and root)
    machines: dict[str, str] = field(default_factory=dict)  # target -> its machine type: lanes compared within one

    @property
    def columns(self) -> list[str]:
        return [*self.targets, *self.boards]


def create_app(shape: LabShape) -> Flask:
    app = Flask(__name__)
    finished = fetch.Finished()

    def master():
        api = getattr(app, "buildbot_api", None)
        if api is None:
            abort(503, "the dashboard is not attached to a Buildbot master")
        return api.master

    def build_url(build) -> str:
        return f"{shape.buildbot_url.rstrip('/')}/#/builders/{build.builderid}/builds/{build.number}"

    links = {"build_url": build_url, "buildbot_url": shape.buildbot_url.rstrip("/") + "/"}

    def page(name: str, title: str, **context: Any):
        part = f"{name}.html"
        if request.args.get("part") == "main":
            return render_template(part, **links, **context)
        return render_template("base.html", page=name, title=title, part=part, tabs=TABS, **links, **context)

    @app.route("/index.html")
    def index():
        # Injected into the web UI's page: a frame keeps the pages' own scripts and styles apart.
        return ('<iframe class="bootlab-dashboard" title="Boot lab dashboard" src="plugins/wsgi_dashboards/'
                f'{NAME}/matrix" style="width:100%;height:calc(100vh - 90px);border:0"></iframe>')

    @app.route("/matrix")
    def matrix():
        return page("matrix", "Matrix", matrix=_matrix(), environments=shape.environments)

    @app.route("/matrix.json")
    def matrix_json():
        return jsonify(_plain(_matrix()))

    @app.route("/boards")
    def boards():
        return page("boards", "Boards", rows=_boards(), buttons=BUTTONS, scheduler=SCHEDULER)

    @app.route("/boards.json")
    def boards_json():
        return jsonify([_plain(r) for r in _boards()])

    @app.route("/actions.json")
    def actions_json():
        # `user`: the name in the browser's session with the master; the force itself is checked there
        user = request.args.get("user", "")
        boards = fetch.on_reactor(master(), boards_allowed, {"username": user} if user else {"anonymous": True},
                                  list(shape.boards))
        return jsonify({"user": user, "boards": boards})

    def _boards():
        found = fetch.on_reactor(master(), fetch.board_builds, list(shape.boards))
        return [board_row(*row) for row in found]

    @app.route("/trends")
    def trends():
        charts = [(t, trend_svg(t), legend(t.milestones)) for t in _trends()]
        return page("trends", "Trends", charts=charts, limit=TREND_BOOTS)

    @app.route("/trends.json")
    def trends_json():
        return jsonify([_plain(t) for t in _trends()])

    def _trends():
        found = fetch.on_reactor(master(), fetch.trend_builds, shape.columns, TREND_BOOTS, finished)
        return [build_trend(subject, boots) for subject, boots in found]

    @app.route("/boot/<int:buildid>")
    def boot(buildid: int):
        view = _boot(buildid)
        return page("boot", f"Boot #{view.boot.number}", view=view, timeline_svg=timeline_svg(view.timeline),
                    kernel_svg=timeline_svg(view.kernel_timeline))

    @app.route("/boot/<int:buildid>.json")
    def boot_json(buildid: int):
        return jsonify(_plain(_boot(buildid)))

    def _boot(buildid: int):
        detail = fetch.on_reactor(master(), fetch.boot_detail, buildid)
        if detail is None:
            abort(404, f"no build {buildid} on this master")
        return boot_view(detail, f"{shape.buildbot_url.rstrip('/')}/api/v2/")

    def _matrix():
        runs = fetch.on_reactor(master(), fetch.kernel_runs, MATRIX_ROWS, finished)
        golden = fetch.on_reactor(master(), fetch.golden_boots, list(shape.machines), GOLDEN_BOOTS) if shape.machines else []
        return build_matrix(runs, shape.columns, shape.environments, shape.machines, golden)

    return app


def _plain(value: Any) -> Any:
    """Dataclasses -> JSON-ready dicts."""
    return asdict(value) if is_dataclass(value) else value
