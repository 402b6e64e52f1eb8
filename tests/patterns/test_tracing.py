"""patterns/tracing.py: one request's spans and phases, rebuilt by re-running a small
deterministic scenario (its exports: test_trace_export.py)."""

from __future__ import annotations

import collections
import itertools

import patterns
import patterns.library
from patterns.trace_export import trace_mermaid, trace_otlp
from patterns.tracing import (
    build_trace,
    link_styles,
    request_events,
    request_outcomes,
    request_sample,
)

from .engine_helpers import constant, link, run, scenario, service


def small(faults=()):
    """order -> pay (sync, one worker, timeout and a retry) -> stock (async) -> an event
    that ship handles and writes to a datastore. Two requests, 1 ms apart."""
    return scenario(
        [
            service("order", work_ms=2),
            service("pay", work_ms=5, workers=1),
            service("stock", work_ms=3),
            {"id": "placed", "kind": "topic", "delivery_ms": 1},
            service("ship", work_ms=3),
            {"id": "lake", "kind": "datastore", "write_ms": 2},
        ],
        [
            link("charge", "order", "pay", "sync", timeout_ms=8, retries=1, backoff_ms=1),
            link("stock", "order", "stock", "async", step=2, reply_work_ms=1),
            link("pub", "order", "placed", "publish", step=3),
            link("sub", "placed", "ship", "subscribe"),
            link("w", "ship", "lake", "write"),
        ],
        [constant("order", 1000, to_s=0.002)],
        list(faults),
        duration_s=1,
        drain_s=1,
    )


PAY_DOWN = {"target": "pay", "mode": "crash", "from_s": 0, "to_s": 1}


def trace_of(corr: str) -> dict:
    sc = small()
    events, cut = request_events(sc, corr)
    assert not cut
    return build_trace(events, link_styles(sc))


def brief(trace: dict) -> list[tuple]:
    return [
        (
            s["id"],
            s["parent"],
            s["kind"],
            s["name"],
            s["instance"],
            s["start_ms"],
            s["end_ms"],
            s["status"],
            [(p["phase"], p["start_ms"], p["end_ms"]) for p in s["phases"]],
        )
        for s in trace["spans"]
    ]


def test_detail_events_say_when_a_request_takes_a_worker_and_when_its_job_ends():
    sc = small()
    _, plain = run(sc)
    assert not {"start", "end"} & {e["kind"] for e in plain}
    detailed: list[dict] = []
    patterns.simulate(sc, observer=detailed.append, detail=True)
    assert [e for e in detailed if e["kind"] not in ("start", "end")] == plain
    r2 = [e for e in detailed if e.get("corr") == "r2" and e["kind"] in ("start", "end")]
    assert [(e["kind"], e["node"], e["msg"], e["link"], e["attempt"], round(e["t"], 6))
            for e in r2] == [
        ("start", "order", "request", None, 1, 0.001),
        ("start", "pay", "request", "charge", 1, 0.008),  # waited 4 ms for pay's one worker
        ("end", "pay", "request", "charge", 1, 0.013),
        ("start", "pay", "request", "charge", 2, 0.013),
        ("end", "pay", "request", "charge", 2, 0.018),
        ("start", "stock", "request", "stock", 1, 0.02),
        ("end", "stock", "request", "stock", 1, 0.023),
        ("start", "order", "reply", "stock", None, 0.024),
        ("end", "order", "request", None, 1, 0.025),
        ("start", "ship", "event", "sub", 1, 0.026),
        ("end", "ship", "event", "sub", 1, 0.031),
    ]  # fmt: skip


def test_a_request_with_a_queue_a_timeout_and_a_retry_has_exact_spans_and_phases():
    trace = trace_of("r2")
    assert (trace["corr"], trace["outcome"], trace["latency_ms"]) == ("r2", "succeeded", 24.0)
    assert brief(trace) == [
        (1, None, "server", "order default", "order/0", 1.0, 25.0, "ok",
         [("working", 1.0, 3.0), ("blocked", 3.0, 19.0), ("waiting", 19.0, 24.0),
          ("working", 24.0, 25.0)]),
        (2, 1, "client", "charge call", "order/0", 3.0, 19.0, "ok",
         [("attempt", 3.0, 11.0), ("backoff", 11.0, 12.0), ("attempt", 12.0, 19.0)]),
        (3, 2, "server", "pay default", "pay/0", 4.0, 13.0, "ok",
         [("queued", 4.0, 8.0), ("working", 8.0, 13.0)]),
        (4, 2, "server", "pay default", "pay/0", 13.0, 18.0, "ok", [("working", 13.0, 18.0)]),
        (5, 1, "client", "stock call", "order/0", 19.0, 24.0, "ok", [("attempt", 19.0, 24.0)]),
        (6, 5, "server", "stock default", "stock/0", 20.0, 23.0, "ok",
         [("working", 20.0, 23.0)]),
        (7, 1, "producer", "pub publish", "order/0", 25.0, 25.0, "ok", []),
        (8, 7, "consumer", "ship default", "ship/0", 25.0, 31.0, "ok",
         [("network", 25.0, 26.0), ("working", 26.0, 31.0)]),
        (9, 8, "client", "w write", "ship/0", 31.0, 31.0, "ok", []),
    ]  # fmt: skip
    pay = trace["spans"][1]
    assert pay["attempts"] == 2 and pay["style"] == "sync"
    assert [p.get("outcome") for p in pay["phases"]] == ["timeout", None, "ok"]
    assert pay["events"] == [
        {"t_ms": 11.0, "name": "timeout", "attempt": 1},
        {"t_ms": 11.0, "name": "retry", "attempt": 2, "reason": "timeout"},
        {"t_ms": 14.0, "name": "dropped", "reason": "late"},
    ]
    assert trace["spans"][4]["style"] == "async"


