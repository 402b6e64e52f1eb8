"""patterns/slos.py and workload deadlines: late requests, goodput, objectives met or not."""

from __future__ import annotations

import pytest

import patterns
import patterns.library
from patterns.slos import slo_shares
from patterns.stats import seeds_derive, wilson

from .engine_helpers import constant, poisson, scenario, service

ALWAYS = {"id": "no-failures", "metric": "requests.failed", "op": "<=", "target": 0}
NEVER = {"id": "faster-than-work", "metric": "requests.latency_ms.mean", "op": "<=", "target": 5}


def queue_with_deadline(**workload) -> patterns.Scenario:
    # One worker, 150 ms per request, one arrival every 100 ms: request k waits 50k ms
    # for the worker, so its latency is 150 + 50k ms (k = 0..9).
    return scenario(
        [service("q", workers=1, work_ms=150)],
        [],
        [constant("q", 10, **workload)],
        duration_s=1,
        drain_s=2,
    )


def test_successes_after_the_deadline_are_late_and_left_out_of_goodput():
    requests = patterns.simulate(queue_with_deadline(deadline_ms=325))["requests"]
    # On time: 150, 200, 250, 300 ms; late: 350 .. 600 ms.
    assert (requests["started"], requests["succeeded"], requests["late"]) == (10, 4, 6)
    assert (requests["failed"], requests["unfinished"]) == (0, 0)
    assert requests["goodput_per_s"] == 4.0
    assert requests["throughput_per_s"] == 10.0
    # Latency is what the system delivered, late or not.
    assert requests["latency_ms"]["max"] == pytest.approx(600.0)
    assert requests["latency_ms"]["mean"] == pytest.approx(375.0)


def test_without_a_deadline_nothing_is_late_and_goodput_is_throughput():
    requests = patterns.simulate(queue_with_deadline())["requests"]
    assert (requests["succeeded"], requests["late"]) == (10, 0)
    assert requests["goodput_per_s"] == requests["throughput_per_s"] == 10.0


def test_each_result_says_whether_each_slo_was_met():
    model = scenario(
        [service("q", workers=1, work_ms=150)],
        [],
        [constant("q", 10, deadline_ms=325)],
        duration_s=1,
        drain_s=2,
        slos=[
            {
                "id": "goodput",
                "label": "on time",
                "metric": "requests.goodput_per_s",
                "op": ">=",
                "target": 4,
            },
            {"id": "late", "metric": "requests.late", "op": "<=", "target": 5},
            {"id": "busy", "metric": "services.q.utilization", "op": ">=", "target": 0},
        ],
    )
    slos = patterns.simulate(model)["slos"]
    assert slos[0] == {"id": "goodput", "value": 4.0, "met": True}
    assert slos[1] == {"id": "late", "value": 6, "met": False}
    assert slos[2]["met"] is True and slos[2]["value"] > 0


def test_an_slo_met_by_construction_in_every_seed_and_one_met_in_none():
    doc = {
        "format": "mscomm.scenario/1",
        "name": "mm1",
        "duration_s": 30,
        "drain_s": 5,
        "nodes": [service("q", workers=1, work_ms={"dist": "exponential", "mean": 10})],
        "workload": [poisson("q", 50)],
        "slos": [ALWAYS, NEVER],
    }
    model = patterns.load(doc)
    results = [patterns.simulate(model, seed=s) for s in seeds_derive(3, 20)]
    always, never = slo_shares(doc["slos"], results)
    assert (always["met"], always["n"], always["share"]) == (20, 20, 1.0)
    assert always["ci95"] == wilson(20, 20) and always["ci95"][0] > 0.8
    assert (never["met"], never["n"], never["share"]) == (0, 20, 0.0)
    assert never["ci95"] == wilson(0, 20) and never["ci95"][1] < 0.2
    assert never["metric"] == "requests.latency_ms.mean" and never["target"] == 5


def load_problems(doc: dict) -> dict[str, str]:
    with pytest.raises(patterns.ScenarioError) as err:
        patterns.load(doc)
    return {p.loc: p.msg for p in err.value.problems}


def test_slos_and_deadlines_are_validated_with_field_paths():
    base = queue_with_deadline().to_doc()
    problems = load_problems(
        {
            **base,
            "workload": [{**base["workload"][0], "deadline_ms": 0}],
            "slos": [
                {"id": "a", "metric": "requests.nope", "op": "<=", "target": 1},
                {"id": "b", "metric": "services.ghost.utilization", "op": "<=", "target": 1},
                {"id": "a", "metric": "requests.late", "op": "<", "target": 1},
                {"id": "d", "metric": "requests.late", "op": "<=", "target": "x"},
            ],
        }
    )
    assert problems["workload[0].deadline_ms"] == "must be > 0"
    assert "no figure 'requests.nope'" in problems["slos[0].metric"]
    assert "slos[1].metric" in problems
    assert problems["slos[2].id"] == "repeats the id 'a'"
    assert "slos[2].op" in problems
    assert problems["slos[3].target"] == "must be a number"


def test_old_scenarios_load_and_run_unchanged_with_no_slos():
    for lab in patterns.library.list_labs()[:3]:
        doc = lab["doc"] if isinstance(lab, dict) else lab.doc
        result = patterns.simulate(patterns.load(doc))
        assert result["slos"] == [] and result["requests"]["late"] == 0
    schema = patterns.json_schema()
    assert "slos" in schema["properties"]
    assert "deadline_ms" in schema["$defs"]["Workload"]["properties"]
