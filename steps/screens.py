"""Screenshots in the web UI: the boot record's PNGs, kept and served by the master.

Buildbot's logs are text, so the boot step copies the record's screenshots (`screen.png`,
the last frame, and `screen-<milestone>.png`, the frame each screen milestone or step was
read from) from the worker into the master's `screens/<buildid>/<step>/` and links each
from the step (a step URL: one click from the build page). This www plugin serves that
directory at `<buildbotURL>plugins/bootlab_screens/`; like the rest of the UI's reading,
it is open to anyone who can reach the UI.

    c["www"]["plugins"]["bootlab_screens"] = {}      # steps/config.py does this
"""
from __future__ import annotations

import os
from pathlib import Path

from twisted.web import resource, static

PLUGIN = "bootlab_screens"
SCREENS_DIR = "screens"
SCREEN = "screen.png"


class ScreensApp:
    """What Buildbot's www service asks of a plugin (buildbot.www.plugin.Application)."""

    description = "boot record screenshots"
    version = "1"
    ui = False

    def __init__(self) -> None:
        self.master = None
        self.resource: resource.Resource = resource.NoResource()

    def setMaster(self, master) -> None:  # noqa: N802 (Buildbot's name)
        self.master = master

    def setConfiguration(self, config) -> None:  # noqa: N802
        root = Path(self.master.basedir) / SCREENS_DIR
        root.mkdir(parents=True, exist_ok=True)
        files = static.File(str(root), defaultType="application/octet-stream")
        files.directoryListing = lambda: resource.NoResource()  # links come from the steps
        # The UI loads every plugin's scripts.js and styles.css: give it empty ones.
        files.putChild(b"scripts.js", static.Data(b"", "text/javascript"))
        files.putChild(b"styles.css", static.Data(b"", "text/css"))
        self.resource = files


ep = ScreensApp()


def screen_names(milestones: list[str]) -> list[str]:
    """The screenshots a record may hold: the last frame, then one per matched milestone."""
    return [SCREEN, *(f"screen-{name}.png" for name in milestones)]


def keep(master_basedir: str, buildid: int, step: str, name: str, data: bytes) -> str:
    """Store one screenshot on the master; returns its path under the plugin's URL."""
    if os.sep in name or name.startswith("."):
        raise ValueError(f"screenshot name {name!r} is not a plain file name")
    relative = f"{buildid}/{_plain(step)}/{name}"
    path = Path(master_basedir) / SCREENS_DIR / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return relative


def url(buildbot_url: str, relative: str) -> str:
    return f"{buildbot_url.rstrip('/')}/plugins/{PLUGIN}/{relative}"


def _plain(step: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in step)
