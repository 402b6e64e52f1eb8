"""patterns/export.py: result and timeline CSV."""

from __future__ import annotations

import csv
import io

from patterns.export import result_csv, timeline_csv

RESULT = {
    "format": "mscomm.result/1",
    "requests": {
        "started": 10,
        "failures": {"timeout": 2},
        "latency_ms": {"mean": 1.5, "p99": None},
    },
    "services": {"order": {"utilization": 0.25, "queue_wait_ms": {"p50": 3}}},
    "links": {"pay": {"calls": 7}},
    "topics": {"=cmd()": {"published": 1}},
    "datastores": {},
    "timeline": {
        "t_s": [0, 1],
        "arrived": [4, 6],
        "latency_p99_ms": [None, 12.5],
        "utilization": {"order": [0.1, 0.4]},
    },
}


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_result_csv_flattens_every_figure():
    table = rows(result_csv(RESULT))
    assert table[0] == ["section", "name", "metric", "value"]
    assert ["requests", "", "started", "10"] in table
    assert ["requests", "", "failures.timeout", "2"] in table
    assert ["requests", "", "latency_ms.p99", ""] in table
    assert ["services", "order", "queue_wait_ms.p50", "3"] in table
    assert ["links", "pay", "calls", "7"] in table


def test_result_csv_defuses_spreadsheet_formulas():
    table = rows(result_csv(RESULT))
    assert ["topics", "'=cmd()", "published", "1"] in table


def test_timeline_csv_has_a_row_per_second():
    assert rows(timeline_csv(RESULT)) == [
        ["t_s", "arrived", "latency_p99_ms", "utilization.order"],
        ["0", "4", "", "0.1"],
        ["1", "6", "12.5", "0.4"],
    ]
