"""Figures across seeds: summaries with intervals, paired differences and shares.

A batch runs every variant on the same seeds (`seeds_derive`), so variant b's result for
seed k is paired with variant a's for the same seed: the noise both share cancels in the
per-seed differences (common random numbers).

Intervals of a mean are Student-t intervals, `mean ± t(0.975, n-1) · sd / √n`, with the
sample standard deviation (n-1 in the denominator); they assume the per-seed values are
independent and their mean close to normal, which holds for run-level figures over a
handful of seeds or more. Percentiles interpolate linearly between order statistics (the
"type 7" rule of R and numpy). A share (an SLO met in k of n seeds) gets a Wilson score
interval, which stays inside [0, 1] and is honest at k = 0 or k = n.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from patterns.compare import SAME, figure, figure_rows

SEED_MAX = 2**63 - 1
Z95 = 1.959963984540054
# t(0.975, df) for df = 1..30; past 30 the Cornish-Fisher expansion below is within 1e-5.
_T975 = (
    12.706205,
    4.302653,
    3.182446,
    2.776445,
    2.570582,
    2.446912,
    2.364624,
    2.306004,
    2.262157,
    2.228139,
    2.200985,
    2.178813,
    2.160369,
    2.144787,
    2.131450,
    2.119905,
    2.109816,
    2.100922,
    2.093024,
    2.085963,
    2.079614,
    2.073873,
    2.068658,
    2.063899,
    2.059539,
    2.055529,
    2.051831,
    2.048407,
    2.045230,
    2.042272,
)


def seeds_derive(seed: int, count: int) -> list[int]:
    """`count` seeds for a batch whose seed is `seed`: the first is `seed` itself (so one
    seed is a plain run), the others a stable hash of `(seed, k)` in 0..2**63-1."""
    seeds = [seed]
    for k in range(1, count):
        digest = hashlib.blake2b(f"mscomm.seeds:{seed}:{k}".encode(), digest_size=8).digest()
        seeds.append(int.from_bytes(digest, "big") & SEED_MAX)
    return seeds


def t975(df: int) -> float:
    """The 97.5th percentile of Student's t with `df` degrees of freedom."""
    if df < 1:
        raise ValueError("df must be >= 1")
    if df <= len(_T975):
        return _T975[df - 1]
    # Abramowitz & Stegun 26.7.5.
    z = Z95
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    return z + g1 / df + g2 / df**2 + g3 / df**3


def _numbers(values: Iterable[Any]) -> list[float]:
    return [
        float(v)
        for v in values
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    ]


def _quantile(ordered: Sequence[float], q: float) -> float:
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


def summary(values: Iterable[Any]) -> dict[str, Any]:
    """`{"n", "mean", "sd", "ci95": [lo, hi], "p10", "p50", "p90"}` of the numbers among
    `values` (None and non-numbers are left out). With fewer than two, `sd` and `ci95`
    are None: one seed gives no interval."""
    xs = _numbers(values)
    n = len(xs)
    out: dict[str, Any] = {"n": n, "mean": None, "sd": None, "ci95": None}
    out.update({"p10": None, "p50": None, "p90": None})
    if not n:
        return out
    mean = math.fsum(xs) / n
    ordered = sorted(xs)
    out.update(
        mean=_round(mean),
        p10=_round(_quantile(ordered, 0.1)),
        p50=_round(_quantile(ordered, 0.5)),
        p90=_round(_quantile(ordered, 0.9)),
    )
    if n > 1:
        sd = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (n - 1))
        half = t975(n - 1) * sd / math.sqrt(n)
        out.update(sd=_round(sd), ci95=[_round(mean - half), _round(mean + half)])
    return out


def wilson(k: int, n: int) -> list[float] | None:
    """The 95 % Wilson score interval of a share of `k` in `n`; None when n is 0."""
    if n <= 0:
        return None
    p = k / n
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return [round(max(0.0, centre - half), 6), round(min(1.0, centre + half), 6)]


def share(k: int, n: int) -> dict[str, Any]:
    """`{"k", "n", "share", "ci95"}`: something held in `k` of `n` seeds."""
    return {"k": k, "n": n, "share": _round(k / n) if n else None, "ci95": wilson(k, n)}


def figure_stats(results: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """A `summary` across seeds (one result each) of every figure the comparison shows,
    keyed by its dotted key (`requests.latency_ms.p99`, `services.order.utilization`)."""
    return {
        key: summary(figure(result, key) for result in results)
        for _group, key, _label, _better in figure_rows(*results)
    }


def _verdict(deltas: list[float], scale: float, ci: list[float] | None, better: str | None) -> str:
    if not deltas:
        return "n/a"
    if all(abs(d) <= SAME * scale for d in deltas):
        return "same"
    if ci is None or ci[0] <= 0 <= ci[1]:
        return "uncertain"
    if better is None:
        return "changed"
    return "better" if (ci[1] < 0) == (better == "lower") else "worse"


def paired_diff(
    results_a: Sequence[Mapping[str, Any]], results_b: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Rows `{group, key, label, better_when, n, a, b, delta, relative, ci95,
    relative_ci95, verdict}` comparing variant b with variant a seed by seed
    (`results_a[k]` and `results_b[k]` ran on the same seed; a seed missing a figure on
    either side is left out of that row).

    `a` and `b` are the means over the paired seeds, `delta` the mean per-seed
    difference b - a and `ci95` its t-interval; `relative` and `relative_ci95` are those
    over |a|. `verdict` is `better` or `worse` only when the interval excludes 0,
    `changed` likewise for a figure with no better direction, `same` when every seed gives
    both variants the same value, `uncertain` otherwise (always so with one seed), `n/a`
    with no paired seed.
    """
    rows = []
    pairs = list(zip(results_a, results_b, strict=False))
    for group, key, label, better in figure_rows(*results_a, *results_b):
        xs, ys = [], []
        for ra, rb in pairs:
            va, vb = _numbers([figure(ra, key)]), _numbers([figure(rb, key)])
            if va and vb:
                xs.append(va[0])
                ys.append(vb[0])
        deltas = [y - x for x, y in zip(xs, ys, strict=True)]
        stats = summary(deltas)
        a = math.fsum(xs) / len(xs) if xs else None
        b = math.fsum(ys) / len(ys) if ys else None
        scale = max([1.0, *(abs(v) for v in xs + ys)])
        ci = stats["ci95"]
        relative = relative_ci = None
        if a and stats["mean"] is not None:
            relative = _round(stats["mean"] / abs(a))
            relative_ci = None if ci is None else [_round(c / abs(a)) for c in ci]
        rows.append(
            {
                "group": group,
                "key": key,
                "label": label,
                "better_when": better,
                "n": stats["n"],
                "a": _round(a),
                "b": _round(b),
                "delta": stats["mean"],
                "relative": relative,
                "ci95": ci,
                "relative_ci95": relative_ci,
                "verdict": _verdict(deltas, scale, ci, better),
            }
        )
    return rows
