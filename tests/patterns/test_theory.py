"""The engine against queueing theory, over long seeded runs (tolerances from the spread
over seeds 1-6, not tuned to one seed)."""

from __future__ import annotations

import math

import pytest

import patterns

from .engine_helpers import poisson, scenario, service


def queue(workers: int, mean_ms: float, rate: float, seed: int = 1):
    return scenario(
        [service("q", workers=workers, work_ms={"dist": "exponential", "mean": mean_ms})],
        [],
        [poisson("q", rate)],
        duration_s=1500,
        drain_s=0,
        warmup_s=10,
        seed=seed,
    )


def test_mm1_sojourn_time_is_exponential_with_rate_mu_minus_lambda():
    lam, mu = 70.0, 100.0
    result = patterns.simulate(queue(1, 1000 / mu, lam))
    lat = result["requests"]["latency_ms"]
    mean = 1000 / (mu - lam)
    assert lat["mean"] == pytest.approx(mean, rel=0.06)
    # Quantile q of an exponential: -ln(1 - q) / rate.
    assert lat["p50"] == pytest.approx(mean * math.log(2), rel=0.05)
    assert lat["p90"] == pytest.approx(mean * math.log(10), rel=0.07)
    assert lat["p99"] == pytest.approx(mean * math.log(100), rel=0.10)
    assert result["services"]["q"]["utilization"] == pytest.approx(lam / mu, rel=0.02)
    # Little's law for the queue: Lq = lambda * Wq.
    svc = result["services"]["q"]
    assert svc["queue_length_mean"] == pytest.approx(
        lam * svc["queue_wait_ms"]["mean"] / 1000, rel=0.02
    )


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with offered load a."""
    rho = a / c
    head = sum(a**k / math.factorial(k) for k in range(c))
    tail = a**c / math.factorial(c) / (1 - rho)
    return tail / (head + tail)


def test_mmc_mean_wait_follows_erlang_c():
    c, lam, mean_ms = 3, 70.0, 30.0
    mu = 1000 / mean_ms
    result = patterns.simulate(queue(c, mean_ms, lam))
    wait = result["services"]["q"]["queue_wait_ms"]["mean"]
    expected = erlang_c(c, lam / mu) / (c * mu - lam) * 1000
    assert wait == pytest.approx(expected, rel=0.10)
    assert result["services"]["q"]["utilization"] == pytest.approx(lam / (c * mu), rel=0.02)
    assert result["requests"]["latency_ms"]["mean"] == pytest.approx(expected + mean_ms, rel=0.05)
