"""The lab dashboard in a real headless Chromium, against a real master with real boots.

One lab (a QEMU target and the virtual board `vboard-1` on its own worker) and three kernel
builds for every assertion: a forced build (PASS on both), a `bootlab try` of a patch that
breaks the kernel (FAIL/code on the target), watched live on the matrix while it runs, and
last a forced build while the board's BMC refuses the lab (ERROR/lab on the board).
Screenshots go to build/test-artifacts/dashboard/ (printed), where a person can look at them.
"""
from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import threading
import urllib.request
from pathlib import Path

import pytest
import yaml

from bootlab_support import REPO, one_target_inventory, running_lab
from browser_support import Browser
from polling import wait_until
from rustux_bootlab.steps.dashboard.app import NAME
from rustux_bootlab.harness.local_lab import free_port
from test_bootlab_try import bootlab_try, break_hello, clone  # noqa: F401 (clone: a fixture)
from test_master import operator_board_action

pytestmark = [pytest.mark.slow, pytest.mark.qemu]

TARGET, BOARD = "q35-pflash", "vboard-1"
ARTIFACTS = Path(os.environ.get("BOOTLAB_TEST_ARTIFACTS", REPO / "build" / "test-artifacts")) / "dashboard"
SUBJECT, AUTHOR = "hello: drop the greeting", "Ada Dev <ada@example.org>"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("dashlab")
    inventory = one_target_inventory(TARGET)
    full = yaml.safe_load((REPO / "lab-inventory.yaml").read_text())
    board = full["boards"][BOARD]
    board["bmc"]["port"], board["virtual"]["serial_port"] = free_port(socket.SOCK_DGRAM), free_port()
    inventory["boards"] = {BOARD: board}
    inventory["workers"][board["worker"]] = full["workers"][board["worker"]]
    yield from running_lab(root, inventory)


@pytest.fixture(scope="module")
def browser():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    print(f"\ndashboard screenshots: {ARTIFACTS}")
    b = Browser()
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="module")
def forced(lab):
    run = lab.client("developer").force_and_wait("force-kernel", timeout_s=900)
    assert {b["target"]: b["verdict"] for b in run.boots} == {TARGET: "PASS", BOARD: "PASS"}, run.boots
    return run


def page_url(lab, page: str) -> str:
    return f"{lab.web_url}plugins/wsgi_dashboards/{NAME}/{page}"


def shot(browser: Browser, session: str, name: str) -> Path:
    return browser.screenshot(session, ARTIFACTS / name)


def test_the_web_uis_menu_opens_the_dashboard(lab, forced, browser):
    session = browser.open(f"{lab.web_url}#/{NAME}", settle_s=2)
    menu = browser.evaluate(session, "[...document.querySelectorAll('.bb-sidebar-item, a, li')]"
                                     ".map(e => e.textContent.trim()).filter(t => t === 'Boot lab').length")
    assert menu >= 1, browser.dom(session)[:3000]
    # the UI's page holds the dashboard's own pages in a frame (same origin: readable here)
    rows = browser.wait_for(session, "(() => { const f = document.querySelector('iframe.bootlab-dashboard');"
                                     " const d = f && f.contentDocument; return d && d.querySelectorAll("
                                     "'table.matrix tr.run').length; })()")
    assert rows >= 1
    shot(browser, session, "menu.png")


def test_the_matrix_shows_the_forced_revision_on_the_target_and_the_board(lab, forced, browser):
    session = browser.open(page_url(lab, "matrix"))
    columns = browser.evaluate(session, "[...document.querySelectorAll('table.matrix thead th')].map(t => t.firstChild.textContent)")
    assert columns == ["kernel", TARGET, BOARD]
    environments = browser.evaluate(session, "[...document.querySelectorAll('table.matrix thead th .environment')].map(e => e.textContent)")
    assert environments == ["debian12"]  # a target's column names its environment; a board has none
    row = f"tr.run[data-buildid='{forced.kernel_buildid}']"
    assert browser.evaluate(session, f"document.querySelector(\"{row} th\").textContent").count("forced") >= 1
    cells = browser.evaluate(session, f"[...document.querySelectorAll(\"{row} td.cell\")]"
                                      ".map(c => [c.dataset.subject, c.className, c.querySelector('.verdict').textContent,"
                                      " c.querySelector('.milestone').textContent, c.querySelector('a.build').href])")
    assert [(s, cls, verdict, milestone) for s, cls, verdict, milestone, _ in cells] == [
        (TARGET, "cell pass", "PASS", "poweroff"), (BOARD, "cell pass", "PASS", forced_last(forced, BOARD))]
    boot_ids = {b["target"]: b["buildid"] for b in forced.boots}
    assert all("/#/builders/" in href for *_, href in cells)
    links = browser.evaluate(session, f"[...document.querySelectorAll(\"{row} a.verdict\")].map(a => a.href)")
    assert links == [page_url(lab, f"boot/{boot_ids[TARGET]}"), page_url(lab, f"boot/{boot_ids[BOARD]}")]
    shot(browser, session, "matrix-forced.png")


