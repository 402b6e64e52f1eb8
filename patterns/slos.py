"""Service-level objectives: targets on a run's figures, met or not, and across seeds.

A scenario's optional `slos` list `{"id", "label", "metric", "op", "target"}`, where
`metric` is a dotted key of a comparison figure (`requests.latency_ms.p99`,
`requests.goodput_per_s`, `services.order.utilization`, ...; see patterns.compare) and
`op` is `<=` or `>=`. A result gains `"slos": [{"id", "value", "met"}]`; a figure with no
value (a p99 with no completed request) does not meet its objective. Across seeds,
`slo_shares` says in how many seeds each objective held, with a Wilson interval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from patterns.compare import figure, figure_rows
from patterns.errors import Problem
from patterns.stats import share

MAX_SLOS = 50


class Slo(BaseModel):
    """One objective: `metric op target`."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
    label: str = Field(default="", max_length=200)
    metric: str = Field(min_length=1, max_length=200)
    op: Literal["<=", ">="]
    target: float = Field(strict=False, ge=-1e15, le=1e15)


def slo_metrics(doc: Mapping[str, Any]) -> set[str]:
    """The figure keys an SLO of scenario `doc` may name."""
    nodes = doc.get("nodes")
    services: dict[str, Any] = {
        str(node["id"]): {}
        for node in (nodes if isinstance(nodes, list) else [])
        if isinstance(node, Mapping) and node.get("kind") == "service" and "id" in node
    }
    return {key for _group, key, _label, _better in figure_rows({"services": services})}


def check_slos(doc: Mapping[str, Any]) -> list[Problem]:
    """Problems with the raw document's `slos` that its structure does not catch: an
    unknown metric, a repeated id."""
    slos = doc.get("slos")
    if not isinstance(slos, list):
        return []
    known = slo_metrics(doc)
    problems, seen = [], set()
    for i, slo in enumerate(slos):
        if not isinstance(slo, Mapping):
            continue
        metric = slo.get("metric")
        if isinstance(metric, str) and metric and metric not in known:
            problems.append(
                Problem(
                    f"slos[{i}].metric", f"no figure {metric[:80]!r} in this scenario's results"
                )
            )
        sid = slo.get("id")
        if isinstance(sid, str):
            if sid in seen:
                problems.append(Problem(f"slos[{i}].id", f"repeats the id {sid[:40]!r}"))
            seen.add(sid)
    return problems


def _met(slo: Slo, value: Any) -> bool:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    return value <= slo.target if slo.op == "<=" else value >= slo.target


def slo_results(slos: Sequence[Slo], result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """`[{"id", "value", "met"}]`: each objective on one result document."""
    out = []
    for slo in slos:
        value = figure(result, slo.metric)
        out.append({"id": slo.id, "value": value, "met": _met(slo, value)})
    return out


def slo_shares(
    slos: Sequence[Mapping[str, Any]], results: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Each objective (as in the scenario document) across results, one per seed:
    `{"id", "label", "metric", "op", "target", "met", "k", "n", "share", "ci95"}`, met in
    k of n seeds with the 95 % Wilson interval of that share."""
    out = []
    for slo in slos:
        verdicts = [
            item["met"]
            for result in results
            for item in result.get("slos") or ()
            if item.get("id") == slo.get("id")
        ]
        met = sum(bool(v) for v in verdicts)
        row = {key: slo.get(key) for key in ("id", "label", "metric", "op", "target")}
        out.append({**row, "met": met, **share(met, len(verdicts))})
    return out
