"""'What happened': the run's incidents as sentences beside the canvas; a click seeks."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.pages import api, expect_run_state
from tests.narration_scenarios import crash_doc as web_crash_doc

CRASH = "Customer crashed (1 of 1 instances down)."


def when(t: float) -> str:
    """An incident's time as the panel shows it (narration.js, incidentTime)."""
    return f"{t:.2f} s" if t < 1 else f"{t:.1f} s"


def crash_doc() -> dict:
    """Customer is down from 3 s to 5 s of a 6 s run, watched from 2 s at 2x."""
    return web_crash_doc({"from_s": 2, "speed": 2}, crash_s=3, back_s=5, duration_s=6)


def test_the_panel_narrates_the_run_and_a_sentence_seeks_the_replay(watched):
    page = watched.page
    page.goto("/")
    scenario = api(page, "POST", "scenarios", {"doc": crash_doc()})
    # As "Run it" does: no speed, so the scenario's watch moment and speed.
    run = api(page, "POST", "runs", {"scenario_id": scenario["id"], "seed": None,
                                     "speed": None, "mode": "live"})  # fmt: skip
    assert run["speed"] == 2
    page.goto(f"/runs/{run['id']}/")
    log = page.get_by_role("log", name="What happened, as the run goes on")
    expect(log).to_have_attribute("aria-live", "polite")
    crash = log.get_by_role("button", name=f"3.0 s {CRASH}")
    # Live: the sentence appears once the player's clock has passed 3 s.
    expect(crash).to_be_visible(timeout=30_000)
    at_crash = page.evaluate("window.mscommPlayer.stats().simNow")
    assert at_crash >= 3.0
    timeouts = "3.3 s Order Processor's calls to Customer time out after 0.3 s."
    expect(log.get_by_role("button", name=timeouts)).to_be_visible()
    expect_run_state(page, run["id"], "succeeded", timeout=30_000)
    # Over: every sentence of the result is listed.
    result = api(page, "GET", f"runs/{run['id']}/result")
    texts = [f"{when(i['t'])} {i['text']}" for i in result["incidents"]]
    expect(log.get_by_role("button")).to_have_count(len(texts))
    assert log.get_by_role("button").all_inner_texts() == texts
    watched.shot("narration-run-over")
    # A click opens the replay at that moment; later sentences leave the log meanwhile.
    log.get_by_role("button", name=f"3.0 s {CRASH}").click()
    page.wait_for_function("() => window.mscommReplay && window.mscommReplay.length > 0")
    page.wait_for_function("() => Math.abs(window.mscommReplay.t - 3.0) < 1e-6")
    assert page.evaluate("window.mscommReplay.playing") is False
    expect(log.get_by_role("button").last).to_have_text(f"3.0 s {CRASH}")
    expect(log.get_by_role("button").last).to_have_attribute("aria-current", "step")
    watched.shot("narration-seek-crash")


def test_compare_shows_where_two_runs_part_ways_and_goes_there(watched):
    page = watched.page
    page.goto("/")
    with_crash = crash_doc()
    ids = []
    for doc in (with_crash, {**with_crash, "faults": []}):
        scenario = api(page, "POST", "scenarios", {"doc": doc})
        ids.append(
            api(page, "POST", "runs", {"scenario_id": scenario["id"], "mode": "batch"})["id"]
        )
    page.goto(f"/compare/{ids[0]}/{ids[1]}/")
    go = page.get_by_role("button", name="Go to 3.0 s")
    expect(go).to_be_visible(timeout=60_000)
    expect(page.locator("#divergence")).to_contain_text(f"A 3.0 s: {CRASH}")
    expect(page.locator("#divergence")).to_contain_text("B nothing more happens.")
    go.click()
    stats = page.evaluate("window.mscommCompare.stats()")
    assert stats["t"] == stats["a"]["t"] == stats["b"]["t"] == 3.0
    side_a = page.locator("#narration-a").get_by_role("log")
    expect(side_a.get_by_role("button").last).to_have_text(f"3.0 s {CRASH}")
    expect(page.locator("#narration-b").get_by_role("button")).to_have_count(1)
    watched.shot("narration-compare")


def test_run_it_shows_the_cascading_failure_lesson_at_once(watched):
    page = watched.page
    page.goto("/")
    card = page.locator('article[data-slug="cascade-sync"]')
    card.get_by_role("button", name="Run it").click()
    page.wait_for_url("**/runs/**")
    log = page.get_by_role("log", name="What happened, as the run goes on")
    # The lab's watch moment is 18 s at 1x: the run skips there, so its crash at 20 s is
    # told within the promise of 30 s of wall time (not 400 s at 0.05x).
    crash = log.get_by_role("button", name="20.0 s Customer crashed (1 of 1 instances down).")
    expect(crash).to_be_visible(timeout=30_000)
    blocked = log.get_by_role("button", name="Fraud Detection are blocked waiting on Customer")
    expect(blocked).to_be_visible(timeout=10_000)
    assert page.locator("#speed").input_value() == "1"
    watched.shot("narration-cascade-live")
    page.get_by_role("button", name="Stop").click()