def test_the_matrix_shows_which_environment_differs_across_its_row(browser, tmp_path):
    """The matrix of an image failing on Debian 13 and passing on Debian 12 (the facts are made up:
    no environment here fails this kernel; tests/steps/test_dashboard_environments.py checks the
    decision), laid out by Chromium with the dashboard's own style sheet."""
    from tests.steps.test_dashboard_environments import environment_fault, render
    css = (REPO / "steps/dashboard/static/dashboard.css").read_text()
    page = tmp_path / "matrix.html"
    page.write_text(f"<!doctype html><html><head><style>{css}</style></head><body>{render(*environment_fault())}</body></html>")
    session = browser.open(page.as_uri(), settle_s=0)
    heads = browser.evaluate(session, "[...document.querySelectorAll('table.matrix thead th')].map(t => t.innerText.replace(/\\n/g, ' '))")
    assert heads == ["kernel", "q35-pflash debian12 QEMU 7.2.22", "q35-pflash debian13 QEMU 10.0.13", "pc-pflash debian12 QEMU 7.2.22"]
    row = browser.evaluate(session, "(() => { const r = document.querySelector('tr.comparison'), heads = [...document."
                                    "querySelectorAll('thead th')], d = r.firstElementChild.getBoundingClientRect();"
                                    " return [r.dataset.machine, Math.abs(d.left - heads[0].getBoundingClientRect().left) < 2 &&"
                                    " Math.abs(d.right - heads.at(-1).getBoundingClientRect().right) < 2, r.offsetHeight > 20,"
                                    " [...r.querySelectorAll('li .decided')].map(d => d.innerText)]; })()")
    assert row == ["q35", True, True, ["PASS", "ERROR/host"]]
    assert "the environment differs, not the code" in browser.evaluate(session, "document.querySelector('tr.comparison').innerText")
    shot(browser, session, "matrix-environments.png")


def forced_last(forced, subject: str) -> str:
    return next(b["last_milestone"] for b in forced.boots if b["target"] == subject)


def test_a_try_that_breaks_the_kernel_fills_a_fail_code_row_live(lab, forced, browser, clone, tmp_path):
    """The page is open before the try exists; its row appears and fills without a reload.
    Meanwhile the boards page names the board's boot as the holder of the board's lock."""
    session = browser.open(page_url(lab, "matrix"))
    browser.evaluate(session, "window.openedOnce = 'yes'")  # a reload would lose it
    break_hello(clone)
    subprocess.run(["git", "commit", "-qam", SUBJECT], cwd=clone, check=True)
    outcome: dict[str, tuple] = {}
    runner = threading.Thread(target=lambda: outcome.setdefault("try", bootlab_try(
        lab, clone, tmp_path / "home", lab.password("developer"))))
    runner.start()
    try:
        browser.wait_for(session, "document.querySelector('tr.run.try') !== null", timeout_s=120)
        shot(browser, session, "matrix-try-running.png")
        boards = browser.open(page_url(lab, "boards"))
        holder = browser.wait_for(boards, f"(() => {{ const a = document.querySelector(\"tr[data-board='{BOARD}'] "
                                          "td.lock a\"); return a && a.textContent; })()", timeout_s=300)
        assert holder.startswith(f"boot/{BOARD} #"), holder
        shot(browser, boards, "boards-held.png")
        browser.front(session)
        browser.wait_for(session, "(() => { const c = document.querySelector("
                                  f"\"tr.run.try td.cell[data-subject='{TARGET}']\"); return c && c.classList.contains('fail'); }})()",
                         timeout_s=300)
    finally:
        runner.join(timeout=600)
    status, output, _ = outcome["try"]
    assert status == 1, output
    assert browser.evaluate(session, "window.openedOnce") == "yes"
    head = browser.evaluate(session, "document.querySelector('tr.run.try th').innerText")
    assert SUBJECT in head and AUTHOR in head, head
    cell = browser.evaluate(session, f"document.querySelector(\"tr.run.try td.cell[data-subject='{TARGET}']\").innerText")
    assert cell.startswith("FAIL/code") and "init-started" in cell, cell
    board_cell = browser.evaluate(session, f"document.querySelector(\"tr.run.try td.cell[data-subject='{BOARD}']\").className")
    assert board_cell in ("cell fail", "cell running"), board_cell
    shot(browser, session, "matrix-try.png")


