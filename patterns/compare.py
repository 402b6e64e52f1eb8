"""Two result documents side by side: what changed, by how much, for better or worse.

`result_diff(a, b)` lists rows for the figures a reader compares first (latency
percentiles, throughput, failures by cause, each service's utilisation and blocked time)
with the absolute and relative change from `a` to `b` and a verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from patterns.trace import FAILURES

# (group, key path, label, which direction is better: "lower", "higher" or None)
_REQUEST_ROWS: tuple[tuple[str, str, str | None], ...] = (
    ("requests.started", "requests started", None),
    ("requests.succeeded", "requests succeeded", "higher"),
    ("requests.late", "requests late (after the deadline)", "lower"),
    ("requests.failed", "requests failed", "lower"),
    ("requests.unfinished", "requests unfinished", "lower"),
    ("requests.failure_rate", "failure rate", "lower"),
    ("requests.throughput_per_s", "throughput (req/s)", "higher"),
    ("requests.goodput_per_s", "goodput (on-time req/s)", "higher"),
    ("requests.latency_ms.mean", "latency mean (ms)", "lower"),
    ("requests.latency_ms.p50", "latency p50 (ms)", "lower"),
    ("requests.latency_ms.p90", "latency p90 (ms)", "lower"),
    ("requests.latency_ms.p95", "latency p95 (ms)", "lower"),
    ("requests.latency_ms.p99", "latency p99 (ms)", "lower"),
    ("requests.latency_ms.max", "latency max (ms)", "lower"),
)
_SERVICE_ROWS: tuple[tuple[str, str, str | None], ...] = (
    ("utilization", "utilisation", None),
    ("blocked_fraction", "blocked share of held time", "lower"),
    ("queue_wait_ms.p99", "queue wait p99 (ms)", "lower"),
    ("response_ms.p99", "response p99 (ms)", "lower"),
    ("failed", "failed", "lower"),
)
# Changes smaller than this share of the larger value count as no change.
SAME = 1e-9


def _get(doc: Mapping[str, Any] | None, path: str) -> Any:
    value: Any = doc
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _failure_rate(result: Mapping[str, Any]) -> float | None:
    requests = result.get("requests") or {}
    started = requests.get("started") or 0
    return (requests.get("failed") or 0) / started if started else None


def _row(group: str, key: str, label: str, a: Any, b: Any, better: str | None) -> dict[str, Any]:
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b))
    delta = relative = None
    verdict = "n/a"
    if numeric:
        delta = b - a
        relative = delta / abs(a) if a else None
        if abs(delta) <= SAME * max(abs(a), abs(b), 1.0):
            verdict = "same"
        elif better is None:
            verdict = "changed"
        else:
            verdict = "better" if (delta < 0) == (better == "lower") else "worse"
    return {
        "group": group,
        "key": key,
        "label": label,
        "a": a,
        "b": b,
        "delta": delta,
        "relative": relative,
        "better_when": better,
        "verdict": verdict,
    }


def figure_rows(*results: Mapping[str, Any]) -> list[tuple[str, str, str, str | None]]:
    """`(group, key, label, better_when)` of every figure the comparison shows for these
    results (their services in first-seen order)."""
    rows: list[tuple[str, str, str, str | None]] = [
        ("requests", key, label, better) for key, label, better in _REQUEST_ROWS
    ]
    rows += [("failures", f"requests.failures.{c}", f"failed: {c}", "lower") for c in FAILURES]
    services: list[str] = []
    for result in results:
        services += [s for s in result.get("services") or {} if s not in services]
    for service in services:
        for sub, label, better in _SERVICE_ROWS:
            rows.append((f"service {service}", f"services.{service}.{sub}", label, better))
    return rows


def figure(result: Mapping[str, Any], key: str) -> Any:
    """The value of figure `key` (a dotted path, or `requests.failure_rate`) in a result."""
    if key == "requests.failure_rate":
        return _failure_rate(result)
    return _get(result, key)


def result_diff(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows `{group, key, label, a, b, delta, relative, better_when, verdict}` comparing
    result `b` with result `a`; `verdict` is `better`, `worse`, `same`, `changed` (no
    better direction) or `n/a` (a figure is missing on one side)."""
    return [
        _row(group, key, label, figure(a, key), figure(b, key), better)
        for group, key, label, better in figure_rows(a, b)
    ]
