"""patterns/stats.py: figures across seeds, against queueing theory and by hand."""

from __future__ import annotations

import math

import pytest

import patterns
from patterns.stats import (
    figure_stats,
    paired_diff,
    seeds_derive,
    share,
    summary,
    t975,
    wilson,
)

from .engine_helpers import poisson, scenario, service

SEEDS = seeds_derive(11, 20)
MEAN = "requests.latency_ms.mean"


def mm1(rate: float) -> patterns.Scenario:
    return scenario(
        [service("q", workers=1, work_ms={"dist": "exponential", "mean": 10})],
        [],
        [poisson("q", rate)],
        duration_s=200,
        drain_s=0,
        warmup_s=10,
    )


def over_seeds(model: patterns.Scenario) -> list[dict]:
    return [patterns.simulate(model, seed=seed) for seed in SEEDS]


def by_key(rows: list[dict]) -> dict[str, dict]:
    return {row["key"]: row for row in rows}


def test_seeds_are_derived_from_the_batch_seed_and_start_with_it():
    assert seeds_derive(11, 20) == SEEDS
    assert SEEDS[0] == 11
    assert len(set(SEEDS)) == 20
    assert all(0 <= s < 2**63 for s in SEEDS)
    assert seeds_derive(12, 3)[1:] != SEEDS[1:3]


def test_summary_by_hand():
    stats = summary([2.0, 4.0, None, 6.0, 8.0, "x"])
    assert stats["n"] == 4
    assert stats["mean"] == 5.0
    assert stats["sd"] == pytest.approx(math.sqrt(20 / 3), abs=1e-6)
    half = 3.182446 * math.sqrt(20 / 3) / 2
    assert stats["ci95"] == pytest.approx([5 - half, 5 + half], abs=1e-5)
    assert (stats["p10"], stats["p50"], stats["p90"]) == pytest.approx((2.6, 5.0, 7.4))


def test_one_value_has_no_interval_and_none_has_no_mean():
    assert summary([3.0]) == {
        "n": 1,
        "mean": 3.0,
        "sd": None,
        "ci95": None,
        "p10": 3.0,
        "p50": 3.0,
        "p90": 3.0,
    }
    assert summary([None])["mean"] is None


def test_t_quantiles_match_the_tables():
    assert t975(1) == pytest.approx(12.7062, abs=1e-4)
    assert t975(31) == pytest.approx(2.03951, abs=1e-4)
    assert t975(99) == pytest.approx(1.98422, abs=1e-4)
    assert t975(10_000) == pytest.approx(1.96020, abs=1e-4)


def test_wilson_interval_of_a_share():
    assert wilson(17, 20) == pytest.approx([0.6396, 0.9476], abs=1e-4)
    assert wilson(0, 20)[0] == 0.0 and wilson(0, 20)[1] == pytest.approx(0.1611, abs=1e-4)
    assert wilson(20, 20)[1] == 1.0
    assert share(17, 20) == {"k": 17, "n": 20, "share": 0.85, "ci95": wilson(17, 20)}
    assert wilson(0, 0) is None


def test_mm1_sweep_intervals_cover_the_theoretical_mean_latency():
    rates = (20, 40, 50, 60, 70, 80)
    covered = []
    for rate in rates:
        stats = figure_stats(over_seeds(mm1(rate)))[MEAN]
        assert stats["n"] == 20
        lo, hi = stats["ci95"]
        assert lo < stats["mean"] < hi
        assert stats["p10"] <= stats["p50"] <= stats["p90"]
        covered.append(lo <= 1000 / (100 - rate) <= hi)
    # A 95 % interval misses now and then; most rates must be covered.
    assert sum(covered) >= len(rates) - 1, covered


def test_a_against_a_is_the_same_on_every_row():
    runs = over_seeds(mm1(60))
    rows = paired_diff(runs, [dict(r) for r in runs])
    assert rows
    numeric = [row for row in rows if row["n"]]
    assert numeric and all(row["verdict"] == "same" for row in numeric)
    assert all(row["delta"] == 0 for row in numeric)
    assert {row["verdict"] for row in rows} <= {"same", "n/a"}


def test_lambda_50_to_70_raises_mean_latency_by_about_13_ms():
    row = by_key(paired_diff(over_seeds(mm1(50)), over_seeds(mm1(70))))[MEAN]
    lo, hi = row["ci95"]
    assert lo > 0
    assert lo <= 1000 / 30 - 1000 / 50 <= hi
    assert row["verdict"] == "worse"
    assert row["n"] == 20
    assert row["relative_ci95"][0] == pytest.approx(lo / row["a"], rel=1e-4)


def result(p99: float | None, throughput: float) -> dict:
    return {"requests": {"started": 10, "latency_ms": {"p99": p99}, "throughput_per_s": throughput}}


def test_verdicts_need_an_interval_that_excludes_zero():
    a = [result(10, 5), result(12, 5), result(11, 5)]
    b = [result(8, 5), result(13, 6), result(None, 5)]
    rows = by_key(paired_diff(a, b))
    p99 = rows["requests.latency_ms.p99"]
    assert (p99["n"], p99["delta"], p99["verdict"]) == (2, -0.5, "uncertain")
    assert rows["requests.throughput_per_s"]["verdict"] == "uncertain"
    shifted = by_key(paired_diff(a, [result(9, 5), result(11, 5), result(10, 5)]))
    assert shifted["requests.latency_ms.p99"]["ci95"] == [-1.0, -1.0]
    assert shifted["requests.latency_ms.p99"]["verdict"] == "better"
    one = by_key(paired_diff(a[:1], [result(5, 5)]))["requests.latency_ms.p99"]
    assert (one["delta"], one["ci95"], one["verdict"]) == (-5.0, None, "uncertain")
    assert rows["requests.latency_ms.p50"]["verdict"] == "n/a"
