"""patterns/compare.py: differences between two result documents."""

from __future__ import annotations

import patterns
import patterns.library
from patterns.compare import result_diff
from patterns.variants import flip_link


def result(p50, throughput, failed, timeouts, util, blocked):
    return {
        "requests": {
            "started": 100,
            "succeeded": 100 - failed,
            "failed": failed,
            "unfinished": 0,
            "failures": {"timeout": timeouts, "rejected": failed - timeouts},
            "latency_ms": {"p50": p50, "p99": None},
            "throughput_per_s": throughput,
        },
        "services": {"order": {"utilization": util, "blocked_fraction": blocked}},
    }


def rows_by_key(rows):
    return {row["key"]: row for row in rows}


def test_each_row_has_the_change_and_a_verdict():
    rows = rows_by_key(
        result_diff(result(20, 50, 10, 4, 0.5, 0.4), result(10, 60, 10, 2, 0.5, 0.0))
    )
    p50 = rows["requests.latency_ms.p50"]
    assert (p50["a"], p50["b"], p50["delta"], p50["relative"], p50["verdict"]) == (
        20,
        10,
        -10,
        -0.5,
        "better",
    )
    assert rows["requests.throughput_per_s"]["verdict"] == "better"
    assert rows["requests.failed"]["verdict"] == "same"
    assert rows["requests.failure_rate"]["a"] == 0.1
    assert rows["requests.failures.timeout"]["verdict"] == "better"
    assert rows["requests.failures.rejected"]["verdict"] == "worse"
    assert rows["requests.latency_ms.p99"]["verdict"] == "n/a"
    assert rows["services.order.utilization"]["verdict"] == "same"
    assert rows["services.order.blocked_fraction"]["relative"] == -1.0
    assert rows["services.order.blocked_fraction"]["group"] == "service order"


def test_a_service_present_on_one_side_only_is_listed_as_missing():
    a = result(1, 1, 0, 0, 0.1, 0.0)
    b = result(1, 1, 0, 0, 0.1, 0.0)
    b["services"]["audit"] = {"utilization": 0.2}
    rows = rows_by_key(result_diff(a, b))
    assert rows["services.audit.utilization"]["a"] is None
    assert rows["services.audit.utilization"]["verdict"] == "n/a"


def test_making_the_chain_async_frees_the_blocked_workers():
    doc = patterns.library.get_lab("sync-chain").doc
    sync_link = next(link["id"] for link in doc["links"] if link["style"] == "sync")
    a = patterns.simulate(patterns.load(doc))
    b = patterns.simulate(patterns.load(flip_link(doc, sync_link, "async")))
    rows = [r for r in result_diff(a, b) if r["key"].endswith(".blocked_fraction")]
    caller = next(link["from"] for link in doc["links"] if link["id"] == sync_link)
    row = next(r for r in rows if r["key"] == f"services.{caller}.blocked_fraction")
    assert row["a"] > 0 and row["verdict"] == "better"
