"""patterns/messaging.py: asynchronous request-response through queues."""

from __future__ import annotations

import pytest

import patterns

from .engine_helpers import constant, kinds, link, poisson, run, scenario, service


def test_an_async_call_frees_the_worker_and_handles_the_reply():
    sc = scenario(
        [service("a", work_ms=1), service("b", work_ms=2)],
        [link("ab", "a", "b", "async", network_ms=1, reply_work_ms=3)],
        [constant("a", 10)],
    )
    result = patterns.simulate(sc)
    # 1 work + 1 net + 2 work + 1 net + 3 reply handling
    lat = result["requests"]["latency_ms"]
    assert lat["mean"] == lat["max"] == 8.0
    a = result["services"]["a"]
    assert a["blocked_fraction"] == 0.0
    # 1 + 3 ms of a worker per request, not 8.
    assert a["utilization"] == pytest.approx(100 * 0.004 / (10 * 15), rel=1e-5)


def test_async_requests_survive_a_callee_outage():
    sc = scenario(
        [service("a", work_ms=1), service("c", work_ms=2, instances=2)],
        [link("ac", "a", "c", "async")],
        [poisson("a", 100)],
        faults=[{"target": "c", "mode": "crash", "from_s": 3, "to_s": 6}],
    )
    result = patterns.simulate(sc)
    req = result["requests"]
    assert req["started"] > 800
    assert req["succeeded"] == req["started"]
    assert req["failed"] == req["unfinished"] == 0
    # Those sent during the outage waited for the restart.
    assert req["latency_ms"]["max"] > 2900


def test_a_request_held_by_a_crashing_instance_goes_back_on_the_queue():
    sc = scenario(
        [service("a", work_ms=0), service("b", work_ms=500)],
        [link("ab", "a", "b", "async", network_ms=0)],
        [constant("a", 1, to_s=1)],
        faults=[{"target": "b", "mode": "crash", "from_s": 0.2, "to_s": 1}],
    )
    result, log = run(sc)
    assert result["requests"]["succeeded"] == 1
    receives = [round(e["t"], 6) for e in kinds(log, "receive")]
    assert receives == [0.0, 1.0]
    assert result["requests"]["latency_ms"]["max"] == 1500.0
    assert result["requests"]["met_fault"]["crash"] == 1


def test_replies_wait_for_a_caller_that_is_down():
    sc = scenario(
        [service("a", work_ms=0), service("b", work_ms=100)],
        [link("ab", "a", "b", "async", network_ms=0)],
        [constant("a", 1, to_s=1)],
        faults=[{"target": "a", "mode": "crash", "from_s": 0.05, "to_s": 0.5}],
    )
    result = patterns.simulate(sc)
    assert result["requests"]["succeeded"] == 1
    assert result["requests"]["latency_ms"]["max"] == 500.0


def test_an_async_timeout_fails_the_call_and_the_late_reply_is_dropped():
    sc = scenario(
        [service("a", work_ms=0), service("b", work_ms=50)],
        [link("ab", "a", "b", "async", network_ms=0, timeout_ms=10, reply_work_ms=5)],
        [constant("a", 1, to_s=1)],
    )
    _result, log = run(sc)
    fail = kinds(log, "fail")[0]
    assert fail["reason"] == "timeout"
    # No reply to handle: the failure goes on at once.
    assert fail["t"] == pytest.approx(0.010)
    assert [d["reason"] for d in kinds(log, "drop")] == ["late"]


def test_the_last_reply_of_a_step_carries_the_operation_on():
    sc = scenario(
        [
            service("a", work_ms=0, operations=[{"id": "default", "calls": ["ab", "ac", "ad"]}]),
            service("b", work_ms=10),
            service("c", work_ms=20),
            service("d", work_ms=5),
        ],
        [
            link("ab", "a", "b", "async", network_ms=0, reply_work_ms=1),
            link("ac", "a", "c", "async", network_ms=0, reply_work_ms=1),
            link("ad", "a", "d", "sync", network_ms=0, step=2),
        ],
        [constant("a", 1, to_s=1)],
    )
    result, log = run(sc)
    # step 1: slowest reply at 20 ms + 1 ms handling; step 2: 5 ms.
    assert result["requests"]["latency_ms"]["max"] == 26.0
    sends = [(e["link"], round(e["t"], 6)) for e in kinds(log, "send")]
    assert sends == [("ab", 0.0), ("ac", 0.0), ("ad", 0.021)]


def test_a_step_with_sync_and_async_calls_frees_the_worker_after_the_sync_one():
    sc = scenario(
        [service("a", work_ms=0), service("b", work_ms=100), service("c", work_ms=10)],
        [
            link("ab", "a", "b", "async", network_ms=0),
            link("ac", "a", "c", "sync", network_ms=0),
        ],
        [constant("a", 1, to_s=1)],
    )
    sim = patterns.Simulation(sc)
    sim.advance(0.005)
    inst = sim.state()["services"]["a"]["instances"][0]
    assert (inst["working"], inst["blocked"]) == (0, 1)
    sim.advance(0.05)
    inst = sim.state()["services"]["a"]["instances"][0]
    assert (inst["working"], inst["blocked"], inst["idle"]) == (0, 0, 10)
    sim.advance(sim.end_s)
    result = sim.result()
    assert result["requests"]["latency_ms"]["max"] == 100.0
    # 10 ms blocked on c; the async reply took a worker for no time.
    assert result["services"]["a"]["blocked_fraction"] == 1.0


def test_a_lost_async_reply_ends_in_a_timeout():
    sc = scenario(
        [service("a", work_ms=0), service("b", work_ms=1)],
        [link("ab", "a", "b", "async", timeout_ms=50)],
        [constant("a", 10)],
        faults=[{"target": "ab", "mode": "omission", "probability": 0.5}],
        seed=3,
    )
    result = patterns.simulate(sc)
    req = result["requests"]
    # Request and reply are each dropped with probability 0.5: 3 in 4 calls fail.
    assert req["failures"]["timeout"] / req["started"] == pytest.approx(0.75, abs=0.1)
    assert req["met_fault"]["omission"] >= req["failed"]
