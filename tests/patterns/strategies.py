"""Hypothesis strategies that build valid scenario documents: every node kind, every link
style, faults of every mode, small durations (so each example runs in milliseconds)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

small_ms = st.floats(min_value=0, max_value=5, allow_nan=False).map(lambda x: round(x, 3))


@st.composite
def durations(draw: st.DrawFn, low: float = 0.1, high: float = 5.0) -> Any:
    """A duration in ms: a constant or one of the four distributions."""
    kind = draw(st.sampled_from(["const", "exponential", "uniform", "normal", "lognormal"]))
    a = round(draw(st.floats(min_value=low, max_value=high)), 3)
    if kind == "const":
        return a
    a = max(a, 0.1)  # distributions need a positive scale
    if kind == "exponential":
        return {"dist": "exponential", "mean": a}
    if kind == "uniform":
        return {"dist": "uniform", "min": 0, "max": a}
    if kind == "normal":
        return {"dist": "normal", "mean": a, "sd": a / 2}
    return {"dist": "lognormal", "median": a, "p99": a * 4}


@st.composite
def breakers(draw: st.DrawFn) -> dict[str, Any] | None:
    if not draw(st.booleans()):
        return None
    window = draw(st.integers(1, 10))
    return {
        "failure_rate": draw(st.sampled_from([0.2, 0.5, 1.0])),
        "window": window,
        "min_calls": draw(st.integers(1, window)),
        "open_ms": draw(st.sampled_from([10, 100, 500])),
    }


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A valid scenario document exercising random topologies and faults."""
    n_services = draw(st.integers(1, 4))
    services = [f"s{i}" for i in range(n_services)]
    topics = [f"t{i}" for i in range(draw(st.integers(0, 2)))]
    stores = [f"d{i}" for i in range(draw(st.integers(0, 1)))]
    nodes: list[dict[str, Any]] = []
    instances: dict[str, int] = {}
    for sid in services:
        instances[sid] = draw(st.integers(1, 3))
        nodes.append(
            {
                "id": sid,
                "kind": "service",
                "instances": instances[sid],
                "workers": draw(st.integers(1, 4)),
                "queue_limit": draw(st.one_of(st.none(), st.integers(0, 4))),
                "load_balancing": draw(st.sampled_from(["round_robin", "random", "least_busy"])),
                "health_checks": draw(st.booleans()),
                "work_ms": draw(durations()),
                "restart_ms": draw(st.sampled_from([10, 200, 1000])),
            }
        )
    for tid in topics:
        nodes.append(
            {
                "id": tid,
                "kind": "topic",
                "delivery_ms": draw(durations()),
                "max_deliveries": draw(st.one_of(st.none(), st.integers(1, 4))),
                "redelivery_ms": draw(st.sampled_from([5, 50, 300])),
                "poison_probability": draw(st.sampled_from([0, 0, 0.05, 0.5])),
            }
        )
    for did in stores:
        nodes.append(
            {
                "id": did,
                "kind": "datastore",
                "write_ms": draw(durations()),
                "read_ms": draw(durations()),
            }
        )

    links: list[dict[str, Any]] = []
    for i in range(draw(st.integers(0, 6))):
        style = draw(st.sampled_from(["sync", "async", "sync", "async", "publish", "write"]))
        src = draw(st.sampled_from(services))
        if style in ("sync", "async"):
            dst = draw(st.sampled_from(services))
            link = {
                "id": f"l{i}",
                "from": src,
                "to": dst,
                "style": style,
                "network_ms": draw(durations(0, 3)),
                "timeout_ms": draw(st.one_of(st.none(), st.sampled_from([5, 20, 200]))),
                "retries": draw(st.integers(0, 2)),
                "backoff_ms": draw(st.sampled_from([0, 5, 20])),
                "circuit_breaker": draw(breakers()),
            }
            if style == "async":  # an async option only
                link["reply_work_ms"] = draw(small_ms)
            link["step"] = draw(st.integers(1, 3))
            link["probability"] = draw(st.sampled_from([1, 1, 0.5]))
            link["optional"] = draw(st.booleans())
            links.append(link)
        elif style == "publish" and topics:
            links.append(
                {
                    "id": f"l{i}",
                    "from": src,
                    "to": draw(st.sampled_from(topics)),
                    "style": "publish",
                    "step": draw(st.integers(1, 3)),
                }
            )
        elif style == "write" and stores:
            links.append({"id": f"l{i}", "from": src, "to": stores[0], "style": "write"})
    for tid in topics:
        for sid in draw(st.lists(st.sampled_from(services), unique=True, max_size=2)):
            links.append({"id": f"sub-{tid}-{sid}", "from": tid, "to": sid, "style": "subscribe"})
    for did in stores:
        for sid in draw(st.lists(st.sampled_from(services), unique=True, max_size=2)):
            links.append(
                {
                    "id": f"poll-{did}-{sid}",
                    "from": did,
                    "to": sid,
                    "style": "poll",
                    "interval_ms": draw(st.sampled_from([20, 100, 400])),
                }
            )

    # Some services declare operations: a subset of their calls, a bulkhead, a second one.
    with_ops: set[str] = set()
    for node in nodes[:n_services]:
        if not draw(st.booleans()):
            continue
        own = [lk["id"] for lk in links if lk["from"] == node["id"] and lk["style"] != "subscribe"]
        calls = draw(st.lists(st.sampled_from(own), unique=True)) if own else []
        bulkhead = draw(st.one_of(st.none(), st.integers(1, 2)))
        node["operations"] = [
            {"id": "default", "calls": calls, "max_concurrent": bulkhead},
            {"id": "other", "work_ms": draw(durations())},
        ]
        with_ops.add(node["id"])

    duration = draw(st.sampled_from([1, 2, 3]))
    workload = []
    for _ in range(draw(st.integers(1, 2))):
        entry = draw(st.sampled_from(services))
        item = {
            "entry": entry,
            "arrival": {
                "process": draw(st.sampled_from(["poisson", "constant"])),
                "rate_per_s": draw(st.sampled_from([5, 20, 80])),
            },
        }
        if entry in with_ops and draw(st.booleans()):
            item["operation"] = "other"
        workload.append(item)

    faults: list[dict[str, Any]] = []
    link_ids = [lk["id"] for lk in links]
    for _ in range(draw(st.integers(0, 3))):
        mode = draw(st.sampled_from(["crash", "omission", "timing", "response", "arbitrary"]))
        targets = list(services)
        if mode == "crash":
            targets += topics
        if mode in ("omission", "timing"):
            targets += link_ids
        target = draw(st.sampled_from(targets))
        start = draw(st.sampled_from([0, 0.3, 1]))
        fault: dict[str, Any] = {
            "target": target,
            "mode": mode,
            "from_s": start,
            "to_s": draw(st.one_of(st.none(), st.just(start + 0.5))),
            "probability": draw(st.sampled_from([1, 0.5])),
        }
        if mode in ("timing", "arbitrary"):
            fault["extra_ms"] = draw(durations(1, 50))
        if mode == "crash" and target in instances:
            fault["refuse"] = draw(st.booleans())
            if draw(st.booleans()):
                fault["instance"] = draw(st.integers(0, instances[target] - 1))
        faults.append(fault)

    return {
        "format": "mscomm.scenario/1",
        "name": "generated",
        "seed": draw(st.integers(0, 2**63 - 1)),
        "duration_s": duration,
        "drain_s": draw(st.sampled_from([0, 1])),
        "warmup_s": draw(st.sampled_from([0, 0.5])),
        "nodes": nodes,
        "links": links,
        "workload": workload,
        "faults": faults,
    }