def test_the_boot_page_draws_the_milestones_and_shows_the_record(lab, forced, browser):
    boot = next(b for b in forced.boots if b["target"] == TARGET)
    session = browser.open(page_url(lab, f"boot/{boot['buildid']}"))
    bars = browser.evaluate(session, "[...document.querySelectorAll('svg.timeline')[0].querySelectorAll('rect.bar')]"
                                     ".map(r => [r.dataset.milestone, r.dataset.channel])")
    assert len(bars) == boot["milestones_reached"], bars
    assert bars[0] == ["entry", "debugcon"] and {c for _, c in bars} >= {"debugcon"}
    facts = browser.evaluate(session, "document.querySelector('dl.facts').innerText")
    assert "PASS" in facts and f"{boot['milestones_reached']}/{boot['milestones_total']}" in facts, facts
    # the fan-out boots warm and the page says which path and why: the snapshot it restored, made
    # for this boot or by an earlier one of this run (the tests share a worker's snapshot directory)
    assert re.search(r"boot path\s+warm: restored snapshot \w+", facts), facts
    firmware = browser.evaluate(session, "document.querySelector('dl.firmware').innerText")
    assert "OVMF_CODE_4M.fd" in firmware and "sha256" in firmware, firmware
    console = browser.evaluate(session, "document.querySelector('pre.console').innerText")
    assert ">>" in console and "<<" in console, console[:500]
    # the screenshot is served by the master and really loads in the browser
    assert browser.wait_for(session, "(() => { const i = document.querySelector('img.screen');"
                                     " return i && i.complete && i.naturalWidth; })()") > 100
    raw = browser.evaluate(session, "[...document.querySelectorAll('ul.raw a')].map(a => [a.textContent, a.href])")
    assert {"result.json", "timeline.log", "console", "serial.log"} <= {name for name, _ in raw}
    result_url = next(href for name, href in raw if name == "result.json")
    assert '"verdict": "PASS"' in urllib.request.urlopen(result_url, timeout=10).read().decode()
    shot(browser, session, "boot.png")


def test_the_boards_page_shows_a_quarantine_with_who_why_and_since_then_the_release(lab, forced, browser):
    assert operator_board_action(lab, "quarantine", "cooling fan replaced today")["results"] == 0
    session = browser.open(page_url(lab, "boards"))
    row = f"tr[data-board='{BOARD}']"
    cells = browser.evaluate(session, f"Object.fromEntries([...document.querySelectorAll(\"{row} td\")]"
                                      ".map(td => [td.className.split(' ')[0], td.innerText]))")
    assert cells["health"].startswith("quarantined") and "by operator" in cells["health"], cells
    assert "cooling fan replaced today" in cells["health"] and "since 20" in cells["health"], cells
    assert cells["power"] in ("on", "off"), cells
    assert cells["last-verdict"].startswith(("PASS", "FAIL")) and cells["lock"] == "free", cells
    assert cells["console"].startswith("sol"), cells
    action = browser.evaluate(session, f"document.querySelector(\"{row} td.actions a\").href")
    assert action.startswith(f"{lab.web_url}#/builders/"), action
    shot(browser, session, "boards-quarantined.png")
    assert operator_board_action(lab, "release", "fan ok")["results"] == 0
    browser.wait_for(session, f"document.querySelector(\"{row} td.health\").innerText.startsWith('good')", timeout_s=30)
    shot(browser, session, "boards.png")


def log_in(browser: Browser, session: str, lab, user: str) -> None:
    """The browser's own session with the master, made as the web UI's login makes it."""
    token = base64.b64encode(f"{user}:{lab.password(user)}".encode()).decode()
    status = browser.evaluate(session, f"fetch({lab.web_url + 'auth/login'!r}, {{credentials: 'same-origin',"
                                       f" headers: {{Authorization: 'Basic {token}'}}}}).then(r => r.status)")
    assert status == 200, f"login as {user}: HTTP {status}"


