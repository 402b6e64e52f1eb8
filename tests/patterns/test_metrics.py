"""patterns/metrics.py: bounded histograms, summaries and memory that does not grow."""

from __future__ import annotations

import math
import random
import tracemalloc

import pytest

import patterns
from patterns.metrics import Histogram

from .engine_helpers import constant, link, poisson, scenario, service


def exact_quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


@pytest.mark.parametrize("draw", ["expovariate", "lognormvariate", "uniform"])
def test_histogram_quantiles_are_within_one_percent(draw):
    rng = random.Random(5)
    sample = {
        "expovariate": lambda: rng.expovariate(30.0),
        "lognormvariate": lambda: rng.lognormvariate(-4, 1.5),
        "uniform": lambda: rng.uniform(0.001, 0.002),
    }[draw]
    values = [sample() for _ in range(20000)]
    h = Histogram()
    for v in values:
        h.add(v)
    qs = (0.01, 0.5, 0.9, 0.95, 0.99, 0.999)
    for q, got in zip(qs, h.quantiles(qs), strict=True):
        assert got == pytest.approx(exact_quantile(values, q), rel=0.01)
    assert h.count == len(values)
    assert h.mean() == pytest.approx(sum(values) / len(values), rel=1e-9)
    assert h.max == max(values)
    # Memory: a few hundred buckets used, not one entry per value, and the bucket list
    # spans only the buckets from the smallest value's to the largest's.
    assert sum(1 for c in h.counts if c) < 1500
    assert len(h.counts) <= math.log(max(values) / min(values)) / math.log(1.01) + 2


def test_histogram_is_exact_for_a_constant_and_counts_zeros():
    h = Histogram()
    for _ in range(10):
        h.add(0.007)
    assert h.summary_ms() == {"mean": 7.0, "p50": 7.0, "p95": 7.0, "p99": 7.0, "max": 7.0}
    z = Histogram()
    z.add(0.0)
    z.add(0.0)
    z.add(0.004)
    assert z.quantiles((0.5, 0.99)) == [0.0, 0.004]


def test_an_empty_summary_is_all_null():
    assert Histogram().summary_ms(with_p90=True) == {
        "mean": None,
        "p50": None,
        "p90": None,
        "p95": None,
        "p99": None,
        "max": None,
    }


def mixed(duration_s: float):
    return scenario(
        [
            service("a", work_ms={"dist": "exponential", "mean": 2}),
            service("b", work_ms={"dist": "exponential", "mean": 2}),
            {"id": "t", "kind": "topic"},
            service("s", work_ms=1),
            {"id": "lake", "kind": "datastore"},
            service("r", work_ms=1),
        ],
        [
            link("ab", "a", "b", "sync", timeout_ms=100),
            link("ac", "a", "s", "async", step=2),
            link("pub", "a", "t", "publish", step=2),
            link("sub", "t", "s", "subscribe"),
            link("w", "a", "lake", "write", step=3),
            link("p", "lake", "r", "poll", interval_ms=100),
        ],
        [poisson("a", 100)],
        duration_s=duration_s,
        drain_s=1,
    )


def peak_bytes(duration_s: float) -> int:
    sc = mixed(duration_s)
    tracemalloc.start()
    try:
        result = patterns.simulate(sc)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result["requests"]["succeeded"] > 80 * duration_s
    return peak


def test_a_ten_times_longer_run_does_not_need_ten_times_the_memory():
    short = peak_bytes(6)
    long = peak_bytes(60)
    assert long < 2 * short, (short, long)


def _state_at(sc: patterns.Scenario, t: float) -> dict:
    sim = patterns.Simulation(sc)
    sim.advance(t)
    return sim.state()


def test_async_requests_waiting_for_a_callee_worker_are_counted_on_their_link():
    # 10 requests a second reach Inventory 2 ms after they arrive; its one worker takes
    # a second each, so at 0.55 s six have arrived, one is in hand and five wait.
    sc = scenario(
        [service("order", work_ms=1), service("inv", workers=1, work_ms=1000)],
        [link("reserve", "order", "inv", "async", network_ms=1)],
        [constant("order", 10)],
    )
    state = _state_at(sc, 0.55)
    assert state["links"]["reserve"]["queued"] == {"request": 5, "reply": 0}
    assert state["services"]["inv"]["instances"][0]["queue"] == 5


def test_async_requests_wait_on_the_service_queue_while_no_callee_is_up():
    sc = scenario(
        [service("order", work_ms=1), service("inv", instances=2, work_ms=1)],
        [link("reserve", "order", "inv", "async", network_ms=1)],
        [constant("order", 10)],
        [{"target": "inv", "mode": "crash", "from_s": 0, "to_s": 5}],
    )
    state = _state_at(sc, 0.55)
    assert state["links"]["reserve"]["queued"] == {"request": 6, "reply": 0}
    assert [i["queue"] for i in state["services"]["inv"]["instances"]] == [0, 0]


def test_async_replies_waiting_for_a_caller_worker_are_counted_on_their_link():
    # One request calls three services at once; their replies come back at 4, 5 and
    # 6 ms to Order's single worker, which spends a second on each.
    callees = [service(f"c{i}", work_ms=i) for i in (1, 2, 3)]
    sc = scenario(
        [service("order", workers=1, work_ms=1), *callees],
        [link(f"to-c{i}", "order", f"c{i}", "async", network_ms=1, reply_work_ms=1000)
         for i in (1, 2, 3)],
        [constant("order", 1, to_s=0.5)],
    )  # fmt: skip
    links = _state_at(sc, 0.5)["links"]
    assert [links[f"to-c{i}"]["queued"] for i in (1, 2, 3)] == [
        {"request": 0, "reply": 0},
        {"request": 0, "reply": 1},
        {"request": 0, "reply": 1},
    ]


def test_only_async_links_report_queued():
    sc = scenario(
        [service("a"), service("b")], [link("call", "a", "b", "sync")], [constant("a", 1)]
    )
    assert "queued" not in _state_at(sc, 1.0)["links"]["call"]


def test_dead_letters_are_counted_per_subscriber():
    # Every event crashes S1 on its one delivery (straight to the dead-letter queue);
    # S2 is down throughout, so its events wait and none is attempted.
    sc = scenario(
        [
            service("a", work_ms=1),
            {"id": "t", "kind": "topic", "poison_probability": 1, "max_deliveries": 1},
            service("s1", work_ms=1, restart_ms=100),
            service("s2", work_ms=1),
        ],
        [link("pub", "a", "t", "publish"), link("sub1", "t", "s1", "subscribe"),
         link("sub2", "t", "s2", "subscribe")],
        [constant("a", 1)],
        [{"target": "s2", "mode": "crash", "from_s": 0}],
    )  # fmt: skip
    topic = _state_at(sc, 5.5)["topics"]["t"]
    assert topic["dead_letters"] == {"s1": 6, "s2": 0}
    assert topic["dead_lettered"] == 6
    assert topic["backlog"] == {"s1": 0, "s2": 6}
