"""Figures across seeds in the pages: compare with intervals, the one-seed warning, the
sweep's bands, a figure's spread, and "Run N seeds" on the run view."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.pages import api, set_field, wait_saved
from tests.browser.test_analysis import finished_runs, open_sweep, pick_variant, small_doc

SIGN = "[\u2212+]?"  # the pages write a minus sign, not a hyphen
CLAIM = re.compile(rf"^.+ {SIGN}[0-9.]+ % \[{SIGN}[0-9.]+, {SIGN}[0-9.]+\] over 20 seeds$")


def record_status(page, element_id: str) -> None:
    page.evaluate(
        """(id) => {
            window.seenStatus = [];
            const node = document.getElementById(id);
            new MutationObserver(() => window.seenStatus.push(node.textContent))
                .observe(node, {childList: true, characterData: true, subtree: true});
        }""",
        element_id,
    )


def test_a_what_if_compares_on_20_seeds_with_intervals_and_spreads(watched):
    page = watched.page
    # Long enough that 40 runs cannot all end before the page first asks.
    _, (run_id,) = finished_runs(page, {**small_doc(), "duration_s": 90}, [3])
    page.goto(f"/runs/{run_id}/")
    expect(page.locator("#variant-seeds")).to_have_value("20")
    a, b = pick_variant(page, "mscommRun", "link:charge", "Link charge (sync)", "Make it async")
    page.wait_for_function(
        "() => window.mscommSeeds && window.mscommSeeds.finished", timeout=120_000
    )
    seeds = page.evaluate("window.mscommSeeds")
    assert (seeds["done"], seeds["total"], seeds["n"]) == (40, 40, 20)
    status = page.locator("#cmp-seeds-status")
    expect(status).to_have_text("all 40 runs done: intervals over 20 seeds")
    # The intervals tightened live: the page showed counts before every seed was in.
    seen = seeds["seen"]
    assert seen[0]["done"] < 40 and seen[-1] == {"done": 40, "n": 20}
    assert [s["done"] for s in seen] == sorted(s["done"] for s in seen)
    expect(page.locator("#cmp-one-seed")).to_be_hidden()
    runs = [api(page, "GET", f"runs/{i}") for i in (a, b)]
    assert [r["seed"] for r in runs] == [3, 3]
    batch = api(page, "GET", f"runs/batch/{runs[0]['batch_id']}")
    assert batch["seeds"] == 20
    # Async frees Order's workers on every seed: better, with the interval to show it.
    blocked = page.locator("tr[data-key='services.order.blocked_fraction']")
    expect(blocked).to_have_class(re.compile("verdict-better"))
    claims = page.locator("table.diff.seeded tr[data-key]")
    assert claims.count() > 10
    p99 = page.locator("tr[data-key='requests.latency_ms.p99']")
    claim = p99.get_attribute("data-claim")
    assert CLAIM.match(claim), claim
    assert p99.locator("td.rel").inner_text() in claim
    # Only better and worse rows are coloured: everything else carries no colour class.
    rows = {r["key"]: r for r in batch["diff"]}
    for key in ("requests.started", "services.order.utilization"):
        verdict = page.locator(f"tr[data-key='{key}']").get_attribute("data-verdict")
        assert verdict == rows[key]["verdict"] and verdict not in ("better", "worse")
    colour = page.evaluate(
        """() => {
            const td = (k) => document.querySelector(`tr[data-key='${k}'] td`);
            return [getComputedStyle(td('services.order.blocked_fraction')).backgroundColor,
                    getComputedStyle(td('requests.started')).backgroundColor];
        }"""
    )
    assert colour[0] != colour[1]
    # A row's spread across seeds, on click.
    p99.click()
    page.wait_for_function("() => window.mscommSpread && window.mscommSpread.n === 40")
    expect(page.locator("#cmp-spread canvas")).to_be_visible()
    expect(page.locator("#cmp-spread h3")).to_contain_text("latency p99")
    watched.shot("compare-seeds")


def test_a_single_seed_comparison_says_it_cannot_tell_and_offers_seeds(watched):
    page = watched.page
    _, (a, b) = finished_runs(page, small_doc(), [1, 2])
    page.goto(f"/compare/{a}/{b}/")
    page.wait_for_function("() => Boolean(window.mscommCompare)", timeout=60_000)
    expect(page.locator("#cmp-one-seed")).to_be_visible()
    warning = "One seed cannot tell the design from noise"
    expect(page.locator("#cmp-one-seed")).to_contain_text(warning)
    expect(page.locator("table.diff tr[data-key]").first).to_be_visible()
    assert page.locator("table.diff tr.verdict-better, table.diff tr.verdict-worse").count() == 0
    expect(page.locator("#cmp-seeds")).to_have_value("20")
    page.locator("#cmp-seeds").fill("4")
    page.locator("#btn-seeds").click()
    page.wait_for_url(lambda url: "/compare/" in url and a not in url, timeout=15_000)
    page.wait_for_function(
        "() => window.mscommSeeds && window.mscommSeeds.finished", timeout=120_000
    )
    assert page.evaluate("window.mscommSeeds.n") == 4
    expect(page.locator("#cmp-one-seed")).to_be_hidden()
    expect(page.locator("table.diff caption")).to_contain_text("over 4 seeds")


def test_a_sweep_over_seeds_draws_the_mean_its_interval_and_p10_p90(watched):
    page = watched.page
    # Runs long enough (about 0.1 s each) that the page's first look finds the sweep
    # under way: its 12 runs of the 4 s document could all end before that.
    open_sweep(page, "Sweep seeds", duration_s=200)
    page.locator("#values").fill("30, 90")
    page.locator("#seeds").fill("6")
    page.locator("#metric").select_option("p99")
    record_status(page, "sweep-status")
    page.locator("#btn-sweep").click()
    expect(page.locator("#sweep-status")).to_have_text("done: 2 points", timeout=120_000)
    assert any("of 12 runs" in text for text in page.evaluate("window.seenStatus"))
    plotted = page.evaluate("window.mscommSweep")
    assert plotted["x"] == [30, 90] and plotted["n"] == [6, 6] and plotted["seeds"] == 6
    for i in range(2):
        assert plotted["lo"][i] <= plotted["y"][i] <= plotted["hi"][i]
        assert plotted["p10"][i] <= plotted["p90"][i]
    assert plotted["y"][0] < plotted["y"][1]
    expect(page.locator("#sweep-legend")).to_contain_text("over 6 seeds")
    assert page.locator("#sweep-plot .uplot").count() == 1
    row = page.locator("#sweep-table tbody tr").nth(1)
    expect(row.locator("td").nth(4)).to_have_text("6 of 6")
    row.click()
    page.wait_for_function("() => window.mscommSpread && window.mscommSpread.n === 6")
    expect(page.locator("#sweep-spread h3")).to_contain_text("= 90")
    watched.shot("sweep-seeds")


def test_the_run_view_runs_its_scenario_on_n_seeds(watched):
    page = watched.page
    _, (run_id,) = finished_runs(page, small_doc(), [8])
    page.goto(f"/runs/{run_id}/")
    page.locator("#variant-seeds").fill("5")
    page.locator("#btn-run-seeds").click()
    page.wait_for_url(re.compile(r"/batches/[0-9a-f-]{36}/$"), timeout=15_000)
    page.wait_for_function("() => window.mscommBatch && window.mscommBatch.done", timeout=120_000)
    body = page.evaluate("window.mscommBatch")
    assert body["seeds"] == 5 and body["progress"] == {"done": 5, "total": 5}
    expect(page.locator("#variants caption")).to_contain_text("over 5 seeds")
    expect(page.locator("#variants tbody tr td").nth(1)).to_have_text("5 of 5 seeds")
    p99 = body["stats"][0]["requests.latency_ms.p99"]
    assert p99["n"] == 5 and p99["ci95"][0] <= p99["mean"] <= p99["ci95"][1]


XSS = "<img src=x onerror=alert(1)>"
SLOS = [
    {
        "id": "arrived",
        "label": "requests arrived",
        "metric": "requests.started",
        "op": ">=",
        "target": 1,
    },
    {
        "id": "instant",
        "label": "instant p50",
        "metric": "requests.latency_ms.p50",
        "op": "<=",
        "target": 0,
    },
]


def test_slos_are_edited_in_the_editor_and_shown_as_badges(watched):
    page = watched.page
    page.goto("/")
    # A label that looks like markup shows as text and runs nothing.
    doc = {**small_doc("With SLOs"), "slos": [{**SLOS[0], "label": XSS}]}
    doc["workload"][0]["deadline_ms"] = 40
    scenario = api(page, "POST", "scenarios", {"doc": doc})
    page.goto(f"/scenarios/{scenario['id']}/")
    expect(page.locator(".slo-box")).to_have_count(1)
    page.locator("#btn-add-slo").click()
    expect(page.locator(".slo-box")).to_have_count(2)
    set_field(page, "slos[1].label", "instant p50")
    set_field(page, "slos[1].target", "0")
    metric = page.locator('#panel select[data-path="slos[1].metric"]')
    metric.select_option("requests.latency_ms.p50")
    metric.dispatch_event("change")
    wait_saved(page)
    stored = api(page, "GET", f"scenarios/{scenario['id']}")["doc"]
    assert stored["slos"][1] == {**SLOS[1], "id": "slo-2"}
    assert stored["slos"][0]["label"] == XSS
    assert stored["workload"][0]["deadline_ms"] == 40
    watched.shot("editor-slos")

    # A run shows each SLO as met or missed, and its late requests.
    run = api(page, "POST", "runs", {"scenario_id": scenario["id"], "mode": "batch", "seed": 2})
    page.goto(f"/runs/{run['id']}/")
    badges = page.locator("#results .slo-badges .badge")
    expect(badges).to_have_count(2, timeout=60_000)
    expect(badges.nth(0)).to_have_class(re.compile("slo-met"))
    expect(badges.nth(0)).to_contain_text(XSS)
    expect(badges.nth(1)).to_have_class(re.compile("slo-missed"))
    expect(badges.nth(1)).to_contain_text("instant p50")
    result = api(page, "GET", f"runs/{run['id']}/result")
    assert result["requests"]["late"] > 0
    requests = page.locator("#results table", has_text="goodput/s").locator("tbody td")
    expect(requests.nth(2)).to_have_text(str(result["requests"]["late"]))

    # Over seeds, the compare page says in how many seeds each held.
    page.goto(f"/runs/{run['id']}/")
    page.locator("#variant-seeds").fill("5")
    pick_variant(page, "mscommRun", "link:charge", "Link charge (sync)", "Make it async")
    page.wait_for_function(
        "() => window.mscommSeeds && window.mscommSeeds.finished", timeout=120_000
    )
    a_badges = page.locator("#slos-a .badge")
    expect(a_badges.nth(0)).to_contain_text("met in 5 of 5 seeds")
    expect(a_badges.nth(0)).to_have_class(re.compile("slo-met"))
    expect(a_badges.nth(1)).to_contain_text("met in 0 of 5 seeds [0\u201343 %]")
    expect(page.locator("#slos-b .badge")).to_have_count(2)
    watched.shot("compare-slos")
    assert not watched.dialogs
    assert page.locator("#slos-a img").count() == 0
