"""A small scenario whose story the narration tests know by heart."""

from __future__ import annotations

CRASH_S = 5.0


def crash_doc(
    watch: dict | None, *, crash_s: float = CRASH_S, back_s: float = 7, duration_s: float = 8
) -> dict:
    """Order calls Customer synchronously (20/s, 300 ms timeout); Customer is down from
    `crash_s` to `back_s`."""
    doc = {
        "format": "mscomm.scenario/1",
        "name": "Customer goes down",
        "seed": 3,
        "duration_s": duration_s,
        "drain_s": 1,
        "nodes": [
            {"id": "order", "kind": "service", "label": "Order Processor", "work_ms": 1},
            {"id": "customer", "kind": "service", "label": "Customer", "work_ms": 2},
        ],
        "links": [
            {"id": "get", "from": "order", "to": "customer", "style": "sync",
             "timeout_ms": 300},
        ],
        "workload": [{"entry": "order", "arrival": {"process": "constant", "rate_per_s": 20}}],
        "faults": [{"target": "customer", "mode": "crash", "from_s": crash_s, "to_s": back_s}],
        "layout": {"order": {"x": 0, "y": 0}, "customer": {"x": 300, "y": 0}},
    }  # fmt: skip
    if watch is not None:
        doc["watch"] = watch
    return doc
