"""Reading the master's data API for the pages: the only module here that talks to Buildbot.

The Flask app runs in the reactor's thread pool; each page makes one blocking call into the
reactor (`on_reactor`), where these coroutines run their data API queries concurrently, so a
page costs one thread hop and not one per query. Nothing here reads a worker's files: what a
worker knows reaches the master as build properties and logs (steps/boot.py, boardstate.py).
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from twisted.internet import defer, reactor
from twisted.internet.threads import blockingCallFromThread

from buildbot.data import resultspec
from rustux_bootlab.lab import contract
from rustux_bootlab.lab.contract import KERNEL_BUILDER
from rustux_bootlab.steps.dashboard.facts import BOOT_PROPERTIES, Boot, KernelRun, boot_from, kernel_run_from, prop


def on_reactor(master, coroutine_fn, *args) -> Any:
    """Run `coroutine_fn(master, *args)` on the reactor and wait for it (called from a WSGI thread)."""
    return blockingCallFromThread(reactor, lambda: defer.ensureDeferred(coroutine_fn(master, *args)))


def _spec(properties=(), **kwargs) -> resultspec.ResultSpec:
    props = [resultspec.Property(b"property", "eq", list(properties))] if properties else []
    return resultspec.ResultSpec(properties=props, **kwargs)


async def builders(master) -> dict[str, dict[str, Any]]:
    """Every builder by name."""
    return {b["name"]: b for b in await master.data.get(("builders",))}


async def builds_of(master, builderid: int, limit: int, properties=BOOT_PROPERTIES) -> list[dict[str, Any]]:
    """A builder's last `limit` builds, newest first, with `properties`."""
    return await master.data.get_with_resultspec(
        ("builders", builderid, "builds"), _spec(properties, order=["-number"], limit=limit))


async def build(master, buildid: int, properties=BOOT_PROPERTIES) -> dict[str, Any] | None:
    return await master.data.get_with_resultspec(("builds", buildid), _spec(properties))


class Finished:
    """What the pages computed from finished builds, by build id: a finished build never
    changes, so a page view queries only the builds that are new or still running."""

    def __init__(self, size: int = 2000) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable) -> Any:
        return self._kept.get(key)

    def keep(self, key: Hashable, value: Any) -> None:
        self._kept[key] = value
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)


async def _with_properties(master, found: dict[str, Any]) -> dict[str, Any]:
    """A build dict with all its properties (one query; the builds endpoint makes two)."""
    return {**found, "properties": await master.data.get(("builds", found["buildid"], "properties")) or {}}


async def kernel_runs(master, limit: int, finished: Finished) -> list[KernelRun]:
    """The last `limit` kernel builds, newest first, each with its boots."""
    named = await builders(master)
    kernel = named.get(KERNEL_BUILDER)
    if kernel is None:
        return []
    names = {b["builderid"]: b["name"] for b in named.values()}
    kbuilds = await builds_of(master, kernel["builderid"], limit, properties=())

    async def run_of(kbuild: dict[str, Any]) -> KernelRun:
        run = finished.get(kbuild["buildid"])
        if run is None:
            run = await _kernel_run(master, await _with_properties(master, kbuild), names)
            if run.complete and all(b.complete for b in run.boots):
                finished.keep(run.buildid, run)
        return run

    return list(await defer.gatherResults([defer.ensureDeferred(run_of(b)) for b in kbuilds], consumeErrors=True))


async def _kernel_run(master, kbuild: dict[str, Any], names: dict[int, str]) -> KernelRun:
    request = await master.data.get(("buildrequests", kbuild["buildrequestid"]))
    buildset = await master.data.get(("buildsets", request["buildsetid"])) if request else None
    children = await master.data.get(("builds", kbuild["buildid"], "triggered_builds"))
    boots = await defer.gatherResults(
        [defer.ensureDeferred(_with_properties(master, child)) for child in children], consumeErrors=True)
    return kernel_run_from(kbuild, (buildset or {}).get("sourcestamps") or [], (buildset or {}).get("reason"),
                           tuple(boot_from(b, names.get(b["builderid"], "")) for b in boots))


