"""patterns/library: the built-in chapter-4 labs load, draw sensibly and teach their lesson."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

import patterns
from patterns.library import Lab, get_lab, list_labs
from patterns.variants import flip_link, set_param, toggle

REQUIRED = [
    "sync-chain",
    "sync-chain-restructured",
    "temporal-coupling",
    "cascade-sync",
    "cascade-async",
    "long-running-async",
    "async-request-response",
    "order-placed-event",
    "common-data",
    "mixed-styles",
    "poison-forever",
    "poison-dlq",
    "resilience",
    "retry-storm",
    "fault-crash",
    "fault-omission",
    "fault-timing",
    "fault-response",
    "fault-arbitrary",
]
SLUGS = [lab.slug for lab in list_labs()]
ROOT = Path(__file__).resolve().parents[2]
ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def test_the_library_has_every_required_lab_in_order() -> None:
    assert [s for s in SLUGS if s in REQUIRED] == REQUIRED
    assert len(SLUGS) == len(set(SLUGS))


def test_every_json_file_in_the_package_is_listed_and_every_listed_lab_has_a_file() -> None:
    files = {
        p.name.removesuffix(".json")
        for p in resources.files("patterns.library").iterdir()
        if p.name.endswith(".json") and p.name != "index.json"
    }
    assert files == set(SLUGS)


@pytest.mark.parametrize("slug", SLUGS)
def test_lab_is_a_valid_scenario(slug: str) -> None:
    lab = get_lab(slug)
    scenario = patterns.load(lab.doc)
    assert ID.match(lab.slug)
    assert scenario.name == lab.name
    assert 30 <= scenario.duration_s <= 120


@pytest.mark.parametrize("slug", SLUGS)
def test_lab_tells_the_learner_what_to_watch(slug: str) -> None:
    lab = get_lab(slug)
    assert lab.description == lab.doc["description"]
    assert 200 <= len(lab.description) <= 4000
    assert "Watch" in lab.description or "watch" in lab.description
    # One sentence: a single full stop, at the end.
    assert lab.summary.endswith(".") and lab.summary.count(". ") == 0
    assert len(lab.summary) <= 160


@pytest.mark.parametrize("slug", SLUGS)
def test_lab_layout_places_every_node_apart(slug: str) -> None:
    doc = get_lab(slug).doc
    layout = doc["layout"]
    assert set(layout) == {n["id"] for n in doc["nodes"]}
    points = [(p["x"], p["y"]) for p in layout.values()]
    for i, (x1, y1) in enumerate(points):
        for x2, y2 in points[i + 1 :]:
            assert max(abs(x1 - x2), abs(y1 - y2)) >= 120, (x1, y1, x2, y2)


@pytest.mark.parametrize("slug", SLUGS)
def test_lab_flows_left_to_right(slug: str) -> None:
    doc = get_lab(slug).doc
    x = {node: p["x"] for node, p in doc["layout"].items()}
    for link in doc["links"]:
        assert x[link["from"]] < x[link["to"]], link["id"]


def test_get_lab_returns_an_independent_copy_each_time() -> None:
    first = get_lab("sync-chain")
    first.doc["nodes"].clear()
    assert get_lab("sync-chain").doc["nodes"]


def test_get_lab_refuses_an_unknown_or_path_like_slug() -> None:
    for slug in ("no-such-lab", "index", "../pyproject", ""):
        with pytest.raises(KeyError):
            get_lab(slug)


def test_list_labs_gives_lab_records() -> None:
    labs = list_labs()
    assert all(isinstance(lab, Lab) for lab in labs)
    assert json.loads(json.dumps([lab.doc for lab in labs])) == [lab.doc for lab in labs]


# --- every lab runs and shows its lesson ----------------------------------------------------


def run(doc: dict[str, Any], *, until: float | None = None, observer: Any = None) -> dict:
    """The result document of one run of ``doc``, as the CLI and the web see it."""
    result = patterns.simulate(patterns.load(doc), until=until, observer=observer)
    return result if isinstance(result, dict) else result.model_dump(mode="json")


@cache
def lab_result(slug: str) -> dict:
    return run(get_lab(slug).doc)


def window(result: dict, series: str, from_s: int, to_s: int) -> int:
    """The sum of a timeline series over the seconds [from_s, to_s)."""
    timeline = result["timeline"]
    return sum(
        n for t, n in zip(timeline["t_s"], timeline[series], strict=True) if from_s <= t < to_s
    )


@pytest.mark.parametrize("slug", SLUGS)
def test_lab_runs_to_its_end_with_requests_served(slug: str) -> None:
    result = lab_result(slug)
    requests = result["requests"]
    assert result["stop"] is None
    assert requests["started"] > 0
    assert requests["succeeded"] > 0
    assert (
        requests["started"] == requests["succeeded"] + requests["failed"] + requests["unfinished"]
    )


def test_restructured_chain_is_faster_than_the_sync_chain() -> None:
    chain, short = lab_result("sync-chain"), lab_result("sync-chain-restructured")
    assert short["requests"]["latency_ms"]["p50"] < 0.85 * chain["requests"]["latency_ms"]["p50"]
    assert short["requests"]["latency_ms"]["p99"] < chain["requests"]["latency_ms"]["p99"]
    # In the chain Payment blocks on Fraud Detection; restructured, it blocks on nobody.
    assert chain["services"]["payment"]["blocked_fraction"] > 0.5
    assert short["services"]["payment"]["blocked_fraction"] == 0


def test_temporal_coupling_blocks_the_order_processor_and_grows_its_queue() -> None:
    order = lab_result("temporal-coupling")["services"]["order"]
    assert order["blocked_fraction"] > 0.5
    assert order["queue_wait_ms"]["p99"] > 100
    assert order["queue_length_mean"] > 0.5


def test_async_chain_rides_out_the_outage_that_cascades_through_the_sync_chain() -> None:
    sync, async_ = lab_result("cascade-sync"), lab_result("cascade-async")
    assert sync["requests"]["failed"] > 100
    assert async_["requests"]["failed"] * 10 < sync["requests"]["failed"]
    # Timeouts cascade: every link of the sync chain times out, not just the last one.
    assert all(link["timeouts"] > 0 for link in sync["links"].values())
    assert sync["services"]["order"]["blocked_fraction"] > 0.5
    assert async_["services"]["order"]["blocked_fraction"] == 0
    # The async requests waited the outage out instead.
    assert async_["requests"]["latency_ms"]["max"] > 10_000


def test_long_running_process_leaves_the_async_callers_workers_free() -> None:
    lab = get_lab("long-running-async")
    async_ = lab_result("long-running-async")
    sync = run(flip_link(lab.doc, "pack", "sync"))
    assert async_["requests"]["failed"] == 0
    assert async_["services"]["order"]["utilization"] < 0.1
    # Made sync, the same calls hold every worker of the Order Processor and orders bounce.
    assert sync["services"]["order"]["utilization"] > 0.75
    assert sync["services"]["order"]["blocked_fraction"] > 0.9
    assert sync["requests"]["failures"]["rejected"] > 0


def test_any_instance_of_the_caller_may_handle_an_async_reply() -> None:
    events: list[dict] = []
    run(get_lab("async-request-response").doc, until=10, observer=events.append)
    sent_by = {
        e["corr"]: e["src"]
        for e in events
        if e["kind"] == "send" and e.get("link") == "reserve" and e.get("msg") == "request"
    }
    handled_by = {
        e["corr"]: e["dst"]
        for e in events
        if e.get("link") == "reserve" and e.get("msg") == "reply" and "dst" in e
    }
    both = sent_by.keys() & handled_by.keys()
    assert len(both) > 50
    assert any(sent_by[c] != handled_by[c] for c in both)
    assert len({handled_by[c] for c in both}) == 3


def test_order_placed_event_reaches_every_subscriber_without_slowing_the_order() -> None:
    result = lab_result("order-placed-event")
    topic = result["topics"]["order-placed"]
    assert topic["delivered"] == 3 * topic["published"]
    assert topic["published"] == result["requests"]["succeeded"]
    notifications = result["services"]["notifications"]
    assert result["requests"]["latency_ms"]["p99"] < notifications["response_ms"]["p50"]


def test_common_data_is_stale_by_half_the_polling_interval_on_average() -> None:
    lake = lab_result("common-data")["datastores"]["lake"]
    interval_ms = 10_000
    assert 0.8 * interval_ms / 2 < lake["staleness_ms"]["mean"] < 1.2 * interval_ms / 2
    assert lake["staleness_ms"]["max"] <= interval_ms + 500
    assert lake["reads"] > 0


def test_mixed_styles_answer_after_the_payment_but_before_the_events_are_handled() -> None:
    result = lab_result("mixed-styles")
    latency = result["requests"]["latency_ms"]
    assert result["links"]["pay"]["succeeded"] >= result["requests"]["succeeded"]
    assert latency["p50"] > result["links"]["pay"]["latency_ms"]["p50"]
    assert result["topics"]["order-placed"]["delivered"] > 0
    assert result["datastores"]["lake"]["writes"] > 0
    assert latency["p50"] < result["services"]["notifications"]["response_ms"]["p50"]


def test_poison_messages_go_to_the_dead_letter_queue_only_with_a_delivery_limit() -> None:
    def run_counting_crashes(slug: str) -> tuple[dict, list[float]]:
        crashes: list[float] = []
        result = run(
            get_lab(slug).doc,
            observer=lambda e: crashes.append(e["t"]) if e["kind"] == "crash" else None,
        )
        return result["topics"]["order-placed"], crashes

    forever, forever_crashes = run_counting_crashes("poison-forever")
    dlq, dlq_crashes = run_counting_crashes("poison-dlq")
    assert dlq["dead_lettered"] > 0
    assert forever["dead_lettered"] == 0
    assert forever["redelivered"] > 2 * dlq["redelivered"]
    assert forever["delivery_lag_ms"]["p99"] > dlq["delivery_lag_ms"]["p99"]
    # Redelivered for ever: the Warehouse still crashes in the last ten seconds of the
    # drain, long after the last order; with the limit it stopped crashing long before.
    end_s = 90
    assert any(t >= end_s - 10 for t in forever_crashes)
    assert dlq_crashes and not any(t >= end_s - 10 for t in dlq_crashes)


def test_circuit_breaker_fails_fast_and_frees_the_callers_workers() -> None:
    lab = get_lab("resilience")
    with_breaker = lab_result("resilience")
    without = run(toggle(lab.doc, "pay", "circuit_breaker"))
    assert with_breaker["links"]["pay"]["circuit_open_s"] > 5
    assert with_breaker["requests"]["failures"]["circuit_open"] > 0
    assert without["links"]["pay"]["circuit_open_s"] == 0
    assert (
        with_breaker["services"]["order"]["utilization"]
        < without["services"]["order"]["utilization"]
    )
    # After Payment restarts (35 s) the breaker closes again and orders succeed.
    assert window(with_breaker, "succeeded", 45, 60) > 0.9 * window(with_breaker, "arrived", 45, 60)


def test_retry_storm_outlasts_the_slowdown_that_started_it() -> None:
    lab = get_lab("retry-storm")
    storm = lab_result("retry-storm")
    calm = run(set_param(lab.doc, "links[pay].retries", 0))
    # Retries multiply the load Payment sees.
    assert storm["services"]["payment"]["received"] > 1.5 * storm["requests"]["started"]
    assert storm["requests"]["failed"] > 1.5 * calm["requests"]["failed"]
    # Long after the slowdown (20-30 s) the storm still fails requests; without retries
    # the system has recovered.
    assert window(storm, "failed", 50, 60) > 0.5 * window(storm, "arrived", 50, 60)
    assert window(calm, "failed", 50, 60) < 0.05 * window(calm, "arrived", 50, 60)


@pytest.mark.parametrize("mode", ["crash", "omission", "timing", "response", "arbitrary"])
def test_failure_mode_lab_meets_its_fault(mode: str) -> None:
    result = lab_result(f"fault-{mode}")
    met = result["requests"]["met_fault"]
    assert met[mode] > 0
    assert all(n == 0 for other, n in met.items() if other != mode)


def test_failure_modes_show_their_symptoms() -> None:
    assert lab_result("fault-crash")["links"]["pay"]["retries"] > 0
    assert lab_result("fault-omission")["requests"]["failures"]["timeout"] > 0
    assert lab_result("fault-response")["requests"]["failures"]["bad_response"] > 0
    timing = lab_result("fault-timing")["requests"]
    assert timing["latency_ms"]["p99"] > 2 * timing["latency_ms"]["p50"]
    arbitrary = lab_result("fault-arbitrary")["requests"]["failures"]
    assert arbitrary["timeout"] > 0 and arbitrary["bad_response"] > 0


def test_network_hops_cost_what_in_process_calls_do_not() -> None:
    services = lab_result("in-process-vs-network")["services"]
    assert services["shop"]["response_ms"]["p50"] > services["monolith"]["response_ms"]["p50"] + 10


def test_the_labs_ship_inside_the_built_package(tmp_path: Path) -> None:
    # Build a wheel from a copy of the sources (the build writes next to them), unpack it
    # somewhere else and read the labs from there alone.
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "patterns", src / "patterns", ignore=shutil.ignore_patterns("__pycache__")
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation",
         "-q", "-w", str(tmp_path / "dist")],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    probe = "from patterns.library import list_labs; print(len(list_labs()))"
    out = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r}); {probe}"],
        check=True, capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert int(out.stdout) == len(SLUGS)
