"""patterns/scenario.py, references.py and validation.py: the scenario model and its errors."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import patterns
from patterns.errors import Problem, ScenarioError
from patterns.scenario import Exponential, Lognormal, Service, duration_mean_ms, parse_fault


def base_doc() -> dict:
    return {
        "format": "mscomm.scenario/1",
        "name": "Checkout",
        "seed": 7,
        "nodes": [
            {
                "id": "order",
                "kind": "service",
                "instances": 2,
                "operations": [
                    {"id": "place", "work_ms": 5, "calls": ["pay", "placed-event"]},
                    {"id": "status", "work_ms": {"dist": "exponential", "mean": 2}},
                ],
            },
            {
                "id": "payment",
                "kind": "service",
                "work_ms": {"dist": "uniform", "min": 1, "max": 9},
            },
            {"id": "placed", "kind": "topic", "max_deliveries": None},
            {"id": "loyalty", "kind": "service"},
            {"id": "lake", "kind": "datastore"},
            {"id": "reporting", "kind": "service"},
        ],
        "links": [
            {
                "id": "pay",
                "from": "order",
                "to": "payment",
                "style": "sync",
                "timeout_ms": 200,
                "circuit_breaker": {"failure_rate": 0.5, "window": 20, "min_calls": 10},
            },
            {"id": "placed-event", "from": "order", "to": "placed", "style": "publish"},
            {"id": "to-loyalty", "from": "placed", "to": "loyalty", "style": "subscribe"},
            {"id": "record", "from": "loyalty", "to": "lake", "style": "write"},
            {
                "id": "report",
                "from": "lake",
                "to": "reporting",
                "style": "poll",
                "interval_ms": 500,
            },
        ],
        "workload": [
            {
                "entry": "order",
                "operation": "place",
                "arrival": {"process": "poisson", "rate_per_s": 20},
            }
        ],
        "faults": [
            {"target": "payment", "mode": "timing", "from_s": 10, "to_s": 20, "extra_ms": 300},
            {"target": "order", "mode": "crash", "instance": 1, "from_s": 5, "to_s": 8},
            {"target": "pay", "mode": "omission", "probability": 0.1},
        ],
        "layout": {"order": {"x": 0, "y": 0}},
    }


def problems_of(doc) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        patterns.load(doc)
    return [str(p) for p in info.value.problems]


def test_it_loads_a_valid_scenario_into_an_immutable_model():
    scenario = patterns.load(base_doc())
    assert scenario.name == "Checkout"
    assert scenario.seed == 7
    assert scenario.duration_s == 60 and scenario.drain_s == 30 and scenario.end_s == 90
    assert [s.id for s in scenario.services] == ["order", "payment", "loyalty", "reporting"]
    assert [t.id for t in scenario.topics] == ["placed"]
    assert scenario.link("pay").from_ == "order"
    assert scenario.link("pay").circuit_breaker.open_ms == 5000
    assert isinstance(scenario.node("order").operations[1].work_ms, Exponential)
    assert [link.id for link in scenario.links_from("order")] == ["pay", "placed-event"]
    assert [link.id for link in scenario.links_to("lake")] == ["record"]
    with pytest.raises(ValidationError):
        scenario.name = "changed"  # type: ignore[misc]
    assert isinstance(scenario.nodes, tuple)


def test_it_accepts_json_text_and_bytes():
    text = json.dumps(base_doc())
    assert patterns.load(text).name == "Checkout"
    assert patterns.load(text.encode()).name == "Checkout"


def test_defaults_follow_the_format():
    scenario = patterns.load(
        {"format": "mscomm.scenario/1", "name": "x", "nodes": [{"id": "a", "kind": "service"}]}
    )
    service = scenario.node("a")
    assert isinstance(service, Service)
    assert (service.instances, service.workers, service.queue_limit) == (1, 10, None)
    assert (service.load_balancing, service.health_checks) == ("round_robin", False)
    assert (service.work_ms, service.restart_ms) == (1.0, 5000.0)
    assert scenario.seed == 1 and scenario.warmup_s == 0


def test_a_service_without_operations_has_a_default_one_making_its_call_links():
    scenario = patterns.load(base_doc())
    (op,) = scenario.node("loyalty").effective_operations(scenario)
    assert op.id == "default" and op.calls == ("record",)
    assert scenario.node("loyalty").operation(scenario, None) == op
    assert scenario.node("order").operation(scenario, "status").id == "status"
    assert scenario.node("order").operation(scenario, "nope") is None


def test_to_doc_round_trips():
    scenario = patterns.load(base_doc())
    again = patterns.load(scenario.to_doc())
    assert again == scenario
    assert again.to_doc()["links"][0]["from"] == "order"


def test_it_reports_every_problem_with_its_field_path():
    doc = base_doc()
    doc["links"][0]["timeout_ms"] = 0
    doc["links"][1]["to"] = "paymnet"
    doc["links"].append({"id": "bad", "from": "order", "to": "placed", "style": "sync"})
    doc["nodes"][1]["workers"] = 0
    problems = problems_of(doc)
    assert "links[0].timeout_ms: must be > 0" in problems
    assert 'links[1].to: unknown node "paymnet"' in problems
    assert "links[5]: style sync goes service -> service, not service -> topic" in problems
    assert "nodes[1].workers: must be >= 1" in problems


def test_problems_come_in_document_order():
    doc = base_doc()
    doc["faults"][0]["probability"] = 2
    doc["links"][2]["from"] = "nowhere"
    doc["nodes"][1]["workers"] = 0
    doc["name"] = ""
    locs = [p.split(":")[0] for p in problems_of(doc)]
    assert locs == ["name", "nodes[1].workers", "links[2].from", "faults[0].probability"]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["nodes"].append({"id": "order", "kind": "service"}),
            'nodes[6].id: duplicate id "order" (also nodes[0])',
        ),
        (
            lambda d: d["links"].append(dict(d["links"][0])),
            'links[5].id: duplicate id "pay" (also links[0])',
        ),
        (lambda d: d["nodes"][0].update(color="red"), "nodes[0].color: unknown field"),
        (lambda d: d.update(extra=1), "extra: unknown field"),
        (lambda d: d["nodes"][0].update(workers="10"), "nodes[0].workers: must be an integer"),
        (lambda d: d["nodes"][0].update(workers=2.5), "nodes[0].workers: must be an integer"),
        (
            lambda d: d["nodes"][0].update(health_checks="yes"),
            "nodes[0].health_checks: must be true or false",
        ),
        (
            lambda d: d["nodes"][0].update(kind="queue"),
            "nodes[0].kind: must be one of 'service', 'topic', 'datastore'",
        ),
        (
            lambda d: d["nodes"][0].pop("kind"),
            "nodes[0].kind: required (one of 'service', 'topic', 'datastore')",
        ),
        (lambda d: d["nodes"][0].update(id="Order"), "nodes[0].id: must be an id"),
        (
            lambda d: d["nodes"][1].update(work_ms="5ms"),
            "nodes[1].work_ms: must be a number of milliseconds",
        ),
        (
            lambda d: d["nodes"][1].update(work_ms={"dist": "exponential", "mean": -1}),
            "nodes[1].work_ms.mean: must be > 0",
        ),
        (
            lambda d: d["nodes"][1].update(work_ms={"dist": "lognormal", "median": 20, "p99": 10}),
            "nodes[1].work_ms: p99 must be > median",
        ),
        (
            lambda d: d["nodes"][1].update(work_ms={"dist": "uniform", "min": 9, "max": 1}),
            "nodes[1].work_ms: max must be >= min",
        ),
        (
            lambda d: d["nodes"][1].update(work_ms={"dist": "gamma", "k": 2}),
            "nodes[1].work_ms: must be a number of milliseconds",
        ),
        (lambda d: d["nodes"][1].update(work_ms=-3), "nodes[1].work_ms: must be >= 0"),
        (
            lambda d: d["nodes"][2].update(poison_probability=1.5),
            "nodes[2].poison_probability: must be <= 1",
        ),
        (
            lambda d: d["links"][0].update(style="rpc"),
            "links[0].style: must be 'sync', 'async', 'publish', 'subscribe', 'write' or 'poll'",
        ),
        (lambda d: d["links"][0].pop("from"), "links[0].from: required"),
        (lambda d: d["links"][0].update(retries=-1), "links[0].retries: must be >= 0"),
        (
            lambda d: d["links"][0]["circuit_breaker"].update(min_calls=30),
            "links[0].circuit_breaker: min_calls must be <= window",
        ),
        (
            lambda d: d["links"][0].update(operation="refund"),
            'links[0].operation: service "payment" has no operation "refund"',
        ),
        (
            lambda d: d["links"][0].update(to="order"),
            'links[0]: service "order" has no operation "default"',
        ),
        (
            lambda d: d["links"][4].pop("interval_ms"),
            "links[4].interval_ms: required for style poll",
        ),
        (
            lambda d: d["links"].append(
                {"id": "sub2", "from": "placed", "to": "loyalty", "style": "subscribe"}
            ),
            'links[5]: service "loyalty" already subscribes to topic "placed" (links[2])',
        ),
        (
            lambda d: d["nodes"][0]["operations"][0]["calls"].append("report"),
            'nodes[0].operations[0].calls[2]: link "report" does not start at service "order"',
        ),
        (
            lambda d: d["nodes"][0]["operations"][0]["calls"].append("ghost"),
            'nodes[0].operations[0].calls[2]: unknown link "ghost"',
        ),
        (
            lambda d: d["nodes"][0]["operations"].append({"id": "place"}),
            'nodes[0].operations[2].id: duplicate id "place" (also nodes[0].operations[0])',
        ),
        (
            lambda d: d["workload"][0].update(entry="placed"),
            'workload[0].entry: "placed" is a topic, not a service',
        ),
        (
            lambda d: d["workload"][0].update(entry="nobody"),
            'workload[0].entry: unknown node "nobody"',
        ),
        (
            lambda d: d["workload"][0].update(operation=None),
            'workload[0].operation: service "order" has no operation "default"',
        ),
        (lambda d: d["workload"][0].update(to_s=90), "workload[0].to_s: must be <= duration_s"),
        (
            lambda d: d["workload"][0]["arrival"].update(rate_per_s=0),
            "workload[0].arrival.rate_per_s: must be > 0",
        ),
        (
            lambda d: d["workload"][0]["arrival"].update(process="burst"),
            "workload[0].arrival.process: must be 'poisson' or 'constant'",
        ),
        (
            lambda d: d["faults"][0].update(target="ghost"),
            'faults[0].target: unknown node or link "ghost"',
        ),
        (
            lambda d: d["faults"][0].update(mode="response", target="pay"),
            "faults[0].mode: response applies to a service, not a link",
        ),
        (
            lambda d: d["faults"][0].update(mode="crash", target="lake"),
            "faults[0].mode: crash applies to a service or topic, not a datastore",
        ),
        (lambda d: d["faults"][0].pop("extra_ms"), "faults[0].extra_ms: required for mode timing"),
        (
            lambda d: d["faults"][1].update(instance=2),
            'faults[1].instance: must be < 2 (service "order" has 2 instances)',
        ),
        (lambda d: d["faults"][1].update(to_s=5), "faults[1]: to_s must be > from_s"),
        (lambda d: d.update(warmup_s=60), "warmup_s: must be < duration_s"),
        (lambda d: d.update(duration_s=0), "duration_s: must be > 0"),
        (lambda d: d.update(duration_s=float("nan")), "duration_s: must be a finite number"),
        (lambda d: d.update(seed=-1), "seed: must be >= 0"),
        (lambda d: d.update(format="mscomm.scenario/2"), "format: must be 'mscomm.scenario/1'"),
        (lambda d: d.update(name="x" * 121), "name: must be at most 120 characters"),
        (lambda d: d.update(nodes={}), "nodes: must be a list"),
        (lambda d: d["layout"].update(order={"x": 1}), "layout.order.y: required"),
    ],
)
def test_it_names_what_is_wrong(mutate, expected):
    doc = base_doc()
    mutate(doc)
    problems = problems_of(doc)
    assert any(p.startswith(expected) for p in problems), problems


def test_a_node_and_a_link_with_the_same_id_make_a_fault_target_ambiguous():
    doc = base_doc()
    doc["nodes"].append({"id": "pay", "kind": "service"})
    doc["faults"][0]["target"] = "pay"
    assert 'faults[0].target: "pay" names both a node and a link' in problems_of(doc)


def test_bad_json_text_is_one_problem_with_line_and_column():
    assert problems_of('{"format": "mscomm.scenario/1",\n "name": }') == [
        "not valid JSON: line 2 column 10: Expecting value"
    ]
    assert problems_of("[1, 2]") == ["a scenario must be a JSON object"]
    assert problems_of(b"\xff\xfe") == ["not valid JSON: not UTF-8 text"]


def test_deeply_nested_json_is_refused_cleanly():
    text = '{"format": ' + "[" * 100_000 + "]" * 100_000 + "}"
    problems = problems_of(text)
    assert len(problems) == 1 and problems[0].startswith("not valid JSON")


def test_scenario_error_carries_problems_for_the_api():
    doc = base_doc()
    doc["links"][0]["timeout_ms"] = -5
    with pytest.raises(ScenarioError) as info:
        patterns.load(doc)
    assert info.value.as_json() == [{"loc": "links[0].timeout_ms", "msg": "must be > 0"}]
    assert info.value.problems == [Problem("links[0].timeout_ms", "must be > 0")]
    assert str(info.value) == "links[0].timeout_ms: must be > 0"


def test_parse_fault_checks_a_live_fault_against_the_scenario():
    scenario = patterns.load(base_doc())
    fault = parse_fault({"target": "payment", "mode": "crash", "refuse": True}, scenario)
    assert fault.refuse and fault.to_s is None
    with pytest.raises(ScenarioError) as info:
        parse_fault({"target": "lake", "mode": "omission", "probability": 3}, scenario)
    assert [str(p) for p in info.value.problems] == ["fault.probability: must be <= 1"]
    with pytest.raises(ScenarioError) as info:
        parse_fault({"target": "lake", "mode": "omission"}, scenario)
    assert [str(p) for p in info.value.problems] == [
        "fault.mode: omission applies to a service or link, not a datastore"
    ]
    with pytest.raises(ScenarioError):
        parse_fault("crash", scenario)


def test_duration_means():
    assert duration_mean_ms(4) == 4
    assert duration_mean_ms(Exponential(dist="exponential", mean=3)) == 3
    lognormal = Lognormal(dist="lognormal", median=20, p99=200)
    assert 20 < duration_mean_ms(lognormal) < 200


def test_json_schema_describes_the_format():
    schema = patterns.json_schema()
    json.dumps(schema)
    assert schema["type"] == "object"
    assert {"format", "name", "nodes", "links", "workload", "faults"} <= set(schema["properties"])
    assert "format" in schema["required"] and "name" in schema["required"]
    assert "from" in json.dumps(schema["$defs"]["Link"])
    assert schema["$defs"]["Service"]["properties"]["workers"]["maximum"] == 10_000


# --- property tests: random invalid documents give field-path errors, never a crash ------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _paths(child, (*prefix, i))


BASE_PATHS = [p for p in _paths(base_doc()) if p]


def _assert_loads_or_explains(doc) -> None:
    try:
        patterns.load(doc)
    except ScenarioError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert isinstance(problem.loc, str) and isinstance(problem.msg, str) and problem.msg


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(path=st.sampled_from(BASE_PATHS), value=json_values, delete=st.booleans())
def test_any_mutation_of_a_valid_document_loads_or_explains_itself(path, value, delete):
    doc = copy.deepcopy(base_doc())
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    _assert_loads_or_explains(doc)


@settings(max_examples=200, deadline=None)
@given(doc=st.dictionaries(st.sampled_from([*base_doc(), "x"]), json_values, max_size=8))
def test_random_documents_load_or_explain_themselves(doc):
    _assert_loads_or_explains(doc)


def test_watch_is_optional_and_names_its_bad_fields():
    assert patterns.load(base_doc()).watch is None
    doc = base_doc()
    doc["watch"] = {"from_s": 18}
    watch = patterns.load(doc).watch
    assert (watch.from_s, watch.speed) == (18.0, 1.0)
    doc["watch"] = {"from_s": -1, "speed": 0, "at": 3}
    assert problems_of(doc) == [
        "watch.at: unknown field",
        "watch.from_s: must be >= 0",
        "watch.speed: must be >= 0.001",
    ]
    assert "watch" in patterns.json_schema()["properties"]
