"""patterns/services.py: steps of calls, queues and their limits, bulkheads, and what a
job's end tells whoever started it."""

from __future__ import annotations

import pytest

import patterns

from .engine_helpers import constant, kinds, link, run, scenario, service


def test_calls_of_one_step_go_out_together_and_steps_follow_each_other():
    sc = scenario(
        [
            service(
                "a",
                work_ms=0,
                operations=[{"id": "default", "calls": ["ab", "ac", "ad"]}],
            ),
            service("b", work_ms=5),
            service("c", work_ms=9),
            service("d", work_ms=2),
        ],
        [
            link("ab", "a", "b", "sync", step=1),
            link("ac", "a", "c", "sync", step=1),
            link("ad", "a", "d", "sync", step=2),
        ],
        [constant("a", 1)],
    )
    result, log = run(sc)
    # step 1: max(5, 9) + 2 ms network; step 2: 2 + 2.
    assert result["requests"]["latency_ms"]["max"] == 15.0
    sends = [(e["link"], round(e["t"], 9)) for e in kinds(log, "send") if e["corr"] == "r1"]
    assert sends == [("ab", 0.0), ("ac", 0.0), ("ad", 0.011)]


def test_a_queue_limit_lets_that_many_wait():
    sc = scenario(
        [service("a", work_ms=0), service("b", work_ms=100, workers=1, queue_limit=2)],
        [link("ab", "a", "b", "sync", network_ms=0)],
        [constant("a", 1000, to_s=0.004)],
        duration_s=1,
    )
    result = patterns.simulate(sc)
    # 4 arrive 1 ms apart: one is served, two wait, one is rejected.
    assert result["requests"]["succeeded"] == 3
    assert result["requests"]["failures"]["rejected"] == 1
    assert result["services"]["b"]["queue_wait_ms"]["max"] == pytest.approx(198, abs=0.01)


def bulkheaded(workers: int) -> dict:
    """A service whose slow operation may hold one worker at a time."""
    return service(
        "a",
        workers=workers,
        operations=[
            {"id": "slow", "work_ms": 1000, "max_concurrent": 1},
            {"id": "fast", "work_ms": 10},
        ],
    )


def test_a_bulkhead_caps_the_workers_one_operation_takes():
    sc = scenario(
        [bulkheaded(workers=4)],
        [],
        [
            constant("a", 100, operation="slow", to_s=1),
            constant("a", 100, operation="fast", to_s=1),
        ],
        duration_s=1,
        drain_s=0.5,
    )
    result = patterns.simulate(sc)
    # The slow operation holds one worker at a time; the fast one never waits long.
    assert result["requests"]["succeeded"] == 100 + 1
    assert result["services"]["a"]["utilization"] == pytest.approx(
        (1.5 * 1 + 100 * 0.01) / (4 * 1.5), rel=1e-3
    )


def test_requests_a_bulkhead_holds_back_do_not_block_other_operations():
    sc = scenario(
        [bulkheaded(workers=2)],
        [],
        [
            constant("a", 1000, operation="slow", to_s=0.003),
            constant("a", 1, operation="fast", from_s=0.5, to_s=1),
        ],
        duration_s=1,
        drain_s=3,
    )
    result, log = run(sc)
    fast = next(e for e in kinds(log, "complete") if e["corr"] == "r4")
    # Two slow requests wait behind the bulkhead; the fast one takes the free worker.
    assert fast["t"] == pytest.approx(0.51)
    assert result["requests"]["succeeded"] == 4


def test_one_worker_serves_its_queue_in_arrival_order():
    sc = scenario(
        [service("a", work_ms=10, workers=1)],
        [],
        [constant("a", 1000, to_s=0.003)],
        duration_s=1,
    )
    result, log = run(sc)
    done = [(e["corr"], round(e["t"], 9)) for e in kinds(log, "complete")]
    assert done == [("r1", 0.01), ("r2", 0.02), ("r3", 0.03)]
    assert result["services"]["a"]["queue_wait_ms"]["max"] == pytest.approx(18, abs=0.01)


def test_a_job_answers_whoever_started_it():
    # A workload request, a sync call and a delivery: each job's end reaches its origin.
    sc = scenario(
        [
            service("a", work_ms=1, operations=[{"id": "default", "calls": ["ab", "pub"]}]),
            service("b", work_ms=1),
            {"id": "t", "kind": "topic"},
            service("c", work_ms=1),
        ],
        [
            link("ab", "a", "b", "sync"),
            link("pub", "a", "t", "publish", step=2),
            link("sub", "t", "c", "subscribe"),
        ],
        [constant("a", 10, to_s=1)],
    )
    result, log = run(sc)
    assert result["requests"]["succeeded"] == 10
    assert result["links"]["ab"]["succeeded"] == 10
    assert result["topics"]["t"]["delivered"] == 10
    replies = [e for e in kinds(log, "reply") if e["link"] == "ab"]
    assert len(replies) == 10 and all(e["ok"] for e in replies)
