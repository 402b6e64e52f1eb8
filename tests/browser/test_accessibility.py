"""axe-core on every page: no serious or critical accessibility violation.

axe comes from npm (node_modules/axe-core) and is added to each page by Playwright's
add_script_tag(path=...), which injects the script's text: the pages' CSP (`script-src
'self'`) refuses that inline script, so axe is first served as a same-origin file instead
(a route answered by the test, only in tests; the server never serves node_modules).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from playwright.sync_api import Error as PlaywrightError

from tests.browser.pages import api
from tests.browser.test_analysis import small_doc

ROOT = Path(__file__).absolute().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_URL = "/static/test-only/axe.min.js"
SERIOUS = {"serious", "critical"}


def wait_state(page: Page, path: str, done, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = api(page, "GET", path)
        if done(body):
            return body
        page.wait_for_timeout(300)
    raise AssertionError(f"{path} did not finish")


@pytest.fixture(scope="module")
def site(browser: Browser, live_url: str) -> Iterator[dict]:
    """One workspace with a scenario, finished runs, a batch, a live run and share links."""
    context = browser.new_context(base_url=live_url, viewport={"width": 1400, "height": 900})
    context.route(
        f"**{AXE_URL}",
        lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"),
    )
    page = context.new_page()
    page.goto("/")
    scenario = api(page, "POST", "scenarios", {"doc": small_doc()})
    runs = [
        api(page, "POST", "runs", {"scenario_id": scenario["id"], "seed": s, "mode": "batch"})
        for s in (1, 2)
    ]
    for run in runs:
        wait_state(page, f"runs/{run['id']}", lambda r: r["state"] == "succeeded")
    batch = api(
        page,
        "POST",
        "runs/batch",
        {
            "scenario_id": scenario["id"],
            "seed": 1,
            "param": "links[0].timeout_ms",
            "values": [40, 80],
        },
    )
    wait_state(page, f"runs/batch/{batch['id']}", lambda b: b["done"])
    live = api(
        page,
        "POST",
        "runs",
        {"scenario_id": scenario["id"], "seed": 3, "speed": 0.01, "mode": "live"},
    )
    run_share = api(page, "POST", "shares", {"run_id": runs[0]["id"]})
    scenario_share = api(page, "POST", "shares", {"scenario_id": scenario["id"]})
    yield {
        "context": context,
        "page": page,
        "scenario": scenario["id"],
        "runs": [r["id"] for r in runs],
        "batch": batch["id"],
        "live": live["id"],
        "run_share": run_share["url"],
        "scenario_share": scenario_share["url"],
    }
    api(page, "POST", f"runs/{live['id']}/cancel")
    context.close()


# (name, how to build the URL from the site, a selector that shows the page has drawn)
PAGES = [
    ("gallery", lambda s: "/", ".card svg"),
    ("editor-new", lambda s: "/scenarios/new", "#graph canvas"),
    ("editor", lambda s: f"/scenarios/{s['scenario']}/", "#graph canvas"),
    ("run-live", lambda s: f"/runs/{s['live']}/", "#live-workers:not(:empty)"),
    ("run-replay", lambda s: f"/runs/{s['runs'][0]}/", "#replay-seek"),
    ("requests", lambda s: f"/runs/{s['runs'][0]}/requests/", "#requests button"),
    ("compare", lambda s: f"/compare/{s['runs'][0]}/{s['runs'][1]}/", "#diff table"),
    ("sweep", lambda s: f"/sweeps/new?scenario={s['scenario']}", "main"),
    ("batch", lambda s: f"/batches/{s['batch']}/", "#variants"),
    ("shared-run", lambda s: s["run_share"], "#replay-seek"),
    ("shared-scenario", lambda s: s["scenario_share"], "#graph canvas"),
    ("shares", lambda s: "/shares/", "main"),
    ("login", lambda s: "/accounts/login/", "form"),
    ("signup", lambda s: "/accounts/signup/", "form"),
]

RUN_AXE = """async () => {
    const result = await window.axe.run(document, {resultTypes: ["violations"]});
    return result.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " :: " + n.failureSummary),
    }));
}"""


def axe_violations(page: Page) -> list[dict]:
    """Run axe on the page as it is now; its serious and critical violations."""
    page.add_script_tag(url=AXE_URL)
    page.wait_for_function("() => Boolean(window.axe)")
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in SERIOUS]


def test_an_inline_axe_script_is_refused_by_the_csp(site):
    """Why axe arrives as a file: the page's CSP blocks add_script_tag(path=...)."""
    page = site["context"].new_page()
    try:
        page.goto("/")
        with pytest.raises(PlaywrightError, match="Content Security Policy"):
            page.add_script_tag(path=str(AXE))
        assert page.evaluate("() => window.axe === undefined")
    finally:
        page.close()


@pytest.mark.parametrize("name,url,ready", PAGES, ids=[p[0] for p in PAGES])
def test_the_page_has_no_serious_accessibility_violations(site, name, url, ready):
    page = site["context"].new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(f"page error: {err}"))
    try:
        page.goto(url(site))
        page.wait_for_selector(ready, timeout=30_000)
        page.wait_for_timeout(500)  # let late panels settle (charts, labels)
        violations = axe_violations(page)
        assert violations == [], f"{name}: {violations}"
        assert not errors, errors
    finally:
        page.close()


def test_following_a_request_adds_no_serious_accessibility_violations(site):
    """The follow panel with its sequence diagram, and the capture buttons, pass axe too."""
    page = site["context"].new_page()
    try:
        page.goto(f"/runs/{site['runs'][0]}/#t=2")
        page.wait_for_function("() => window.mscommReplay && window.mscommReplay.length > 0")
        page.evaluate("() => window.mscommReplay.pause()")
        page.wait_for_function("() => window.mscommFollow.stats().requests > 0")
        page.locator("#follow-pick").select_option(index=1)
        page.wait_for_selector("#follow-sequence svg .seq-lane")
        violations = axe_violations(page)
        assert violations == [], violations
    finally:
        page.close()
