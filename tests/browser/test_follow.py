"""Following one request on the run view: pick it on the graph or from the list, its hops
light up while the rest dims, its sequence diagram grows, and the breakpoints pause the
replay (at the exact moment) and the live run (through the pause control)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.pages import api
from tests.browser.test_sharing import all_frames, wait_finished

SCENARIO = {
    "format": "mscomm.scenario/1",
    "name": "Orders ask stock and payment",
    "seed": 4,
    "duration_s": 6,
    "drain_s": 2,
    "nodes": [
        {"id": "order", "kind": "service", "label": "Order", "work_ms": 2, "instances": 3},
        {
            "id": "pay",
            "kind": "service",
            "label": "Payment",
            "work_ms": 30,
            "workers": 2,
            "instances": 2,
        },
        {"id": "stock", "kind": "service", "label": "Stock", "work_ms": 12, "workers": 1},
    ],
    "links": [
        {"id": "charge", "from": "order", "to": "pay", "style": "async"},
        {"id": "check", "from": "order", "to": "stock", "style": "sync", "timeout_ms": 40},
    ],
    "workload": [{"entry": "order", "arrival": {"process": "poisson", "rate_per_s": 40}}],
    "layout": {
        "order": {"x": 0, "y": 0},
        "pay": {"x": 320, "y": -120},
        "stock": {"x": 320, "y": 140},
    },
}


def follow_stats(page: Page) -> dict:
    return page.evaluate("() => window.mscommFollow.stats()")


@pytest.fixture(scope="module")
def finished(browser: Browser, live_url: str) -> Iterator[dict]:
    """A workspace with the scenario and one finished run of it (its frames stored)."""
    context = browser.new_context(base_url=live_url, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto("/")
    scenario = api(page, "POST", "scenarios", {"doc": SCENARIO})
    run = api(
        page,
        "POST",
        "runs",
        {"scenario_id": scenario["id"], "seed": 4, "speed": 20, "mode": "live"},
    )
    wait_finished(page, run["id"])
    frames = all_frames(page, f"runs/{run['id']}")
    yield {
        "context": context,
        "page": page,
        "base": live_url,
        "scenario": scenario["id"],
        "run": run["id"],
        "frames": frames,
    }
    context.close()


def open_replay(finished: dict, t: float) -> Page:
    page = finished["context"].new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"/runs/{finished['run']}/#t={t}")
    page.wait_for_function("() => window.mscommReplay && window.mscommReplay.length > 0")
    # At the run's 20x a hop is stretched to 6 simulated seconds to be seen: watch slower.
    page.evaluate("(t) => window.mscommReplay.pause().speed(0.05).seek(t)", t)
    page.wait_for_function("() => window.mscommFollow.stats().requests > 0")
    page.errors = errors  # type: ignore[attr-defined]
    return page


def test_clicking_a_message_in_flight_follows_its_request_across_instances(finished):
    page = open_replay(finished, 3.0)
    # A request with a message in flight at the playhead, and where that message is drawn.
    corr = page.evaluate("() => window.mscommFollow.flying()[0]")
    assert corr, "no message in flight at 3 s"
    where = page.evaluate("(c) => window.mscommFollow.inFlight(c)", corr)
    box = page.locator("#graph").bounding_box()
    page.mouse.click(box["x"] + where["x"], box["y"] + where["y"])
    page.wait_for_function("(c) => window.mscommFollow.stats().corr === c", arg=corr)
    expect(page.locator(".graph-stage")).to_have_class("graph-stage following")
    # The complete events come from the trace API: the diagram is exact, not sampled.
    page.wait_for_function("() => window.mscommFollow.stats().exact", timeout=20_000)
    stats = follow_stats(page)
    assert all("/" in lane for lane in stats["lanes"] if lane.split("/")[0] in ("order", "pay"))
    assert stats["lanes"][0].startswith("order/")
    # Everything not on the request's path is dimmed; the path's nodes are not.
    dim = page.evaluate(
        """() => {
            const cy = window.mscommRun.cy;
            return {
                dimmed: cy.elements('.follow-dim').map((e) => e.id()),
                lit: cy.elements('.follow-on').map((e) => e.id()),
            };
        }"""
    )
    assert "order" in dim["lit"] and "order" not in dim["dimmed"]
    # The other messages dim with their layer; the followed one is on a layer of its own.
    opacity = page.evaluate(
        """() => ['particles', 'follow-layer'].map((c) =>
            getComputedStyle(document.querySelector(`.graph-stage canvas.${c}`)).opacity)"""
    )
    assert opacity == ["0.3", "1"]
    # The diagram shows the hops up to the playhead, one lane per instance touched.
    lanes = page.locator("#follow-sequence svg .seq-lane")
    assert lanes.count() == len(stats["lanes"]) >= 2
    shown = page.locator("#follow-sequence svg .seq-step").count()
    assert shown == stats["arrows"] >= 1
    page.locator("#follow-sequence").screenshot(path="test-artifacts/follow-sequence.png")
    page.screenshot(path="test-artifacts/follow-replay.png")
    # Play on: the diagram grows until the request is over.
    page.evaluate("() => { window.mscommReplay.speed(0.05); window.mscommReplay.play(); }")
    page.wait_for_function(
        "() => { const s = window.mscommFollow.stats(); return s.end !== null && s.now >= s.end; }",
        timeout=30_000,
    )
    page.evaluate("() => window.mscommReplay.pause()")
    done = follow_stats(page)
    assert done["arrows"] == done["totalArrows"] >= shown
    assert page.locator("#follow-sequence svg .seq-step").count() == done["arrows"]
    expect(page.locator("#follow-status")).to_contain_text(done["outcome"])
    page.screenshot(path="test-artifacts/follow-replay-done.png")
    page.locator("#follow-clear").click()
    expect(page.locator(".graph-stage")).to_have_class("graph-stage")
    assert page.evaluate("() => window.mscommRun.cy.elements('.follow-dim').length") == 0
    assert not page.errors, page.errors  # type: ignore[attr-defined]
    page.close()


def test_the_replay_pauses_exactly_when_the_followed_request_finishes(finished):
    page = open_replay(finished, 2.0)
    # The newest request at 2 s: the first option outside the "failed and slowest" group,
    # which may come in first (it is fetched when the list is opened).
    newest = page.locator("#follow-pick > option").nth(1).get_attribute("value")
    page.locator("#follow-pick").select_option(value=newest)
    page.wait_for_function("() => window.mscommFollow.stats().exact", timeout=20_000)
    end = follow_stats(page)["end"]
    assert end is not None and end > 2.0, (newest, end)
    page.locator("#bp-finish").check()
    page.evaluate("() => { window.mscommReplay.speed(0.1); window.mscommReplay.play(); }")
    page.wait_for_function("() => !window.mscommReplay.playing", timeout=30_000)
    t = page.evaluate("() => window.mscommReplay.t")
    assert abs(t - end) < 1e-6, (t, end)
    assert follow_stats(page)["hits"]["finish"] == 1
    expect(page.locator("#follow-status")).to_contain_text("Paused")
    page.close()


def test_the_replay_pauses_at_the_next_timeout(finished):
    timeouts = sorted(
        e["t"] for f in finished["frames"] for e in f["events"] if e["kind"] == "timeout"
    )
    crashes = [e["t"] for f in finished["frames"] for e in f["events"] if e["kind"] == "crash"]
    assert timeouts and not crashes, "the scenario should time out and never crash"
    start = max(0.0, timeouts[0] - 0.2)
    page = open_replay(finished, start)
    page.locator("#bp-failure").check()
    page.evaluate("() => { window.mscommReplay.speed(0.2); window.mscommReplay.play(); }")
    page.wait_for_function("() => !window.mscommReplay.playing", timeout=30_000)
    t = page.evaluate("() => window.mscommReplay.t")
    # The page's contract (run/follow.js): the exact alarm events, and for a sampled frame
    # (one that may have left its alarm event out) its alarm incidents, whose times are
    # rounded to the millisecond. Whether a frame is sampled follows the live run's wall
    # pacing, so on a loaded machine an incident may come first.
    alarms = [
        *timeouts,
        *(
            i["t"]
            for f in finished["frames"]
            if f.get("sampled")
            for i in f.get("incidents") or []
            if i["kind"] in ("crash", "timeouts", "timeout", "dead_letter")
        ),
    ]
    first = min(x for x in alarms if x > start)
    assert abs(t - first) < 1e-6, (t, first)
    assert follow_stats(page)["hits"]["failure"] == 1
    page.close()


def test_a_live_run_pauses_through_the_pause_control_when_the_request_finishes(finished):
    page = finished["context"].new_page()
    run = api(
        page,
        "POST",
        "runs",
        # Slow enough that the newest request in the list is still under way.
        {"scenario_id": finished["scenario"], "seed": 9, "speed": 0.01, "mode": "live"},
    )
    try:
        page.goto(f"/runs/{run['id']}/")
        # A request under way now (a message of it in flight, no outcome yet).
        corr = page.wait_for_function(
            """() => {
                const f = window.mscommFollow;
                if (!f) return false;
                return f.flying().find((c) => f.outcomeOf(c) === null) || false;
            }""",
            timeout=30_000,
        ).json_value()
        page.evaluate("(c) => window.mscommFollow.pick(c)", corr)
        page.locator("#bp-finish").check()
        page.wait_for_function(
            "() => document.getElementById('btn-pause').getAttribute('aria-pressed') === 'true'",
            timeout=30_000,
        )
        stats = follow_stats(page)
        assert stats["hits"]["finish"] == 1 and stats["end"] is not None
        expect(page.locator("#run-state")).to_contain_text("paused")
        page.screenshot(path="test-artifacts/follow-live-paused.png")
    finally:
        api(page, "POST", f"runs/{run['id']}/cancel")
        page.close()


def test_after_the_run_the_list_offers_its_failed_and_slowest_requests(finished):
    page = open_replay(finished, 1.0)
    sample = api(page, "GET", f"runs/{finished['run']}/requests?size=20")["sample"]
    failed = [item for item in sample if item["outcome"] == "failed"]
    assert failed, "the scenario's stock calls time out"
    page.locator("#follow-pick").focus()
    group = page.locator('#follow-pick optgroup[label="Failed and slowest (whole run)"] option')
    expect(group).to_have_count(len(sample), timeout=20_000)
    page.locator("#follow-pick").select_option(value=failed[0]["corr"])
    page.wait_for_function("() => window.mscommFollow.stats().exact", timeout=20_000)
    stats = follow_stats(page)
    assert stats["corr"] == failed[0]["corr"] and stats["outcome"] == "failed"
    page.evaluate("(t) => window.mscommReplay.seek(t)", stats["end"] + 0.001)
    expect(page.locator("#follow-sequence svg .seq-fail")).to_have_count(1)
    expect(page.locator("#follow-status")).to_contain_text("failed")
    page.locator("#follow-sequence").screenshot(path="test-artifacts/follow-failed-sequence.png")
    page.close()
