"""patterns/trace_export.py: one request's trace as OTLP JSON and as Mermaid text."""

from __future__ import annotations

import json
import re

from patterns.trace_export import trace_mermaid, trace_otlp
from patterns.tracing import build_trace, link_styles, request_events

from .test_tracing import PAY_DOWN, small, trace_of

HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")


def test_otlp_has_the_export_shape_with_hex_ids_and_nanosecond_strings():
    trace = trace_of("r2")
    doc = trace_otlp(trace, trace_key="run-1/r2", epoch_ns=1_000_000_000)
    json.dumps(doc)
    resources = {
        rs["resource"]["attributes"][0]["value"]["stringValue"]: rs for rs in doc["resourceSpans"]
    }
    assert list(resources) == ["order", "pay", "stock", "ship"]
    spans = [s for rs in doc["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]
    ids = {s["spanId"] for s in spans}
    assert len(ids) == len(spans)
    assert len({s["traceId"] for s in spans}) == 1
    for span in spans:
        assert HEX32.match(span["traceId"]) and HEX16.match(span["spanId"])
        assert span.get("parentSpanId") is None or span["parentSpanId"] in ids
        assert isinstance(span["startTimeUnixNano"], str)
        assert int(span["startTimeUnixNano"]) <= int(span["endTimeUnixNano"])
        assert span["kind"] in (1, 2, 3, 4, 5)
        for attr in span["attributes"]:
            assert set(attr) == {"key", "value"} and len(attr["value"]) == 1
    roots = [s for s in spans if "parentSpanId" not in s]
    assert len(roots) == 1
    root = roots[0]
    assert root["name"] == "order default" and root["kind"] == 2
    assert (root["startTimeUnixNano"], root["endTimeUnixNano"]) == ("1001000000", "1025000000")
    assert root["status"] == {"code": 1}
    blocked = [s for s in spans if s["name"] == "blocked"]
    assert [(b["startTimeUnixNano"], b["endTimeUnixNano"]) for b in blocked] == [
        ("1003000000", "1019000000")
    ]
    client = next(s for s in spans if s["name"] == "charge call")
    assert client["kind"] == 3 and [e["name"] for e in client["events"]] == [
        "timeout",
        "retry",
        "dropped",
    ]
    assert trace_otlp(trace, trace_key="run-1/r2", epoch_ns=1_000_000_000) == doc
    assert (
        trace_otlp(trace, trace_key="run-2/r2")["resourceSpans"][0]["scopeSpans"][0]["spans"][0][
            "traceId"
        ]
        != root["traceId"]
    )


def test_mermaid_text_is_a_sequence_diagram_of_the_request():
    assert trace_mermaid(trace_of("r2")) == (
        "sequenceDiagram\n"
        "    participant C as client\n"
        "    participant P1 as order\n"
        "    participant P2 as pay\n"
        "    participant P3 as stock\n"
        "    participant P4 as placed\n"
        "    participant P5 as ship\n"
        "    participant P6 as lake\n"
        "    C->>P1: r2 default at 1.000 ms\n"
        "    P1->>P2: charge request 1 at 3.000 ms\n"
        "    Note over P2: queued 4.000 ms at 4.000 ms\n"
        "    Note over P1: charge timeout 1 at 11.000 ms\n"
        "    P1->>P2: charge request 2 at 12.000 ms\n"
        "    P2-->>P1: charge reply 2 at 19.000 ms\n"
        "    P1-)P3: stock request 1 at 19.000 ms\n"
        "    P3--)P1: stock reply 1 at 24.000 ms\n"
        "    P1-)P4: pub publish at 25.000 ms\n"
        "    P4-)P5: sub event at 25.000 ms\n"
        "    P1-->>C: succeeded in 24.000 ms at 25.000 ms\n"
        "    P5->>P6: w write at 31.000 ms\n"
    )


def test_mermaid_marks_a_failed_request_with_a_cross():
    sc = small(faults=[PAY_DOWN])
    events, _ = request_events(sc, "r1")
    text = trace_mermaid(build_trace(events, link_styles(sc)))
    assert text.splitlines()[-1] == "    P1--xC: failed timeout at 19.000 ms"