def test_operators_act_from_the_boards_row_and_no_one_else_sees_a_button(lab, forced, browser):
    """Anonymous and developer: no buttons, and the developer's forged force is refused by the
    master (403). The operator clicks power on then off, and quarantine then release: each an
    `operator/<board>` build owned by the operator, linked on the row, the row's cells following."""
    row = f"tr[data-board='{BOARD}']"
    buttons = f"[...document.querySelectorAll(\"{row} td.actions button\")].map(b => b.dataset.action)"
    session = browser.open(page_url(lab, "boards"))
    assert browser.wait_for(session, "document.body.dataset.actor") == "anonymous"
    assert browser.evaluate(session, buttons) == []
    try:
        log_in(browser, session, lab, "developer")
        session = browser.open(page_url(lab, "boards"))
        assert browser.wait_for(session, "document.body.dataset.actor") == "developer"
        assert browser.evaluate(session, buttons) == []
        builderid = int(browser.evaluate(session, f"document.querySelector(\"{row} .act\").dataset.builderid"))
        call = json.dumps({"jsonrpc": "2.0", "method": "force", "id": 1, "params": {"builderid": builderid, "action": "off"}})
        forged = browser.evaluate(session, f"fetch({lab.web_url + 'api/v2/forceschedulers/board-action'!r}, {{method: 'POST',"
                                           f" credentials: 'same-origin', headers: {{'Content-Type': 'application/json'}},"
                                           f" body: {json.dumps(call)}}}).then(r => r.status)")
        assert forged == 403
        shot(browser, session, "boards-developer.png")
        log_in(browser, session, lab, "operator")
        session = browser.open(page_url(lab, "boards"))
        assert browser.wait_for(session, "document.body.dataset.actor") == "operator"
        assert browser.evaluate(session, buttons) == ["on", "off", "cycle", "quarantine", "release"]
        click(browser, session, row, "quarantine")  # no reason: the page asks for one, nothing is forced
        assert "needs a reason" in browser.evaluate(session, f"document.querySelector(\"{row} .act .result\").innerText")
        for action, reason, cell, shows in (("on", "", "power", "on"), ("off", "", "power", "off"),
                                            ("quarantine", "rack moved", "health", "quarantined"),
                                            ("release", "rack back", "health", "good")):
            build = acted(lab, browser, session, row, action, reason)
            assert build["owner"] == "operator" and build["action"] == action, build
            browser.wait_for(session, f"document.querySelector(\"{row} td.{cell}\").innerText.startsWith('{shows}')",
                             timeout_s=60)
            if action == "quarantine":
                assert "rack moved" in browser.evaluate(session, f"document.querySelector(\"{row} td.health\").innerText")
                shot(browser, session, "boards-operator.png")
    finally:
        browser.evaluate(session, f"fetch({lab.web_url + 'auth/logout'!r}, {{credentials: 'same-origin'}}).then(r => r.status)")


def click(browser: Browser, session: str, row: str, action: str, reason: str = "") -> None:
    browser.evaluate(session, f"(() => {{ const i = document.querySelector(\"{row} .act input.reason\"); i.value = {reason!r};"
                              " i.dispatchEvent(new Event('input', {bubbles: true}));"
                              f" document.querySelector(\"{row} .act button[data-action='{action}']\").click(); }})()")


def acted(lab, browser: Browser, session: str, row: str, action: str, reason: str) -> dict:
    """Clicks `action` and waits for the build the row links to finish; its builder, owner, action."""
    before = browser.evaluate(session, f"(() => {{ const a = document.querySelector(\"{row} .act .result a\"); return a && a.href; }})()")
    click(browser, session, row, action, reason)
    href = browser.wait_for(session, f"(() => {{ const a = document.querySelector(\"{row} .act .result a\");"
                                     f" return a && a.href !== {json.dumps(before)} && a.href; }})()", timeout_s=60)
    builderid, number = map(int, re.search(r"#/builders/(\d+)/builds/(\d+)$", href).groups())
    client = lab.client(None)
    build = wait_complete(client, builderid, number)
    assert build["results"] == 0, build
    props = client.properties(build["buildid"])
    builder = client.get(f"builders/{builderid}")["builders"][0]["name"]
    assert builder == f"operator/{BOARD}", builder
    return {"owner": props.get("owner"), "action": props.get("action")}


def wait_complete(client, builderid: int, number: int) -> dict:
    return wait_until(lambda: next((b for b in client.get(f"builders/{builderid}/builds/{number}")["builds"] if b["complete"]), None),
                      120, f"build {number} of builder {builderid} complete", step_s=1)


