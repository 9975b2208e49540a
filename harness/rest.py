"""A small client of the master's REST API (/api/v2): log in, force, wait, read boot results.

Used by the demo and the integration tests, so both look at the lab the way a user's
browser does: through the web server, authenticated, nothing read from the database.
"""
from __future__ import annotations

import base64
import http.client
import http.cookiejar
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from rustux_bootlab.lab.contract import result_name, subject_of, triggered_builds


class RestError(RuntimeError):
    """The master refused or failed a request; `status` is the HTTP status (403: not allowed)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


@dataclass
class ForcedRun:
    kernel_result: str
    kernel_state: str
    kernel_buildid: int
    boots: list[dict] = field(default_factory=list)
    timing: dict[str, float] = field(default_factory=dict)


class RestClient:
    def __init__(self, base_url: str, user: str | None, password: str | None) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        if user is not None:
            self._login(user, password or "")

    def _login(self, user: str, password: str) -> None:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        request = urllib.request.Request(self.base_url + "auth/login", headers={"Authorization": f"Basic {token}"})
        try:
            self.opener.open(request, timeout=30).read()
        except urllib.error.HTTPError as e:
            raise RestError(e.code, f"login as {user!r} refused") from e

    def _open(self, request: urllib.request.Request) -> dict:
        try:
            with self.opener.open(request, timeout=60) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as e:
            raise RestError(e.code, e.read().decode(errors="replace")[:500]) from e

    def get(self, path: str) -> dict:
        # A GET is safe to repeat: a busy master sometimes cuts a response short (IncompleteRead).
        for _ in range(2):
            try:
                return self._open(urllib.request.Request(self.base_url + "api/v2/" + path))
            except (http.client.IncompleteRead, ConnectionResetError):
                time.sleep(1)
        return self._open(urllib.request.Request(self.base_url + "api/v2/" + path))

    def raw_log(self, logid: int) -> str:
        try:
            with self.opener.open(f"{self.base_url}api/v2/logs/{logid}/raw", timeout=60) as response:
                return response.read().decode(errors="replace")
        except urllib.error.HTTPError as e:
            raise RestError(e.code, f"log {logid}") from e

    def control(self, path: str, method: str, **params) -> object:
        body = json.dumps({"jsonrpc": "2.0", "method": method, "id": 1, "params": params}).encode()
        request = urllib.request.Request(self.base_url + "api/v2/" + path, data=body,
                                         headers={"Content-Type": "application/json"})
        return self._open(request)["result"]

    def force(self, scheduler: str, **params) -> tuple[int, dict[str, int]]:
        bsid, brids = self.control(f"forceschedulers/{scheduler}", "force", **params)
        return bsid, brids

    def wait_buildset(self, bsid: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.get(f"buildsets/{bsid}")["buildsets"][0]["complete"]:
                return
            time.sleep(1)
        raise TimeoutError(f"buildset {bsid} not complete after {timeout_s:.0f} s")

    def builds_of_request(self, brid: int) -> list[dict]:
        return self.get(f"buildrequests/{brid}/builds")["builds"]

    def properties(self, buildid: int) -> dict[str, object]:
        props = self.get(f"builds/{buildid}/properties")["properties"][0]
        return {name: value for name, (value, _source) in props.items()}

    def steps(self, buildid: int) -> list[dict]:
        return self.get(f"builds/{buildid}/steps")["steps"]

    def child_builds(self, buildid: int) -> list[dict]:
        """Builds triggered by `buildid` (the fan-out's boot builds), the last try of each request."""
        return triggered_builds(self.get, buildid)

    def force_and_wait(self, scheduler: str, timeout_s: float, **params) -> ForcedRun:
        bsid, brids = self.force(scheduler, **params)
        self.wait_buildset(bsid, timeout_s)
        kernel = max(self.builds_of_request(next(iter(brids.values()))), key=lambda b: b["number"])  # a retried one's last
        run = ForcedRun(result_name(kernel["results"]), kernel["state_string"], kernel["buildid"])
        kernel_steps = self.steps(kernel["buildid"])
        boot_steps = []
        worker_names = {w["workerid"]: w["name"] for w in self.get("workers")["workers"]}
        for child in self.child_builds(kernel["buildid"]):
            steps = self.steps(child["buildid"])
            boot_steps.append(steps)
            run.boots.append(self._boot_row(child, steps, worker_names))
        run.boots.sort(key=lambda r: r["target"])
        run.timing = split_timing(kernel_steps, boot_steps)
        return run

    def force_boots(self, scheduler: str, timeout_s: float, **params) -> list[dict]:
        """Force builds that boot on their own (`force-golden`), wait, and each one's boot row."""
        bsid, brids = self.force(scheduler, **params)
        self.wait_buildset(bsid, timeout_s)
        worker_names = {w["workerid"]: w["name"] for w in self.get("workers")["workers"]}
        builds = [max(self.builds_of_request(brid), key=lambda b: b["number"]) for brid in brids.values()]
        return sorted((self._boot_row(b, self.steps(b["buildid"]), worker_names) for b in builds), key=lambda r: r["target"])

    def _boot_row(self, build: dict, steps: list[dict], worker_names: dict[int, str]) -> dict:
        builder = self.get(f"builders/{build['builderid']}")["builders"][0]["name"]
        props = self.properties(build["buildid"])
        return {
            "target": subject_of(builder), "builder": builder, "buildid": build["buildid"],
            "worker": worker_names.get(build["workerid"]),
            "result": result_name(build["results"]), "verdict": props.get("verdict"),
            "culprit": props.get("culprit"), "reason": props.get("reason"), "last_milestone": props.get("last_milestone"),
            "milestones_reached": props.get("milestones_reached"),
            "milestones_total": props.get("milestones_total"), "boot_s": props.get("boot_duration_s"),
            "summary": next((s["state_string"] for s in steps if s["name"] == "boot"), None),
            "environment": props.get("environment"),  # {name, qemu} of a QEMU boot: what ran it
        }


def split_timing(kernel_steps: list[dict], boot_steps: list[list[dict]]) -> dict[str, float]:
    """Forced -> last verdict, split into build (checkout, compile, pack), transfer (upload to
    the master, staged onto the boot workers: the slowest one) and boots (first
    boot start to last boot end). Buildbot stamps steps in whole seconds."""
    def span(steps, names):
        chosen = [s for s in steps if s["name"] in names and s["started_at"] and s["complete_at"]]
        return sum(s["complete_at"] - s["started_at"] for s in chosen)

    build = span(kernel_steps, {"checkout", "kernel", "pack"})
    upload = span(kernel_steps, {"upload"})
    staging = max((span(s, {"stage"}) for s in boot_steps), default=0)
    boots = [s for steps in boot_steps for s in steps if s["name"] == "boot" and s["complete_at"]]
    boot_wall = (max(s["complete_at"] for s in boots) - min(s["started_at"] for s in boots)) if boots else 0
    return {"build_s": float(build), "transfer_s": float(upload + staging), "boots_s": float(boot_wall)}

