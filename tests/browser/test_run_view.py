"""The run view live: particles, blocked workers, fault injection, reload, results."""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.pages import (
    BLUE,
    RED,
    api,
    assert_line_breaks_over,
    canvas_fingerprint,
    element_xy,
    expect_run_state,
    line_columns,
    player_stats,
    set_field,
    wait_canvas_change,
    wait_saved,
)
from tests.browser.test_editor import build_chain

LIBRARY = Path(__file__).resolve().parents[2] / "patterns" / "library"

BLOCKED = """() => {
    const s = window.mscommPlayer && window.mscommPlayer.state;
    return Boolean(s) && Object.values(s.services).some(
        (svc) => svc.instances.some((i) => i.blocked > 0));
}"""


def chain_doc(**link_options) -> dict:
    """Order calls Payment synchronously; Payment is slow enough for workers to block."""
    return {
        "format": "mscomm.scenario/1",
        "name": "Order and payment",
        "duration_s": 60,
        "nodes": [
            {"id": "order", "kind": "service", "label": "Order", "workers": 8},
            {"id": "payment", "kind": "service", "label": "Payment", "workers": 8, "work_ms": 40},
        ],
        "links": [{"id": "pay", "from": "order", "to": "payment", "style": "sync", **link_options}],
        "workload": [{"entry": "order", "arrival": {"process": "poisson", "rate_per_s": 60}}],
        "layout": {"order": {"x": 0, "y": 0}, "payment": {"x": 300, "y": 0}},
    }


def start_run(watched, doc: dict, speed: float) -> str:
    page = watched.page
    page.goto("/")
    scenario = api(page, "POST", "scenarios", {"doc": doc})
    run = api(
        page,
        "POST",
        "runs",
        {"scenario_id": scenario["id"], "seed": 7, "speed": speed, "mode": "live"},
    )
    page.goto(f"/runs/{run['id']}/")
    return run["id"]


def wait_stats(page, condition: str, timeout: float = 30_000) -> dict:
    stats = "const s = window.mscommPlayer && window.mscommPlayer.stats()"
    page.wait_for_function(f"() => {{ {stats}; return s && ({condition}); }}", timeout=timeout)
    return player_stats(page)


def test_a_chain_built_in_the_editor_runs_live_with_particles_and_blocked_workers(watched):
    page = watched.page
    build_chain(watched)
    # The last service is slow, so the two callers wait on it: blocked workers.
    page.mouse.click(*element_xy(page, "mscommEditor", "service-3"))
    set_field(page, "nodes[2].work_ms", "150")
    page.locator("#graph").click(position={"x": 15, "y": 15})  # nothing selected: the scenario
    page.get_by_role("button", name="Add workload").click()
    set_field(page, "workload[0].arrival.rate_per_s", "40")
    wait_saved(page)
    page.get_by_role("button", name="▶ Run").click()
    page.wait_for_url("**/runs/**")
    stats = wait_stats(page, "s.spawned > 5 && s.drawn > 0")
    assert stats["frames"] > 0
    wait_canvas_change(page, canvas_fingerprint(page))
    page.wait_for_function(BLOCKED, timeout=30_000)
    # The selected service's instances, live, in words.
    page.mouse.click(*element_xy(page, "mscommRun", "service-1"))
    expect(page.locator("#element-stats li").first).to_contain_text("instance 0: busy")
    expect(page.locator("#run-state")).to_have_text("running")
    watched.shot("run-live-chain")


def test_injecting_a_crash_makes_the_caller_time_out(watched):
    page = watched.page
    start_run(watched, chain_doc(timeout_ms=300), speed=0.5)
    wait_stats(page, "s.frames > 5")
    page.mouse.click(*element_xy(page, "mscommRun", "payment"))
    expect(page.locator("#inject-target")).to_contain_text("service payment")
    page.locator("#inject-mode").select_option("crash")
    page.locator("#inject-duration").fill("20")
    page.get_by_role("button", name="Inject now").click()
    expect(page.locator("#fault-log li")).to_have_count(1)
    stats = wait_stats(page, "(s.seen.timeout || 0) > 0")
    assert stats["seen"]["timeout"] > 0
    # The crash shows on the element and on the timeline.
    page.wait_for_function(
        "() => window.mscommRun.cy.getElementById('payment').hasClass('faulted')"
    )
    assert page.locator("#timeline .fault").count() >= 1
    watched.shot("run-crash-timeouts")


def test_a_reload_mid_run_catches_up_and_carries_on_live(watched):
    page = watched.page
    start_run(watched, chain_doc(), speed=0.2)
    seen = wait_stats(page, "s.lastSeq >= 15")["lastSeq"]
    page.reload()
    # Caught up from the stored frames at once, then new ones keep coming.
    after = wait_stats(page, f"s.lastSeq > {seen} && s.spawned > 0")
    wait_stats(page, f"s.lastSeq > {after['lastSeq'] + 5}")
    stats = player_stats(page)
    assert stats["latestT"] - stats["simNow"] < 1.0, "the clock did not jump to the present"
    watched.shot("run-after-reload")


