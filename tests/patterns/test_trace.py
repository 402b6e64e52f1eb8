"""patterns/trace.py: the events an observer receives, their kinds and fields."""

from __future__ import annotations

import json

import patterns
from patterns.trace import KINDS

from .engine_helpers import link, poisson, run, scenario, service


def eventful():
    return scenario(
        [
            service("a", work_ms=1, instances=2),
            service("b", work_ms=2, instances=2, queue_limit=3, workers=2),
            service("c", work_ms=2),
            {"id": "t", "kind": "topic", "poison_probability": 0.02, "redelivery_ms": 50},
            service("s", work_ms=1, restart_ms=200, instances=2),
            {"id": "lake", "kind": "datastore"},
            service("r", work_ms=1),
        ],
        [
            link(
                "ab",
                "a",
                "b",
                "sync",
                timeout_ms=30,
                retries=1,
                circuit_breaker={"failure_rate": 0.5, "window": 10, "min_calls": 5, "open_ms": 300},
            ),
            link("ac", "a", "c", "async", step=2, timeout_ms=200),
            link("pub", "a", "t", "publish", step=2),
            link("sub", "t", "s", "subscribe"),
            link("w", "a", "lake", "write", step=3),
            link("p", "lake", "r", "poll", interval_ms=100),
        ],
        [poisson("a", 150)],
        [
            {"target": "b", "mode": "crash", "from_s": 2, "to_s": 3},
            {
                "target": "b",
                "mode": "timing",
                "from_s": 4,
                "to_s": 5,
                "extra_ms": 50,
                "probability": 0.5,
            },
            {"target": "ab", "mode": "omission", "from_s": 6, "to_s": 6.5, "probability": 0.3},
        ],
        duration_s=8,
        drain_s=2,
    )


def test_every_event_has_a_known_kind_and_its_fields():
    _, log = run(eventful())
    seen = {e["kind"] for e in log}
    assert seen <= set(KINDS)
    assert seen >= {
        "arrive", "complete", "fail", "send", "receive", "reply", "timeout", "retry", "drop",
        "rejected", "publish", "deliver", "redeliver", "write", "poll", "crash", "restart",
        "breaker_open", "breaker_half_open", "fault_start", "fault_end",
    }  # fmt: skip
    for e in log:
        kind = e["kind"]
        assert isinstance(e["t"], float)
        if kind in ("send", "publish", "deliver", "redeliver"):
            assert e["arrive_t"] >= e["t"]
            assert e["src"] and e["dst"] and e["msg"] and e["link"]
        if kind in ("send", "receive", "reply", "retry", "deliver", "redeliver"):
            assert isinstance(e["attempt"], int) and e["attempt"] >= 1
        if kind in ("arrive", "complete", "fail", "send", "receive", "reply", "publish", "write"):
            assert e["corr"].startswith("r")
        if kind == "receive":
            assert e["op"] == "default"
        if kind == "timeout":
            assert e["waiting_for"].startswith("reply from ")
        if kind in ("drop", "rejected", "fail", "dead_letter"):
            assert e["reason"]
        if kind in ("crash", "restart"):
            assert e["node"] in ("b", "s") and isinstance(e["instance"], int)
    json.dumps(log)


def test_trace_times_never_go_backwards():
    _, log = run(eventful())
    times = [e["t"] for e in log]
    assert times == sorted(times)
    assert len(times) > 5000


def test_one_request_can_be_followed_by_its_correlation_id():
    _, log = run(eventful())
    first = [e for e in log if e.get("corr") == "r1"]
    kinds = [e["kind"] for e in first]
    assert kinds[0] == "arrive"
    assert "complete" in kinds
    assert {"send", "receive", "reply", "publish", "deliver", "write"} <= set(kinds)


def test_the_same_seed_gives_the_same_trace():
    _, log1 = run(eventful())
    _, log2 = run(eventful())
    assert log1 == log2
    r = patterns.simulate(eventful(), seed=99)
    assert r["seed"] == 99
