"""Small builders of scenario documents for the engine's tests."""

from __future__ import annotations

from typing import Any

import patterns


def service(sid: str, **options: Any) -> dict[str, Any]:
    return {"id": sid, "kind": "service", **options}


def link(lid: str, src: str, dst: str, style: str, **options: Any) -> dict[str, Any]:
    return {"id": lid, "from": src, "to": dst, "style": style, **options}


def constant(entry: str, rate: float, **options: Any) -> dict[str, Any]:
    return {"entry": entry, "arrival": {"process": "constant", "rate_per_s": rate}, **options}


def poisson(entry: str, rate: float, **options: Any) -> dict[str, Any]:
    return {"entry": entry, "arrival": {"process": "poisson", "rate_per_s": rate}, **options}


def scenario(
    nodes: list[dict[str, Any]],
    links: list[dict[str, Any]] = (),  # type: ignore[assignment]
    workload: list[dict[str, Any]] = (),  # type: ignore[assignment]
    faults: list[dict[str, Any]] = (),  # type: ignore[assignment]
    **settings: Any,
) -> patterns.Scenario:
    doc = {
        "format": "mscomm.scenario/1",
        "name": "test",
        "duration_s": 10,
        "drain_s": 5,
        "nodes": list(nodes),
        "links": list(links),
        "workload": list(workload),
        "faults": list(faults),
        **settings,
    }
    return patterns.load(doc)


def run(sc: patterns.Scenario, **kwargs: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run with an observer: (result, trace)."""
    log: list[dict[str, Any]] = []
    result = patterns.simulate(sc, observer=log.append, **kwargs)
    return result, log


def kinds(log: list[dict[str, Any]], *wanted: str) -> list[dict[str, Any]]:
    return [e for e in log if e["kind"] in wanted]
