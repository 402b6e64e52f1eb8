"""patterns/resilience.py: timeouts, retries with backoff, circuit breakers."""

from __future__ import annotations

import pytest

import patterns

from .engine_helpers import constant, kinds, link, poisson, run, scenario, service


def test_retries_wait_the_backoff_and_multiply_it():
    sc = scenario(
        [service("a", work_ms=0), service("b", work_ms=1)],
        [
            link(
                "ab",
                "a",
                "b",
                "sync",
                network_ms=0,
                timeout_ms=10,
                retries=3,
                backoff_ms=5,
                backoff_multiplier=2,
            )
        ],
        [constant("a", 1, to_s=1)],
        faults=[{"target": "b", "mode": "omission"}],
    )
    result, log = run(sc)
    sends = [(round(e["t"] * 1000, 6), e["attempt"]) for e in kinds(log, "send")]
    assert sends == [(0.0, 1), (15.0, 2), (35.0, 3), (65.0, 4)]
    retries = [(round(e["t"] * 1000, 6), e["attempt"]) for e in kinds(log, "retry")]
    assert retries == [(10.0, 2), (25.0, 3), (45.0, 4)]
    fail = kinds(log, "fail")[0]
    assert fail["reason"] == "timeout" and fail["t"] == pytest.approx(0.075)
    ab = result["links"]["ab"]
    assert (ab["calls"], ab["failed"], ab["timeouts"], ab["retries"]) == (1, 1, 4, 3)
    assert result["requests"]["met_fault"]["omission"] == 1


def test_a_retry_that_succeeds_counts_the_whole_call_latency():
    sc = scenario(
        [service("a", work_ms=0), service("b", work_ms=1)],
        [link("ab", "a", "b", "sync", network_ms=0, timeout_ms=10, retries=1, backoff_ms=5)],
        [constant("a", 1, to_s=1)],
        faults=[{"target": "b", "mode": "omission", "to_s": 0.005}],
    )
    result = patterns.simulate(sc)
    assert result["requests"]["succeeded"] == 1
    # 10 ms timeout + 5 ms backoff + 1 ms of work.
    assert result["links"]["ab"]["latency_ms"]["max"] == 16.0


@pytest.mark.parametrize(("p", "retries"), [(0.5, 0), (0.5, 2), (0.3, 1)])
def test_failure_rate_under_omission_with_retries_is_p_to_the_attempts(p, retries):
    sc = scenario(
        [service("a", work_ms=0, workers=1000), service("b", work_ms=1, workers=1000)],
        [link("ab", "a", "b", "sync", timeout_ms=20, retries=retries)],
        [poisson("a", 400)],
        faults=[{"target": "b", "mode": "omission", "probability": p}],
        seed=11,
    )
    result = patterns.simulate(sc)
    req = result["requests"]
    rate = req["failed"] / req["started"]
    expected = p ** (retries + 1)
    assert rate == pytest.approx(
        expected, abs=4 * (expected * (1 - expected) / req["started"]) ** 0.5
    )
    assert req["unfinished"] == 0


def breaker_scenario(window: int = 4, health_checks: bool = False, **crash):
    """a calls b 10 times a second through a breaker; b crashes as `crash` says."""
    breaker = {"failure_rate": 0.5, "window": window, "min_calls": window, "open_ms": 1000}
    return scenario(
        [service("a", work_ms=0), service("b", work_ms=1, health_checks=health_checks)],
        [link("ab", "a", "b", "sync", network_ms=0, circuit_breaker=breaker)],
        [constant("a", 10)],
        faults=[{"target": "b", "mode": "crash", "refuse": not health_checks, **crash}],
    )


def test_a_breaker_opens_probes_half_open_and_closes_again():
    result, log = run(breaker_scenario(from_s=1, to_s=3.05))
    states = [(e["kind"], round(e["t"], 6)) for e in kinds(log, *_BREAKER)]
    assert states == [
        # Refused at 1.0 and 1.1: 2 failures in the last 4 calls open it.
        ("breaker_open", 1.1),
        ("breaker_half_open", 2.1),
        # The trial at 2.1 is refused again.
        ("breaker_open", 2.1),
        ("breaker_half_open", 3.1),
        # b is back: the trial sent at 3.1 succeeds 1 ms later.
        ("breaker_close", 3.101),
    ]
    failures = result["requests"]["failures"]
    assert failures["refused"] == 3
    assert failures["circuit_open"] == 9 + 9
    assert result["links"]["ab"]["circuit_open_s"] == pytest.approx(2.0)


_BREAKER = ("breaker_open", "breaker_half_open", "breaker_close")


def test_circuit_open_time_counts_until_the_end_while_open():
    sim = patterns.Simulation(breaker_scenario(from_s=1))
    sim.advance(5.0)
    assert sim.state()["links"]["ab"]["breaker"] == "open"
    sim.advance(sim.end_s)
    result = sim.result()
    # Open from 1.1 to the last trial at 10.1; half-open after it (no more calls).
    assert sim.state()["links"]["ab"]["breaker"] == "half_open"
    assert result["links"]["ab"]["circuit_open_s"] == pytest.approx(9.0)


def test_an_open_breaker_fails_calls_without_sending_them():
    result, log = run(breaker_scenario(from_s=1))
    sent_after_open = [e for e in kinds(log, "send") if 1.15 < e["t"] < 2.09]
    assert sent_after_open == []
    assert result["services"]["b"]["received"] == 10
    # 10 before the crash, 2 refused, one trial a second from 2.1 to 9.1.
    assert len(kinds(log, "send")) == 10 + 2 + 8


def test_a_trial_refused_by_health_checks_reopens_the_breaker():
    sc = breaker_scenario(window=2, health_checks=True, from_s=1, to_s=3.05)
    result, log = run(sc)
    states = [(e["kind"], round(e["t"], 6)) for e in kinds(log, *_BREAKER)]
    assert states == [
        ("breaker_open", 1.0),
        ("breaker_half_open", 2.0),
        ("breaker_open", 2.0),
        ("breaker_half_open", 3.0),
        ("breaker_open", 3.0),
        ("breaker_half_open", 4.0),
        ("breaker_close", 4.001),
    ]
    assert result["requests"]["failures"]["refused"] == 3
