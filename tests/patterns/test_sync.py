"""patterns/sync.py: blocking calls, timeouts, late replies, hop limits, crashes."""

from __future__ import annotations

import pytest

import patterns

from .engine_helpers import constant, kinds, link, poisson, run, scenario, service


def test_a_deterministic_chain_has_exactly_its_latency():
    sc = scenario(
        [service("a", work_ms=1), service("b", work_ms=2), service("c", work_ms=3)],
        [link("ab", "a", "b", "sync"), link("bc", "b", "c", "sync")],
        [constant("a", 20)],
    )
    result = patterns.simulate(sc)
    lat = result["requests"]["latency_ms"]
    # 1 work + 1 net + 2 work + 1 net + 3 work + 1 net + 1 net
    assert lat["mean"] == lat["p50"] == lat["p99"] == lat["max"] == 10.0
    assert result["requests"]["started"] == result["requests"]["succeeded"] == 200
    assert result["links"]["ab"]["latency_ms"]["max"] == 9.0
    assert result["links"]["bc"]["latency_ms"]["mean"] == 5.0
    a, b = result["services"]["a"], result["services"]["b"]
    assert a["blocked_fraction"] == pytest.approx(0.9)
    assert b["blocked_fraction"] == pytest.approx(5 / 7, rel=1e-5)
    # 200 requests x 10 ms held on 10 workers over 10 + 5 s.
    assert a["utilization"] == pytest.approx(200 * 0.010 / (10 * 15), rel=1e-5)
    assert a["response_ms"]["max"] == 10.0


def test_a_full_queue_rejects_at_once_and_the_reply_crosses_the_network():
    sc = scenario(
        [service("a", work_ms=0), service("b", work_ms=100, workers=1, queue_limit=0)],
        [link("ab", "a", "b", "sync", network_ms=2)],
        [constant("a", 30)],
        duration_s=1,
    )
    result, log = run(sc)
    rejected = result["requests"]["failures"]["rejected"]
    assert rejected > 10
    assert result["services"]["b"]["rejected"] == rejected
    assert result["requests"]["failed"] == rejected
    rej = kinds(log, "rejected")[0]
    fail = next(e for e in kinds(log, "fail") if e["corr"] == rej["corr"])
    assert fail["reason"] == "rejected"
    assert fail["t"] - rej["t"] == pytest.approx(0.002)


def test_a_reply_after_the_timeout_is_dropped_as_late():
    sc = scenario(
        [service("a", work_ms=0), service("b", work_ms=50)],
        [link("ab", "a", "b", "sync", timeout_ms=20)],
        [constant("a", 1)],
    )
    result, log = run(sc)
    assert result["requests"]["failures"]["timeout"] == 10
    assert result["links"]["ab"]["timeouts"] == 10
    drops = kinds(log, "drop")
    assert len(drops) == 10 and {d["reason"] for d in drops} == {"late"}
    timeout = kinds(log, "timeout")[0]
    assert timeout["t"] == pytest.approx(0.020)
    assert timeout["waiting_for"] == "reply from b/0 on ab"
    # The callee still did its work.
    assert result["services"]["b"]["completed"] == 10


def test_a_cycle_of_sync_calls_fails_at_the_hop_limit():
    sc = scenario(
        [service("a", work_ms=0, workers=100), service("b", work_ms=0, workers=100)],
        [link("ab", "a", "b", "sync", network_ms=0), link("ba", "b", "a", "sync", network_ms=0)],
        [constant("a", 1)],
        duration_s=2,
    )
    result, log = run(sc)
    assert result["requests"]["failures"]["hop_limit"] == 2
    sends = [e for e in kinds(log, "send") if e["corr"] == "r1"]
    assert len(sends) == 64


def test_probability_makes_a_share_of_the_calls():
    sc = scenario(
        [service("a", work_ms=0), service("b", work_ms=0)],
        [link("ab", "a", "b", "sync", probability=0.3)],
        [poisson("a", 500)],
    )
    result = patterns.simulate(sc)
    share = result["links"]["ab"]["calls"] / result["requests"]["started"]
    assert share == pytest.approx(0.3, abs=0.03)


def test_an_optional_call_that_fails_does_not_fail_the_request():
    sc = scenario(
        [service("a", work_ms=0), service("b", work_ms=0), service("c", work_ms=0)],
        [
            link("ab", "a", "b", "sync", optional=True, timeout_ms=10),
            link("ac", "a", "c", "sync", timeout_ms=10),
        ],
        [constant("a", 10)],
        faults=[{"target": "b", "mode": "crash"}, {"target": "c", "mode": "crash", "from_s": 5}],
    )
    result = patterns.simulate(sc)
    assert result["links"]["ab"]["failed"] == 100
    assert result["requests"]["succeeded"] == 50
    assert result["requests"]["failures"]["timeout"] == 50


def test_a_call_to_a_crashed_instance_without_timeout_stays_unfinished():
    sc = scenario(
        [service("a", work_ms=0), service("b", work_ms=1)],
        [link("ab", "a", "b", "sync")],
        [constant("a", 10)],
        faults=[{"target": "b", "mode": "crash", "from_s": 5}],
    )
    result = patterns.simulate(sc)
    assert result["requests"]["succeeded"] == 50
    assert result["requests"]["unfinished"] == 50


def test_a_refusing_crash_fails_calls_at_once():
    sc = scenario(
        [service("a", work_ms=0), service("b", work_ms=1)],
        [link("ab", "a", "b", "sync", network_ms=1)],
        [constant("a", 10)],
        faults=[{"target": "b", "mode": "crash", "from_s": 5, "refuse": True}],
    )
    result, log = run(sc)
    assert result["requests"]["failures"]["refused"] == 50
    fail = kinds(log, "fail")[0]
    assert fail["t"] == pytest.approx(5.002)


def test_a_caller_lost_in_a_crash_stops_waiting_for_its_calls():
    sc = scenario(
        [service("a", work_ms=0), service("b", work_ms=500)],
        [link("ab", "a", "b", "sync", network_ms=0, timeout_ms=1000, retries=2)],
        [constant("a", 1, to_s=1)],
        faults=[{"target": "a", "mode": "crash", "from_s": 0.1, "to_s": 0.2}],
    )
    sim = patterns.Simulation(sc)
    log = []
    sim.obs = log.append
    sim.advance(sim.end_s)
    result = sim.result()
    assert result["requests"]["failures"]["lost"] == 1
    assert sim.state()["links"]["ab"]["in_flight"] == 0
    drop = kinds(log, "drop")[0]
    assert (drop["reason"], drop["t"]) == ("crash", 0.5)
    # No timeout, no retry for a caller that is gone.
    assert kinds(log, "timeout", "retry") == []
    assert result["links"]["ab"]["timeouts"] == 0
