"""The lab dashboard in Buildbot's web UI: matrix, boards, boot, trends (issue 11).

A Flask app (app.py) served through the `buildbot-wsgi-dashboards` www plugin, which adds
the "Boot lab" entry to the web UI's menu and hands the app the master's data API. Pure
logic (the matrix rows, timeline geometry, trend series, SVG) lives in plain modules next
to it; fetch.py is the only one that queries the master.

    c["www"]["plugins"]["wsgi_dashboards"] = plugin_config(...)   # steps/config.py does this
"""
from __future__ import annotations

from typing import Any

PLUGIN = "wsgi_dashboards"


def plugin_config(targets: list[str], boards: list[str], buildbot_url: str, environments: dict[str, str] | None = None,
                  machines: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """`environments`: each target's environment, shown under its column; `machines`: each
    target's machine type (the matrix compares the lanes of one)."""
    # Imported here: Flask is needed only by a master that serves the UI.
    from rustux_bootlab.steps.dashboard.app import NAME, LabShape, create_app

    app = create_app(LabShape(tuple(targets), tuple(boards), buildbot_url, dict(environments or {}), dict(machines or {})))
    return [{"name": NAME, "caption": "Boot lab", "app": app, "order": 1, "icon": "table"}]

