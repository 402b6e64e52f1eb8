"""Properties of the engine over random valid topologies (tests/patterns/strategies.py)."""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, given, settings

import patterns

from .strategies import scenarios

PROPS = settings(
    max_examples=int(os.environ.get("MSCOMM_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def run(doc):
    sc = patterns.load(doc)
    log = []
    sim = patterns.Simulation(sc, observer=log.append, max_events=200_000)
    sim.advance(sim.end_s)
    return sim, sim.result(), log


@PROPS
@given(scenarios())
def test_the_engine_never_raises_and_every_request_is_accounted_for(doc):
    sim, result, _log = run(doc)
    req = result["requests"]
    assert req["started"] == req["succeeded"] + req["failed"] + req["unfinished"]
    assert req["failed"] == sum(req["failures"].values())
    assert all(0 <= v <= req["started"] for v in req["met_fault"].values())
    for svc in result["services"].values():
        assert 0 <= svc["utilization"] <= 1 + 1e-9
        assert 0 <= svc["blocked_fraction"] <= 1 + 1e-9
    tl = result["timeline"]
    assert len(tl["t_s"]) == len(tl["arrived"]) == len(tl["in_flight"])
    json.dumps(result)
    state = sim.state()
    for name, svc in state["services"].items():
        workers = next(n["workers"] for n in doc["nodes"] if n["id"] == name)
        for inst in svc["instances"]:
            assert inst["working"] + inst["blocked"] + inst["idle"] == workers
            assert min(inst["working"], inst["blocked"], inst["idle"], inst["queue"]) >= 0


@PROPS
@given(scenarios())
def test_every_published_event_is_delivered_dead_lettered_or_pending(doc):
    sim, result, _ = run(doc)
    for tid, topic in sim.topics.items():
        figures = result["topics"][tid]
        subs = len(topic.subs)
        pending = sum(sub.pending for sub in topic.subs)
        if doc["warmup_s"] == 0:
            assert (
                figures["delivered"] + figures["dead_lettered"] + pending
                == figures["published"] * subs
            )
        assert figures["published"] >= 0 and figures["lost"] >= 0


@PROPS
@given(scenarios())
def test_trace_times_never_go_backwards(doc):
    _, _, log = run(doc)
    times = [e["t"] for e in log]
    assert times == sorted(times)
    for e in log:
        if "arrive_t" in e:
            assert e["arrive_t"] >= e["t"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_the_same_seed_gives_an_identical_result(doc):
    _, r1, log1 = run(doc)
    _, r2, log2 = run(doc)
    r1.pop("engine")
    r2.pop("engine")
    assert json.dumps(r1, sort_keys=True) == json.dumps(r2, sort_keys=True)
    assert log1 == log2
