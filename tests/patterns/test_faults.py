"""patterns/faults.py: the five failure modes, windows, probabilities, instances."""

from __future__ import annotations

import pytest

import patterns

from .engine_helpers import constant, kinds, link, poisson, run, scenario, service


def pair(faults, **link_options):
    return scenario(
        [service("a", work_ms=1, workers=100), service("b", work_ms=2, workers=100)],
        [link("ab", "a", "b", "sync", **link_options)],
        [constant("a", 10)],
        faults,
    )


def test_a_timing_fault_adds_its_extra_time_inside_its_window_only():
    result, log = run(
        pair([{"target": "b", "mode": "timing", "from_s": 2, "to_s": 4, "extra_ms": 100}])
    )
    latency = {e["corr"]: e["t"] for e in kinds(log, "complete")}
    arrive = {e["corr"]: e["t"] for e in kinds(log, "arrive")}
    slow = [c for c in latency if latency[c] - arrive[c] > 0.05]
    assert len(slow) == 20
    assert all(2 <= arrive[c] < 4 for c in slow)
    assert result["requests"]["latency_ms"]["max"] == 105.0
    assert result["requests"]["met_fault"]["timing"] == 20
    window = [
        (e["kind"], e["t"], e["node"], e["mode"]) for e in kinds(log, "fault_start", "fault_end")
    ]
    assert window == [("fault_start", 2.0, "b", "timing"), ("fault_end", 4.0, "b", "timing")]


def test_a_timing_fault_on_a_link_slows_the_network_hop():
    result = patterns.simulate(pair([{"target": "ab", "mode": "timing", "extra_ms": 10}]))
    # both the request and the reply are 10 ms late
    assert result["requests"]["latency_ms"]["max"] == 1 + 1 + 10 + 2 + 1 + 10


def test_a_response_fault_fails_calls_with_bad_response():
    result = patterns.simulate(pair([{"target": "b", "mode": "response", "from_s": 5}]))
    req = result["requests"]
    assert req["failures"]["bad_response"] == req["failed"] == 50
    assert req["met_fault"]["response"] == 50
    assert result["links"]["ab"]["failed"] == 50


def test_an_omission_fault_with_a_probability_drops_that_share():
    result = patterns.simulate(
        scenario(
            [service("a", work_ms=0, workers=100), service("b", work_ms=1, workers=100)],
            [link("ab", "a", "b", "sync", timeout_ms=10)],
            [poisson("a", 500)],
            [{"target": "b", "mode": "omission", "probability": 0.25}],
        )
    )
    req = result["requests"]
    assert req["failures"]["timeout"] / req["started"] == pytest.approx(0.25, abs=0.02)
    assert req["met_fault"]["omission"] == req["failed"]


def test_an_omission_on_the_entry_service_loses_the_request():
    result = patterns.simulate(pair([{"target": "a", "mode": "omission", "to_s": 3}]))
    assert result["requests"]["failures"]["lost"] == 30


def test_requests_held_by_a_crashing_entry_instance_are_lost():
    sc = scenario(
        [service("a", work_ms=300)],
        [],
        [constant("a", 10)],
        [{"target": "a", "mode": "crash", "from_s": 5, "to_s": 6}],
    )
    result, _log = run(sc)
    failures = result["requests"]["failures"]
    # 3 in progress at the crash, 10 more arrive while it is down.
    assert failures["lost"] == 3 + 10
    assert result["requests"]["met_fault"]["crash"] == 13
    assert result["requests"]["succeeded"] == 100 - 13


def test_a_crash_of_one_instance_leaves_the_others_up():
    sc = scenario(
        [service("a", work_ms=0), service("b", work_ms=1, instances=2)],
        [link("ab", "a", "b", "sync", timeout_ms=10)],
        [constant("a", 10)],
        [{"target": "b", "mode": "crash", "instance": 1, "from_s": 2, "to_s": 4}],
    )
    result, log = run(sc)
    assert result["requests"]["failures"]["timeout"] == 10
    assert [(e["kind"], e["instance"]) for e in kinds(log, "crash", "restart")] == [
        ("crash", 1),
        ("restart", 1),
    ]


def test_an_arbitrary_fault_draws_each_mode():
    result = patterns.simulate(
        scenario(
            [service("a", work_ms=0, workers=100), service("b", work_ms=1, workers=100)],
            [link("ab", "a", "b", "sync", timeout_ms=50)],
            [poisson("a", 300)],
            [{"target": "b", "mode": "arbitrary", "extra_ms": 100}],
        )
    )
    req = result["requests"]
    third = req["started"] / 3
    assert req["failures"]["bad_response"] == pytest.approx(third, rel=0.1)
    # omission and timing (100 ms > the 50 ms timeout) both end in a timeout
    assert req["failures"]["timeout"] == pytest.approx(2 * third, rel=0.1)
    assert req["met_fault"]["arbitrary"] == req["started"]


def test_overlapping_crash_windows_keep_the_instance_down_until_the_last_ends():
    sc = pair(
        [
            {"target": "b", "mode": "crash", "from_s": 1, "to_s": 3},
            {"target": "b", "mode": "crash", "from_s": 2, "to_s": 4},
        ],
        timeout_ms=10,
    )
    result, log = run(sc)
    assert [(e["kind"], e["t"]) for e in kinds(log, "crash", "restart")] == [
        ("crash", 1.0),
        ("restart", 4.0),
    ]
    assert result["requests"]["failures"]["timeout"] == 30
