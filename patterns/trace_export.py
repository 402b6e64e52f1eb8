"""A request's trace (`patterns.tracing.build_trace`) as OTLP JSON or Mermaid text.

OTLP JSON is what OpenTelemetry collectors and Jaeger import: `resourceSpans` (one per
service, topic or datastore) -> `scopeSpans` -> `spans`, with hex ids and nanosecond
times as strings. Each phase of a span becomes an internal child span, so a trace
viewer's waterfall shows where the time went. The Mermaid text is a `sequenceDiagram`.
Only ids (which the scenario format restricts to `[a-z0-9_-]`) and engine-made words
reach either output, never free-text labels.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

SCOPE = {"name": "mscomm", "version": "1"}
# OTLP's SpanKind and StatusCode numbers.
_KIND = {"internal": 1, "server": 2, "client": 3, "producer": 4, "consumer": 5}
_STATUS_OK, _STATUS_ERROR = 1, 2


def _hex(text: str, digits: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:digits]


def _nanos(epoch_ns: int, ms: float) -> str:
    return str(epoch_ns + round(ms * 1_000_000))


def _attr(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    return {"key": key, "value": {"stringValue": str(value)}}


def _attrs(items: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [_attr(key, value) for key, value in items.items() if value is not None]


def trace_otlp(trace: Mapping[str, Any], *, trace_key: str, epoch_ns: int = 0) -> dict[str, Any]:
    """The trace as an OTLP JSON export request.

    `trace_key` (for example `"<run id>/r17"`) seeds the 32-hex trace id and 16-hex span
    ids, so the same request always exports the same ids; simulated time 0 is `epoch_ns`.
    """
    trace_id = _hex(trace_key, 32)
    by_resource: dict[str, list[dict[str, Any]]] = {}

    def span_id(*parts: Any) -> str:
        return _hex("/".join([trace_key, *map(str, parts)]), 16)

    for span in trace["spans"]:
        resource = span["node"] or "mscomm"
        status: dict[str, Any] = {}
        if span["status"] == "ok":
            status = {"code": _STATUS_OK}
        elif span["status"] == "error":
            status = {"code": _STATUS_ERROR, "message": span["reason"] or "error"}
        out = {
            "traceId": trace_id,
            "spanId": span_id(span["id"]),
            "name": span["name"],
            "kind": _KIND[span["kind"]],
            "startTimeUnixNano": _nanos(epoch_ns, span["start_ms"]),
            "endTimeUnixNano": _nanos(epoch_ns, span["end_ms"]),
            "attributes": _attrs(
                {
                    "mscomm.corr": trace["corr"],
                    "mscomm.instance": span["instance"],
                    "mscomm.link": span["link"],
                    "mscomm.operation": span["op"],
                    "mscomm.style": span["style"],
                    "mscomm.target": span["target"],
                    "mscomm.attempts": span["attempts"],
                }
            ),
            "events": [
                {
                    "timeUnixNano": _nanos(epoch_ns, event["t_ms"]),
                    "name": event["name"],
                    "attributes": _attrs(
                        {k: v for k, v in event.items() if k not in ("t_ms", "name")}
                    ),
                }
                for event in span["events"]
            ],
            "status": status,
        }
        if span["parent"] is not None:
            out["parentSpanId"] = span_id(span["parent"])
        spans = by_resource.setdefault(resource, [])
        spans.append(out)
        for i, phase in enumerate(span["phases"]):
            extra = {k: v for k, v in phase.items() if k not in ("phase", "start_ms", "end_ms")}
            spans.append(
                {
                    "traceId": trace_id,
                    "spanId": span_id(span["id"], i),
                    "parentSpanId": out["spanId"],
                    "name": phase["phase"],
                    "kind": _KIND["internal"],
                    "startTimeUnixNano": _nanos(epoch_ns, phase["start_ms"]),
                    "endTimeUnixNano": _nanos(epoch_ns, phase["end_ms"]),
                    "attributes": _attrs({"mscomm.phase": phase["phase"], **extra}),
                    "status": {},
                }
            )
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": _attrs({"service.name": name})},
                "scopeSpans": [{"scope": dict(SCOPE), "spans": spans}],
            }
            for name, spans in by_resource.items()
        ]
    }


def _node(instance: str | None) -> str:
    return (instance or "").split("/")[0]


def trace_mermaid(trace: Mapping[str, Any]) -> str:
    """The trace as Mermaid `sequenceDiagram` text (times in simulated ms)."""
    lines: list[tuple[float, int, str]] = []
    names: dict[str, str] = {"client": "C"}

    def who(node: str) -> str:
        if node not in names:
            names[node] = f"P{len(names)}"
        return names[node]

    def add(t: float, text: str) -> None:
        lines.append((t, len(lines), text))

    spans = trace["spans"]
    root = spans[0] if spans else None
    if root is not None:
        who(root["node"])
        add(root["start_ms"], f"C->>{who(root['node'])}: {trace['corr']} {root['op']}")
    for span in spans:
        kind = span["kind"]
        here = who(span["node"])
        if kind in ("server", "consumer"):
            for phase in span["phases"]:
                if phase["phase"] == "queued" and phase["end_ms"] > phase["start_ms"]:
                    waited = _num(phase["end_ms"] - phase["start_ms"])
                    add(phase["start_ms"], f"Note over {here}: queued {waited} ms")
            if kind == "consumer":
                there = who(span["target"])
                add(span["start_ms"], f"{there}-){here}: {span['link']} event")
            if span["status"] == "error" and span is not root:
                add(span["end_ms"], f"Note over {here}: failed {span['reason']}")
        elif kind == "producer":
            add(span["start_ms"], f"{here}-){who(span['target'])}: {span['link']} publish")
        elif span["style"] == "write":
            add(span["start_ms"], f"{here}->>{who(span['target'])}: {span['link']} write")
        else:
            _call_lines(span, here, who(_node(span["target"])), add)
    if root is not None and trace["outcome"] != "unfinished":
        entry = who(root["node"])
        if trace["outcome"] == "succeeded":
            add(root["end_ms"], f"{entry}-->>C: succeeded in {_num(trace['latency_ms'])} ms")
        else:
            add(root["end_ms"], f"{entry}--xC: failed {trace['reason']}")
    head = ["sequenceDiagram"]
    head += [f"    participant {alias} as {name}" for name, alias in names.items()]
    body = [f"    {text} at {_num(t)} ms" for t, _, text in sorted(lines)]
    return "\n".join(head + body) + "\n"


def _call_lines(span: Mapping[str, Any], caller: str, callee: str, add: Any) -> None:
    async_ = span["style"] == "async"
    for phase in span["phases"]:
        if phase["phase"] != "attempt":
            continue
        n = phase["attempt"]
        arrow = "-)" if async_ else "->>"
        add(phase["start_ms"], f"{caller}{arrow}{callee}: {span['link']} request {n}")
        outcome = phase["outcome"]
        if outcome == "ok":
            back = "--)" if async_ else "-->>"
            add(phase["end_ms"], f"{callee}{back}{caller}: {span['link']} reply {n}")
        elif outcome in ("timeout", "unfinished"):
            add(phase["end_ms"], f"Note over {caller}: {span['link']} {outcome} {n}")
        else:
            add(phase["end_ms"], f"{callee}--x{caller}: {span['link']} {outcome} {n}")


def _num(ms: float) -> str:
    return f"{ms:.3f}"