def test_a_finished_run_shows_its_result_as_tables(watched):
    page = watched.page
    run_id = start_run(watched, chain_doc(), speed=100)
    expect_run_state(page, run_id, "succeeded", timeout=60_000)
    results = page.locator("#results")
    expect(results).to_be_visible(timeout=15_000)
    expect(results.locator("caption", has_text="Requests").first).to_be_visible()
    services = results.locator("table", has_text="Services")
    expect(services.locator("tbody tr")).to_have_count(2)  # order, payment
    expect(results.locator("table", has_text="Links").locator("tbody tr td").first).to_have_text(
        "pay"
    )
    watched.shot("run-result")
    # The stored frames replay: a run over before the page loaded opens in the replay, one
    # that ended while watched offers the Replay button. Either way any moment can be shown.
    replay = page.get_by_role("button", name="Replay")
    if replay.is_enabled():
        replay.click()
    page.wait_for_function("() => window.mscommReplay && window.mscommReplay.length > 0")
    page.evaluate("() => { window.mscommReplay.pause(); window.mscommReplay.seek(30); }")
    stats = player_stats(page)
    assert 29 < stats["simNow"] <= 30.5
    assert stats["frames"] > 0


def test_pause_holds_the_simulation_and_resume_carries_on(watched):
    page = watched.page
    start_run(watched, chain_doc(), speed=0.5)
    wait_stats(page, "s.frames > 5")
    page.get_by_role("button", name="Pause").click()
    expect(page.locator("#run-state")).to_have_text("running (paused)")
    page.wait_for_timeout(1000)  # frames already on their way arrive
    held = player_stats(page)["latestT"]
    page.wait_for_timeout(1500)
    assert player_stats(page)["latestT"] == held, "frames kept coming while paused"
    page.get_by_role("button", name="Resume").click()
    wait_stats(page, f"s.latestT > {held}")
    page.get_by_role("button", name="Stop").click()
    expect(page.locator("#run-state")).not_to_have_text("running", timeout=30_000)


def test_a_datastore_shows_how_far_behind_its_reader_is(watched):
    page = watched.page
    doc = json.loads((LIBRARY / "common-data.json").read_text())
    start_run(watched, doc, speed=4)
    wait_stats(page, "s.frames > 5")
    page.mouse.click(*element_xy(page, "mscommRun", "lake"))
    lines = page.locator("#element-stats li")
    expect(lines.first).to_contain_text("records")
    # Reporting polls every 10 s: what it has not seen yet is seconds old.
    expect(lines.nth(1)).to_contain_text(re.compile(r"reporting sees it \d+\.\d\d s behind"))
    lag = float(re.search(r"([\d.]+) s behind", lines.nth(1).inner_text()).group(1))
    assert 0 <= lag <= 15  # about one polling interval at most (plus waiting for a worker)
    # And on the graph, under the datastore's name.
    display = "mscommRun.cy.getElementById('lake').data('display')"
    page.wait_for_function(f"() => /readers ≤ [\\d.]+ s behind/.test({display})")


# The owner's controls from elsewhere (another tab): a socket of the page's own session.
CONTROL = """([runId, messages]) => new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${location.host}/ws/runs/${runId}/`);
    ws.onopen = () => { for (const m of messages) ws.send(JSON.stringify(m)); resolve(); };
    ws.onerror = () => reject(new Error('control socket refused'));
})"""


TIMES = "\u00d7"  # the multiplication sign of the speed labels


def test_the_speed_selector_shows_the_runs_own_speed(watched):
    page = watched.page
    run_id = start_run(watched, chain_doc(), speed=3)  # 3x is not on the selector's list
    speed = page.locator("#speed")
    expect(speed).to_have_value("3")
    expect(speed.locator("option:checked")).to_have_text(f"3{TIMES}")
    expect(page.locator("#hint")).to_contain_text(f"3{TIMES} speed")
    watched.shot("run-speed-3x")
    # The owner speeds it up from another tab and stops it: the run's last word is 10x.
    wait_stats(page, "s.frames > 2")
    page.evaluate(CONTROL, [run_id, [{"action": "speed", "speed": 10}, {"action": "stop"}]])
    expect(speed).to_have_value("10", timeout=30_000)
    expect(speed.locator("option:checked")).to_have_text(f"10{TIMES}")
    # Reopened, the finished run and its replay keep that speed.
    page.reload()
    expect(speed).to_have_value("10")
    expect(page.locator("#replay-speed")).to_have_value("10")


def test_the_latency_chart_breaks_where_nothing_succeeded(watched):
    page = watched.page
    page.goto("/")
    # cascade-sync (seed 42): no request succeeds from 20 s to 40 s while Customer is down.
    doc = json.loads((LIBRARY / "cascade-sync.json").read_text())
    scenario = api(page, "POST", "scenarios", {"doc": doc})
    body = {"scenario_id": scenario["id"], "seed": None, "speed": 3, "mode": "batch"}
    run = api(page, "POST", "runs", body)  # unpaced: over in a few seconds
    page.goto(f"/runs/{run['id']}/")
    expect_run_state(page, run["id"], "succeeded", timeout=60_000)
    chart = page.locator(".chart", has=page.get_by_role("heading", name="Latency (ms)"))
    band = chart.locator(".chart-gap")
    expect(band).to_have_count(1, timeout=15_000)  # the drain after 60 s is quiet, not shaded
    expect(band).to_have_text("no successes")
    expect(band).to_have_attribute("title", re.compile(r"^No request succeeded from 20 s to 40 s"))
    # The drawn lines (p50 blue, p99 red) stop at the band and start again after it.
    assert_line_breaks_over(line_columns(chart, BLUE, RED), band)
    chart.scroll_into_view_if_needed()
    watched.shot("run-latency-gap")