def test_phases_cover_each_job_without_gaps():
    for corr in ("r1", "r2"):
        for span in trace_of(corr)["spans"]:
            phases = span["phases"]
            if not phases:
                continue
            assert phases[0]["start_ms"] == span["start_ms"]
            assert phases[-1]["end_ms"] == span["end_ms"]
            for a, b in itertools.pairwise(phases):
                assert a["end_ms"] == b["start_ms"] and a["phase"] != b["phase"]


def test_a_failed_request_ends_in_error_with_its_first_cause():
    sc = small(faults=[PAY_DOWN])
    events, _ = request_events(sc, "r1")
    trace = build_trace(events, link_styles(sc))
    assert (trace["outcome"], trace["reason"]) == ("failed", "timeout")
    root, call = trace["spans"][0], trace["spans"][1]
    assert (root["status"], root["reason"]) == ("error", "timeout")
    assert (call["status"], call["reason"], call["attempts"]) == ("error", "timeout", 2)


def test_request_events_stop_keeping_at_the_limit():
    events, cut = request_events(small(), "r2", max_events=5)
    assert len(events) == 5 and cut
    trace = build_trace(events, link_styles(small()), truncated=cut)
    assert trace["truncated"] is True and trace["outcome"] == "unfinished"


def test_outcomes_list_every_request_and_the_sample_puts_failures_and_slow_ones_first():
    outcomes = request_outcomes(small())
    assert [(o["corr"], o["outcome"], o["latency_ms"]) for o in outcomes] == [
        ("r1", "succeeded", 15.0),
        ("r2", "succeeded", 24.0),
    ]
    fake = [
        {"corr": "r1", "t_s": 0.0, "outcome": "succeeded", "latency_ms": 5.0},
        {"corr": "r2", "t_s": 0.1, "outcome": "succeeded", "latency_ms": 50.0},
        {"corr": "r3", "t_s": 0.2, "outcome": "unfinished", "latency_ms": None},
        {"corr": "r4", "t_s": 0.3, "outcome": "failed", "latency_ms": 9.0},
    ]
    assert [o["corr"] for o in request_sample(fake, 3)] == ["r4", "r3", "r2"]


def test_injected_faults_are_replayed_into_the_trace():
    sc = small()
    plain = request_outcomes(sc)
    crashed = request_outcomes(sc, faults_injected=[PAY_DOWN])
    assert [o["outcome"] for o in plain] == ["succeeded", "succeeded"]
    assert [o["reason"] for o in crashed] == ["timeout", "timeout"]


def test_a_run_stopped_early_is_replayed_up_to_its_stop():
    outcomes = request_outcomes(small(), stop_s=0.005)
    # Both requests had arrived; neither had finished 5 ms in.
    assert [(o["corr"], o["outcome"]) for o in outcomes] == [
        ("r1", "unfinished"),
        ("r2", "unfinished"),
    ]
    events, _ = request_events(small(), "r1", stop_s=0.005)
    assert max(e["t"] for e in events) <= 0.005


def test_every_lab_request_gives_one_tree_with_contiguous_phases():
    """Over the labs that mix every style and failure: each trace has one root, every
    span's phases tile it, and both exports are produced."""
    for slug in ("mixed-styles", "retry-storm", "poison-dlq", "fault-crash", "resilience"):
        sc = patterns.load(patterns.library.get_lab(slug).doc)
        by_corr: dict[str, list] = collections.defaultdict(list)

        def keep(event, by_corr=by_corr):
            if event.get("corr"):
                by_corr[event["corr"]].append(event)

        patterns.simulate(sc, observer=keep, detail=True)
        corrs = sorted(by_corr, key=lambda c: int(c[1:]))
        for corr in corrs[:: max(1, len(corrs) // 25)]:
            trace = build_trace(by_corr[corr], link_styles(sc))
            assert [s["parent"] for s in trace["spans"]].count(None) == 1, (slug, corr)
            for span in trace["spans"]:
                phases = span["phases"]
                if phases:
                    assert phases[0]["start_ms"] == span["start_ms"], (slug, corr)
                    assert phases[-1]["end_ms"] == span["end_ms"], (slug, corr)
                    for a, b in itertools.pairwise(phases):
                        assert a["end_ms"] == b["start_ms"] <= b["end_ms"], (slug, corr)
            assert trace_mermaid(trace).startswith("sequenceDiagram\n")
            assert trace_otlp(trace, trace_key=corr)["resourceSpans"]
