"""patterns/dists.py: seeded streams and duration samplers (ms in the format, s here)."""

from __future__ import annotations

import math
import statistics
from types import SimpleNamespace as D

import pytest

from patterns import dists


def draws(duration, n=20_000, seed=1):
    sample = dists.sampler(duration, dists.stream(seed, "test"))
    return [sample() for _ in range(n)]


def test_a_stream_is_fixed_by_its_seed_and_name():
    a, b = dists.stream(7, "net/ab"), dists.stream(7, "net/ab")
    assert [a.random() for _ in range(5)] == [b.random() for _ in range(5)]
    assert dists.stream(7, "net/ab").random() != dists.stream(7, "net/ac").random()
    assert dists.stream(7, "net/ab").random() != dists.stream(8, "net/ab").random()
    # A stable hash (sha256), not Python's salted one: the same value in every process.
    assert dists.stream(1, "x").random() == 0.48318551918478436


def test_constants_and_none_are_seconds_without_drawing():
    assert dists.constant_s(None) == 0.0
    assert dists.constant_s(250) == 0.25
    assert dists.constant_s(D(dist="exponential", mean=5)) is None
    assert set(draws(20, n=10)) == {0.02}
    assert set(draws(None, n=3)) == {0.0}


def test_exponential_draws_have_their_mean():
    values = draws(D(dist="exponential", mean=10))
    assert min(values) >= 0
    assert statistics.fmean(values) == pytest.approx(0.010, rel=0.03)
    assert dists.mean_s(D(dist="exponential", mean=10)) == 0.010


def test_uniform_draws_stay_within_their_bounds():
    values = draws(D(dist="uniform", min=5, max=15))
    assert min(values) >= 0.005 and max(values) <= 0.015
    assert statistics.fmean(values) == pytest.approx(0.010, rel=0.02)
    assert dists.mean_s(D(dist="uniform", min=5, max=15)) == 0.010


def test_normal_draws_are_clipped_at_zero():
    values = draws(D(dist="normal", mean=1, sd=5))
    assert min(values) == 0.0
    assert dists.mean_s(D(dist="normal", mean=1, sd=5)) == 0.001


def test_lognormal_draws_have_their_median_and_p99():
    d = D(dist="lognormal", median=10, p99=40)
    values = sorted(draws(d, n=40_000))
    assert values[len(values) // 2] == pytest.approx(0.010, rel=0.03)
    assert values[int(len(values) * 0.99)] == pytest.approx(0.040, rel=0.08)
    sigma = math.log(4) / 2.3263478740408408
    assert dists.mean_s(d) == pytest.approx(0.010 * math.exp(sigma * sigma / 2))


def test_an_unknown_distribution_is_refused():
    with pytest.raises(ValueError, match="unknown distribution 'pareto'"):
        dists.sampler(D(dist="pareto"), dists.stream(1, "x"))
