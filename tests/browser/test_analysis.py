"""Compare, variants, sweeps, request traces and exports in a real browser against the
real server (daphne, a Celery worker, Redis)."""

from __future__ import annotations

import csv
import io
import json
import re

import jsonschema
from playwright.sync_api import expect

from tests.browser.pages import (
    BLUE,
    RED,
    api,
    assert_line_breaks_over,
    element_xy,
    line_columns,
)

# The OTLP JSON trace export shape (opentelemetry-proto, JSON encoding), as Jaeger reads it.
ANY_VALUE = {
    "type": "object",
    "minProperties": 1,
    "maxProperties": 1,
    "properties": {
        "stringValue": {"type": "string"},
        "boolValue": {"type": "boolean"},
        "intValue": {"type": "string", "pattern": "^-?[0-9]+$"},
        "doubleValue": {"type": "number"},
    },
    "additionalProperties": False,
}
KEY_VALUES = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["key", "value"],
        "properties": {"key": {"type": "string", "minLength": 1}, "value": ANY_VALUE},
        "additionalProperties": False,
    },
}
NANOS = {"type": "string", "pattern": "^[0-9]{1,20}$"}
OTLP_SCHEMA = {
    "type": "object",
    "required": ["resourceSpans"],
    "additionalProperties": False,
    "properties": {
        "resourceSpans": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["resource", "scopeSpans"],
                "properties": {
                    "resource": {
                        "type": "object",
                        "required": ["attributes"],
                        "properties": {"attributes": KEY_VALUES},
                    },
                    "scopeSpans": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["scope", "spans"],
                            "properties": {
                                "scope": {
                                    "type": "object",
                                    "required": ["name"],
                                    "properties": {
                                        "name": {"type": "string"},
                                        "version": {"type": "string"},
                                    },
                                },
                                "spans": {
                                    "type": "array",
                                    "minItems": 1,
                                    "items": {
                                        "type": "object",
                                        "required": [
                                            "traceId",
                                            "spanId",
                                            "name",
                                            "kind",
                                            "startTimeUnixNano",
                                            "endTimeUnixNano",
                                        ],
                                        "properties": {
                                            "traceId": {
                                                "type": "string",
                                                "pattern": "^[0-9a-f]{32}$",
                                            },
                                            "spanId": {
                                                "type": "string",
                                                "pattern": "^[0-9a-f]{16}$",
                                            },
                                            "parentSpanId": {
                                                "type": "string",
                                                "pattern": "^[0-9a-f]{16}$",
                                            },
                                            "name": {"type": "string", "minLength": 1},
                                            "kind": {"enum": [0, 1, 2, 3, 4, 5]},
                                            "startTimeUnixNano": NANOS,
                                            "endTimeUnixNano": NANOS,
                                            "attributes": KEY_VALUES,
                                            "events": {
                                                "type": "array",
                                                "items": {
                                                    "type": "object",
                                                    "required": ["timeUnixNano", "name"],
                                                    "properties": {
                                                        "timeUnixNano": NANOS,
                                                        "name": {"type": "string"},
                                                        "attributes": KEY_VALUES,
                                                    },
                                                },
                                            },
                                            "status": {
                                                "type": "object",
                                                "properties": {
                                                    "code": {"enum": [0, 1, 2]},
                                                    "message": {"type": "string"},
                                                },
                                                "additionalProperties": False,
                                            },
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        }
    },
}


def small_doc(name: str = "Order & pay <b>bold</b>") -> dict:
    return {
        "format": "mscomm.scenario/1",
        "name": name,
        "seed": 5,
        "duration_s": 4,
        "drain_s": 1,
        "nodes": [
            {"id": "order", "kind": "service", "label": "Order", "work_ms": 2, "workers": 4},
            {"id": "pay", "kind": "service", "label": "Payment", "work_ms": 20, "workers": 2},
        ],
        "links": [
            {"id": "charge", "from": "order", "to": "pay", "style": "sync", "timeout_ms": 60}
        ],
        "workload": [{"entry": "order", "arrival": {"process": "poisson", "rate_per_s": 90}}],
        "layout": {"order": {"x": 0, "y": 0}, "pay": {"x": 300, "y": 0}},
    }


def finished_runs(page, doc: dict, seeds: list[int]) -> tuple[str, list[str]]:
    """A scenario and one finished batch run of it per seed."""
    page.goto("/")
    scenario = api(page, "POST", "scenarios", {"doc": doc})
    runs = [
        api(page, "POST", "runs", {"scenario_id": scenario["id"], "seed": s, "mode": "batch"})
        for s in seeds
    ]
    for run in runs:
        page.wait_for_function(
            """async (id) => {
                const r = await fetch(`/api/runs/${id}`).then((x) => x.json());
                return r.state === "succeeded";
            }""",
            arg=run["id"],
            timeout=60_000,
            polling=300,
        )
    return scenario["id"], [run["id"] for run in runs]


def pick_variant(page, page_global: str, element: str, status: str, button: str) -> list[str]:
    """Select `element` on the graph, press the variant `button`; the two compared run ids."""
    page.wait_for_function(f"() => Boolean(window.{page_global} && window.mscommVariant)")
    page.mouse.click(*element_xy(page, page_global, element))
    expect(page.locator("#variant-status")).to_contain_text(status)
    page.get_by_role("button", name=button).click()
    page.wait_for_url(re.compile(r"/compare/[0-9a-f-]{36}/[0-9a-f-]{36}/$"), timeout=15_000)
    return page.url.rstrip("/").split("/")[-2:]


def wait_compare(page) -> dict:
    page.wait_for_function("() => Boolean(window.mscommCompare)", timeout=60_000)
    return page.evaluate("window.mscommCompare.stats()")


def test_two_runs_side_by_side_seek_together_with_a_table_and_charts(watched):
    page = watched.page
    _, (a, b) = finished_runs(page, small_doc(), [1, 2])
    page.goto(f"/compare/{a}/{b}/")
    stats = wait_compare(page)
    assert stats["a"]["frames"] > 10 and stats["b"]["frames"] > 10
    rows = page.locator("table.diff tr[data-key]")
    expect(rows.first).to_be_visible()
    assert rows.count() > 20
    assert page.locator("tr[data-key='requests.latency_ms.p99'] td").nth(1).inner_text() != "\u2013"
    assert page.locator("#cmp-charts .chart .uplot").count() == 5
    # A and B on every chart.
    assert page.locator("#cmp-charts .chart").first.locator(".u-legend .u-series").count() == 3

    for t in (2.5, 0.7):
        s = page.evaluate(f"window.mscommCompare.seek({t})")
        assert s["a"]["t"] == s["b"]["t"] == t
        assert s["a"]["frameT"] <= t and s["b"]["frameT"] <= t
        assert t - s["a"]["frameT"] < 0.2 and t - s["b"]["frameT"] < 0.2
    # The seek bar drives both as well.
    page.locator("#seek").fill("3.2")
    s = page.evaluate("window.mscommCompare.stats()")
    assert s["t"] == s["a"]["t"] == s["b"]["t"] == 3.2
    expect(page.locator("#cmp-clock")).to_contain_text("t = 3.20 s")
    # Play moves one clock for both.
    page.locator("#btn-play").click()
    page.wait_for_function("() => window.mscommCompare.stats().t > 3.4", timeout=10_000)
    s = page.evaluate("window.mscommCompare.stats()")
    assert s["a"]["t"] == s["b"]["t"] == s["t"]
    # The scenario name is shown as text.
    expect(page.locator("#name-a")).to_have_text("Order & pay <b>bold</b>")
    watched.shot("compare")
    assert not watched.dialogs


def test_a_flipped_variant_runs_from_the_run_view_and_opens_the_comparison(watched):
    page = watched.page
    _, (run_id,) = finished_runs(page, small_doc(), [3])
    page.goto(f"/runs/{run_id}/")
    expect(page.locator("#link-requests")).to_have_attribute("href", f"/runs/{run_id}/requests/")
    a_id, b_id = pick_variant(
        page, "mscommRun", "link:charge", "Link charge (sync)", "Make it async"
    )
    wait_compare(page)
    runs = [api(page, "GET", f"runs/{i}") for i in (a_id, b_id)]
    assert [r["seed"] for r in runs] == [3, 3]
    assert runs[0]["batch_id"] == runs[1]["batch_id"] is not None
    docs = [api(page, "GET", f"runs/{i}/scenario") for i in (a_id, b_id)]
    assert [d["links"][0]["style"] for d in docs] == ["sync", "async"]
    blocked = page.locator("tr[data-key='services.order.blocked_fraction']")
    expect(blocked).to_have_class(re.compile("verdict-better"))


def test_the_overlay_latency_breaks_where_one_variant_had_no_successes(watched):
    page = watched.page
    page.goto("/")
    # cascade-sync (seed 42): nothing succeeds from 20 s to 40 s while Customer is down; as
    # an event, the Customer lookup no longer holds requests up and they keep succeeding.
    scenario = api(page, "POST", "library/cascade-sync/copy")
    change = {"kind": "flip", "link": "lookup-customer", "to": "event"}
    batch = api(page, "POST", "variants", {"scenario_id": scenario["id"], "change": change})
    a, b = (v["run"]["id"] for v in batch["variants"])
    page.goto(f"/compare/{a}/{b}/")
    wait_compare(page)
    chart = page.locator("#cmp-charts .chart[data-metric='latency_p99_ms']")
    band = chart.locator(".chart-gap.gap-a")
    expect(band).to_have_count(1)  # A's drain after 60 s is quiet, not shaded
    expect(band).to_have_text("A: no successes")
    title = f"A {scenario['name']}: no request succeeded from 20 s to 40 s"
    expect(band).to_have_attribute("title", re.compile("^" + re.escape(title)))
    expect(chart.locator(".chart-gap.gap-b")).to_have_count(0)
    # A's line (blue) stops at its band and starts again after it; B's (red) goes on.
    assert_line_breaks_over(line_columns(chart, BLUE), band)
    box = band.bounding_box()
    assert box is not None
    inside = [x for x in line_columns(chart, RED) if box["x"] < x < box["x"] + box["width"]]
    assert len(inside) > box["width"] / 3
    chart.scroll_into_view_if_needed()
    watched.shot("compare-latency-gap")


def test_each_export_downloads_its_document(watched):
    page = watched.page
    _, (run_id,) = finished_runs(page, small_doc(), [4])
    page.goto(f"/runs/{run_id}/requests/")
    page.wait_for_function("() => Boolean(window.mscommTrace)", timeout=60_000)
    assert page.locator("table.requests tbody tr").count() == 50
    # The first listed request (failed, else the slowest) is traced at once; its caller
    # was blocked on the sync call.
    trace = page.evaluate("window.mscommTrace")
    first = api(page, "GET", f"runs/{run_id}/requests?size=1")["sample"][0]
    assert trace["corr"] == first["corr"]
    assert trace["trace"]["outcome"] == first["outcome"]
    assert trace["trace"]["latency_ms"] == first["latency_ms"]
    assert page.locator(".waterfall .phase-blocked").count() >= 1
    # mermaid, loaded in the page, parses the diagram text.
    assert trace["mermaidOk"] is True, page.locator("#mermaid-check").inner_text()
    expect(page.locator("#mermaid-check")).to_have_text("valid Mermaid sequence diagram")
    watched.shot("requests")

    def download(selector: str) -> tuple[str, bytes]:
        with page.expect_download() as info:
            page.locator(selector).click()
        d = info.value
        with open(d.path(), "rb") as f:
            return d.suggested_filename, f.read()

    name, body = download("#dl-scenario-json")
    assert name.endswith(".json") and json.loads(body) == api(
        page, "GET", f"runs/{run_id}/scenario"
    )
    name, body = download("#dl-result-json")
    result = json.loads(body)
    assert result == api(page, "GET", f"runs/{run_id}/result")
    name, body = download("#dl-result-csv")
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows[0] == ["section", "name", "metric", "value"]
    assert ["requests", "", "failed", str(result["requests"]["failed"])] in rows
    name, body = download("#dl-timeline-csv")
    assert body.decode().splitlines()[0].startswith("t_s,arrived,")
    name, body = download("#dl-otlp")
    otlp = json.loads(body)
    jsonschema.validate(otlp, OTLP_SCHEMA)
    spans = [s for rs in otlp["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]
    assert len({s["traceId"] for s in spans}) == 1
    assert {s.get("parentSpanId") for s in spans} - {None} <= {s["spanId"] for s in spans}
    name, body = download("#dl-mermaid")
    assert name.endswith(".mmd") and body.decode() == trace["mermaid"]
    assert body.decode().startswith("sequenceDiagram\n")
    name, body = download("#dl-png")
    assert name.endswith(".png") and body[:8] == b"\x89PNG\r\n\x1a\n" and len(body) > 2000

    # Another request from the list shows its own trace.
    other = page.locator("table.requests tbody tr button").nth(30)
    corr = other.inner_text()
    other.click()
    page.wait_for_function("(c) => window.mscommTrace.corr === c", arg=corr, timeout=30_000)
    expect(page.locator("#trace-title")).to_have_text(f"Request {corr}")


def open_sweep(page, name: str, **changes) -> None:
    """The sweep page of a new scenario (`small_doc` with `changes`), sweeping the
    arrival rate."""
    page.goto("/")
    scenario = api(page, "POST", "scenarios", {"doc": {**small_doc(name), **changes}})
    page.goto(f"/sweeps/new?scenario={scenario['id']}")
    page.wait_for_function("() => document.getElementById('metric').options.length > 4")
    page.locator("#param").select_option("workload[0].arrival.rate_per_s")


def test_a_sweep_shows_progress_and_plots_the_metric(watched):
    page = watched.page
    open_sweep(page, "Sweep me")
    expect(page.locator("#param-path")).to_have_value("workload[0].arrival.rate_per_s")
    page.locator("#from").fill("20")
    page.locator("#to").fill("140")
    page.locator("#points").fill("4")
    page.locator("#metric").select_option("throughput")
    # Record every progress value the page shows while the sweep runs.
    page.evaluate(
        """() => {
            window.seenProgress = [];
            const bar = document.getElementById('sweep-progress');
            new MutationObserver(() => window.seenProgress.push(bar.value))
                .observe(document.getElementById('sweep-status'), {childList: true});
        }"""
    )
    page.locator("#btn-sweep").click()
    expect(page.locator("#sweep-status")).to_have_text("done: 4 points", timeout=90_000)
    seen = page.evaluate("window.seenProgress")
    assert seen[-1] == 1 and len(seen) >= 2
    plotted = page.evaluate("window.mscommSweep")
    assert plotted["x"] == [20, 60, 100, 140] and plotted["points"] == 4
    # Throughput follows the arrival rate.
    assert plotted["y"] == sorted(plotted["y"]) and plotted["y"][0] < plotted["y"][-1]
    assert page.locator("#sweep-plot .uplot").count() == 1
    assert page.locator("#sweep-table tbody tr").count() == 4
    watched.shot("sweep")
    page.locator("#metric").select_option("p99")
    assert page.evaluate("window.mscommSweep.metric") == "p99"


def test_the_editor_offers_the_same_variants_for_a_selected_link(watched):
    page = watched.page
    page.goto("/")
    scenario = api(page, "POST", "scenarios", {"doc": small_doc("Editor variant")})
    page.goto(f"/scenarios/{scenario['id']}/")
    ids = pick_variant(
        page, "mscommEditor", "link:charge", "Link charge (sync)", "Make it an event"
    )
    wait_compare(page)
    doc = api(page, "GET", f"runs/{ids[1]}/scenario")
    assert [link["style"] for link in doc["links"]] == ["publish", "subscribe"]
    assert [api(page, "GET", f"runs/{i}")["seed"] for i in ids] == [5, 5]


def test_a_service_offers_health_checks_as_a_variant(watched):
    page = watched.page
    _, (run_id,) = finished_runs(page, small_doc(), [6])
    page.goto(f"/runs/{run_id}/")
    ids = pick_variant(page, "mscommRun", "pay", "service pay", "Toggle health checks")
    doc = api(page, "GET", f"runs/{ids[1]}/scenario")
    assert next(n for n in doc["nodes"] if n["id"] == "pay")["health_checks"] is True
