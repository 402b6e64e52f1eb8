"""patterns/variants.py: flipped styles, toggled resilience settings, parameter sweeps."""

from __future__ import annotations

import copy

import pytest

import patterns
from patterns.errors import ScenarioError
from patterns.variants import flip_link, set_param, toggle


def chain() -> dict:
    return {
        "format": "mscomm.scenario/1",
        "name": "Chain",
        "nodes": [
            {"id": "order", "kind": "service", "operations": [{"id": "place", "calls": ["pay"]}]},
            {"id": "payment", "kind": "service", "operations": [{"id": "charge"}]},
            {"id": "placed", "kind": "topic"},
        ],
        "links": [
            {
                "id": "pay",
                "from": "order",
                "to": "payment",
                "style": "sync",
                "timeout_ms": 300,
                "retries": 1,
                "operation": "charge",
            },
        ],
        "workload": [
            {
                "entry": "order",
                "operation": "place",
                "arrival": {"process": "poisson", "rate_per_s": 5},
            }
        ],
        "layout": {"order": {"x": 0, "y": 0}, "payment": {"x": 200, "y": 0}},
    }


def test_flip_to_async_keeps_the_rest_and_leaves_the_original_alone():
    doc = chain()
    before = copy.deepcopy(doc)
    new = flip_link(doc, "pay", "async")
    assert doc == before
    assert new["links"][0]["style"] == "async"
    assert new["links"][0]["timeout_ms"] == 300
    assert new["name"] == "Chain (pay as async)"
    assert patterns.load(new).link("pay").style == "async"


def test_flip_back_to_sync_drops_reply_work():
    doc = chain()
    doc["links"][0].update(style="async", reply_work_ms=4)
    new = flip_link(doc, "pay", "sync")
    assert new["links"][0]["style"] == "sync" and "reply_work_ms" not in new["links"][0]


def test_a_call_turned_into_an_event_goes_through_a_new_topic():
    new = flip_link(chain(), "pay", "event")
    scenario = patterns.load(new)
    publish = scenario.link("pay")
    assert publish.style == "publish" and publish.to == "pay-events"
    assert publish.timeout_ms is None and publish.retries == 0
    (subscribe,) = scenario.links_to("payment")
    assert (subscribe.style, subscribe.from_, subscribe.operation) == (
        "subscribe",
        "pay-events",
        "charge",
    )
    assert scenario.node("pay-events").kind == "topic"
    assert new["layout"]["pay-events"] == {"x": 100, "y": 60}


def test_an_event_topic_id_never_collides():
    doc = chain()
    doc["nodes"].append({"id": "pay-events", "kind": "topic"})
    new = flip_link(doc, "pay", "event")
    assert patterns.load(new).link("pay").to == "pay-events-2"


def test_only_calls_flip():
    doc = chain()
    doc["nodes"].append({"id": "audit", "kind": "service"})
    doc["links"].append({"id": "ev", "from": "order", "to": "placed", "style": "publish"})
    with pytest.raises(ScenarioError, match="only sync and async calls flip"):
        flip_link(doc, "ev", "async")
    with pytest.raises(ScenarioError, match='unknown link "nope"'):
        flip_link(doc, "nope", "async")
    with pytest.raises(ScenarioError, match="must be 'sync', 'async' or 'event'"):
        flip_link(doc, "pay", "rpc")


@pytest.mark.parametrize(
    ("target", "setting", "field", "before", "after"),
    [
        ("pay", "timeout", "timeout_ms", 300, None),
        ("pay", "retries", "retries", 1, None),
        (
            "pay",
            "circuit_breaker",
            "circuit_breaker",
            None,
            {"failure_rate": 0.5, "window": 20, "min_calls": 10, "open_ms": 5000},
        ),
        ("payment", "health_checks", "health_checks", None, True),
        ("placed", "dead_letter", "max_deliveries", None, None),
    ],
)
def test_toggle_switches_one_setting(target, setting, field, before, after):
    doc = chain()
    new = toggle(doc, target, setting)
    section = "links" if target == "pay" else "nodes"
    item = next(i for i in new[section] if i["id"] == target)
    assert item.get(field) == after
    old = next(i for i in doc[section] if i["id"] == target)
    assert old.get(field) == before
    again = toggle(new, target, setting)
    patterns.load(again)


def test_toggle_timeout_on_and_dead_letter_off():
    doc = chain()
    doc["links"][0].pop("timeout_ms")
    assert toggle(doc, "pay", "timeout")["links"][0]["timeout_ms"] == 1000
    topic = next(i for i in toggle(doc, "placed", "dead_letter")["nodes"] if i["id"] == "placed")
    assert topic["max_deliveries"] is None
    with pytest.raises(ScenarioError, match='"order" is not a topic'):
        toggle(doc, "order", "dead_letter")
    with pytest.raises(ScenarioError, match="must be one of"):
        toggle(doc, "pay", "bulkhead")


def test_set_param_by_index_and_by_id():
    doc = chain()
    assert set_param(doc, "links[0].timeout_ms", 50)["links"][0]["timeout_ms"] == 50
    assert set_param(doc, "links[pay].retries", 3)["links"][0]["retries"] == 3
    assert set_param(doc, "nodes[payment].instances", 4)["nodes"][1]["instances"] == 4
    rate = set_param(doc, "workload[0].arrival.rate_per_s", 250)
    assert rate["workload"][0]["arrival"]["rate_per_s"] == 250
    assert doc["links"][0]["timeout_ms"] == 300


def test_set_param_refuses_bad_paths_and_values_with_field_paths():
    doc = chain()
    with pytest.raises(ScenarioError, match=r"no item \[9\] there"):
        set_param(doc, "links[9].timeout_ms", 5)
    with pytest.raises(ScenarioError, match="not a field path"):
        set_param(doc, "links[0]..x!", 5)
    with pytest.raises(ScenarioError) as info:
        set_param(doc, "links[0].timeout_ms", -1)
    assert [str(p) for p in info.value.problems] == ["links[0].timeout_ms: must be > 0"]