def test_the_trends_page_charts_the_forced_boots_entry_to_final_time(lab, forced, browser):
    session = browser.open(page_url(lab, "trends"))
    for subject in (TARGET, BOARD):
        totals = browser.evaluate(session, f"[...document.querySelectorAll(\"section[data-subject='{subject}'] "
                                           "rect.point\")].map(r => Number(r.dataset.totalMs))")
        assert totals and all(0 < t < 60000 for t in totals), (subject, totals)
        keys = browser.evaluate(session, f"document.querySelector(\"section[data-subject='{subject}'] .keys\").innerText")
        assert "final" in keys and "heap" in keys, keys
    latest = browser.evaluate(session, f"document.querySelector(\"section[data-subject='{TARGET}'] .latest\").innerText")
    assert " entry -> final" in latest, latest
    shot(browser, session, "trends.png")


def test_no_secret_reaches_a_page_or_its_json(lab, forced, browser):
    secrets = [p.read_text().strip() for p in lab.secrets_dir.iterdir() if p.name != "users"]
    secrets += [lab.password(u) for u in ("developer", "operator", "admin")]
    assert any(p.name.startswith(f"{BOARD}-") for p in lab.secrets_dir.iterdir()), "the board's BMC secret exists"
    boot_ids = [b["buildid"] for b in forced.boots]
    pages = ["matrix", "matrix.json", "boards", "boards.json", "trends", "trends.json", "index.html",
             *(f"boot/{i}" for i in boot_ids), *(f"boot/{i}.json" for i in boot_ids)]
    for page in pages:
        text = urllib.request.urlopen(page_url(lab, page), timeout=30).read().decode()
        assert len(text) > 100, page
        assert not [s for s in secrets if s in text], f"a secret reached {page}"
    for page in ("matrix", "boards", "trends", f"boot/{boot_ids[0]}"):
        dom = browser.dom(browser.open(page_url(lab, page)))
        assert not [s for s in secrets if s in dom], f"a secret reached the rendered {page}"


def test_a_board_whose_bmc_refuses_the_lab_is_a_striped_error_unlike_a_red_fail(lab, forced, browser):
    """A real ERROR: the worker's BMC secret for the board goes wrong, a forced build boots the
    target (PASS) and the board (ERROR/lab, retried once); the row says so in its own colours."""
    secret = lab.secrets_dir / f"{BOARD}-bmc"
    good = secret.read_text()
    secret.write_text("not-the-password\n")
    try:
        run = lab.client("developer").force_and_wait("force-kernel", timeout_s=900)
    finally:
        secret.write_text(good)
    assert {b["target"]: b["verdict"] for b in run.boots} == {TARGET: "PASS", BOARD: "ERROR"}, run.boots
    assert next(b["culprit"] for b in run.boots if b["target"] == BOARD) == "lab", run.boots
    session = browser.open(page_url(lab, "matrix"))
    row = f"tr.run[data-buildid='{run.kernel_buildid}']"
    cells = browser.evaluate(session, f"[...document.querySelectorAll(\"{row} td.cell\")].map(c => [c.dataset.subject,"
                                      " c.className, c.innerText, getComputedStyle(c).backgroundImage,"
                                      " getComputedStyle(c).backgroundColor])")
    looks = {subject: (cls, text.split()[0], image, colour) for subject, cls, text, image, colour in cells}
    assert looks[TARGET][:2] == ("cell pass", "PASS") and looks[BOARD][:2] == ("cell error", "ERROR/lab"), looks
    assert "repeating-linear-gradient" in looks[BOARD][2] and looks[TARGET][2] == "none", looks
    shot(browser, session, "matrix-error.png")
    fail_red = browser.evaluate(session, "(() => { const c = document.createElement('td'); c.className = 'cell fail';"
                                         " document.body.appendChild(c); const s = getComputedStyle(c);"
                                         " const look = [s.backgroundImage, s.backgroundColor]; c.remove(); return look; })()")
    assert fail_red[0] == "none" and fail_red[1] != looks[BOARD][3], (fail_red, looks)
    boot = next(b for b in run.boots if b["target"] == BOARD)
    page = browser.open(page_url(lab, f"boot/{boot['buildid']}"))
    facts = browser.evaluate(page, "document.querySelector('dl.facts').innerText")
    assert "ERROR" in facts and f"check the secret '{BOARD}-bmc'" in facts and "not-the-password" not in facts, facts
    shot(browser, page, "boot-error.png")