async def golden_boots(master, targets: list[str], limit: int) -> list[Boot]:
    """The golden image's last `limit` boots on each target (`golden/<target>`), newest first."""
    named = await builders(master)

    async def of(target: str) -> list[Boot]:
        builder = named.get(contract.builder(contract.GOLDEN, target))
        found = await builds_of(master, builder["builderid"], limit) if builder else []
        return [boot_from(b, builder["name"]) for b in found]

    found = await defer.gatherResults([defer.ensureDeferred(of(t)) for t in targets], consumeErrors=True)
    return sorted((b for boots in found for b in boots), key=lambda b: -b.buildid)


BOOT_STEP = "boot"  # steps/boot.py's BootStep
READ_LOGS = ("result.json", "console")  # read whole for the page; every log is also linked raw


async def boot_detail(master, buildid: int) -> dict[str, Any] | None:
    """A boot build, its boot step's logs (the ones the page shows, read; all of them listed)
    and screenshot URLs; None for no such build."""
    found = await build(master, buildid)
    if found is None:
        return None
    builder = await master.data.get(("builders", found["builderid"]))
    steps = await master.data.get(("builds", buildid, "steps"))
    step = next((s for s in steps if s["name"] == BOOT_STEP), None)
    logs, texts = [], {}
    if step is not None:
        logs = await master.data.get(("steps", step["stepid"], "logs"))
        for log in logs:
            if log["name"] in READ_LOGS:
                texts[log["name"]] = (await master.data.get(("logs", log["logid"], "contents")) or {}).get("content", "")
    return {"build": found, "buildername": builder["name"] if builder else "", "step": step, "logs": logs,
            "texts": texts, "steps": steps}


BOARD_HISTORY = 10  # builds per builder a board's row looks back on


async def board_builds(master, boards: list[str]) -> list[tuple[str, list, list, int | None]]:
    """Per board: (name, boot/<board> builds, operator/<board> builds, the operator builder's id)."""
    named = await builders(master)

    async def of(name: str) -> list[dict[str, Any]]:
        builder = named.get(name)
        return await builds_of(master, builder["builderid"], BOARD_HISTORY) if builder else []

    rows = []
    for board in boards:
        boots, actions = await defer.gatherResults(
            [defer.ensureDeferred(of(contract.builder(contract.BOOT, board))), defer.ensureDeferred(of(contract.builder(contract.OPERATOR, board)))],
            consumeErrors=True)
        operator = named.get(contract.builder(contract.OPERATOR, board))
        rows.append((board, boots, actions, operator["builderid"] if operator else None))
    return rows


async def trend_builds(master, subjects: list[str], limit: int, finished: Finished) -> list[tuple[str, list]]:
    """Per target or board: (buildid, number, milestone_times) of its boot builder's last `limit` builds."""
    named = await builders(master)

    async def times_of(found: dict[str, Any]) -> tuple[int, int, Any]:
        key = ("times", found["buildid"])
        kept = finished.get(key)  # (times,): a finished boot without times is kept too
        if kept is None:
            kept = (prop(await _with_properties(master, found), "milestone_times"),)
            if found.get("complete"):
                finished.keep(key, kept)
        return found["buildid"], found["number"], kept[0]

    async def of(subject: str) -> tuple[str, list]:
        builder = named.get(contract.builder(contract.BOOT, subject))
        found = await builds_of(master, builder["builderid"], limit, properties=()) if builder else []
        return subject, list(await defer.gatherResults([defer.ensureDeferred(times_of(b)) for b in found],
                                                       consumeErrors=True))

    return list(await defer.gatherResults([defer.ensureDeferred(of(s)) for s in subjects], consumeErrors=True))
