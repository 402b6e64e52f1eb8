"""Exports of a result document: flat CSV tables for spreadsheets and notebooks."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from typing import Any

_SECTIONS = ("services", "links", "topics", "datastores")


def result_csv(result: Mapping[str, Any]) -> str:
    """Every figure of a result as `section,name,metric,value` rows.

    Nested figures get dotted metric names (`latency_ms.p99`, `failures.timeout`).
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "name", "metric", "value"])
    for metric, value in _flatten(result.get("requests", {})):
        writer.writerow(["requests", "", metric, _cell(value)])
    for section in _SECTIONS:
        for name, figures in (result.get(section) or {}).items():
            for metric, value in _flatten(figures):
                writer.writerow([section, _cell(name), metric, _cell(value)])
    return out.getvalue()


def timeline_csv(result: Mapping[str, Any]) -> str:
    """The result's timeline, one row per simulated second."""
    timeline = result.get("timeline") or {}
    columns = [k for k in timeline if k not in ("t_s", "utilization")]
    utilization = timeline.get("utilization") or {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["t_s", *columns, *(f"utilization.{name}" for name in utilization)])
    for i, t in enumerate(timeline.get("t_s") or []):
        row = [_cell(t), *(_cell(_at(timeline[c], i)) for c in columns)]
        row += [_cell(_at(series, i)) for series in utilization.values()]
        writer.writerow(row)
    return out.getvalue()


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, child in value.items():
            yield from _flatten(child, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, value


def _at(series: Any, i: int) -> Any:
    return series[i] if isinstance(series, list) and i < len(series) else None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    # A cell that a spreadsheet would run as a formula is quoted as text.
    if text[:1] in ("=", "+", "-", "@") and not _is_number(value):
        return "'" + text
    return text


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
