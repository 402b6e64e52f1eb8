"""patterns/engine.py: the clock, the heap, seeding, pacing, stopping and control."""

from __future__ import annotations

import json

import pytest

import patterns

from .engine_helpers import constant, kinds, link, poisson, run, scenario, service


def chain(**settings):
    return scenario(
        [service("a", work_ms=2), service("b", work_ms=3)],
        [link("ab", "a", "b", "sync", network_ms=1)],
        [constant("a", 1)],
        duration_s=2,
        drain_s=1,
        **settings,
    )


def busy(seed: int = 1):
    return scenario(
        [
            service("a", work_ms={"dist": "exponential", "mean": 4}, instances=2, workers=2),
            service("b", work_ms={"dist": "uniform", "min": 1, "max": 9}),
            {"id": "t", "kind": "topic"},
            service("c", work_ms={"dist": "lognormal", "median": 2, "p99": 20}),
        ],
        [
            link("ab", "a", "b", "sync", network_ms={"dist": "normal", "mean": 1, "sd": 0.5}),
            link("pub", "a", "t", "publish", step=2),
            link("sub", "t", "c", "subscribe"),
        ],
        [poisson("a", 200)],
        duration_s=5,
        drain_s=2,
        seed=seed,
    )


def test_a_sync_chain_gives_this_exact_event_log():
    _, log = run(chain())
    got = [(e["kind"], round(e["t"], 9), e.get("src"), e.get("dst")) for e in log]
    assert got == [
        ("arrive", 0.0, None, None),
        ("send", 0.002, "a/0", "b/0"),
        ("receive", 0.003, "a/0", "b/0"),
        ("reply", 0.006, "b/0", "a/0"),
        ("complete", 0.007, None, None),
        ("arrive", 1.0, None, None),
        ("send", 1.002, "a/0", "b/0"),
        ("receive", 1.003, "a/0", "b/0"),
        ("reply", 1.006, "b/0", "a/0"),
        ("complete", 1.007, None, None),
    ]
    assert {e["corr"] for e in log[:5]} == {"r1"}
    assert log[1]["arrive_t"] == pytest.approx(0.003)


def test_same_seed_gives_identical_result_and_trace():
    r1, log1 = run(busy())
    r2, log2 = run(busy())
    r1.pop("engine")
    r2.pop("engine")
    assert json.dumps(r1, sort_keys=True) == json.dumps(r2, sort_keys=True)
    assert log1 == log2
    assert r1["requests"]["started"] > 500


def test_another_seed_gives_another_run():
    r1 = patterns.simulate(busy(1))
    r2 = patterns.simulate(busy(2))
    assert r1["requests"]["latency_ms"] != r2["requests"]["latency_ms"]


def test_seed_argument_overrides_the_scenario_seed():
    r1 = patterns.simulate(busy(1), seed=2)
    r2 = patterns.simulate(busy(2))
    r1.pop("engine")
    r2.pop("engine")
    assert r1 == r2
    assert r1["seed"] == 2


def test_the_observer_does_not_change_the_result():
    with_obs, _ = run(busy())
    without = patterns.simulate(busy())
    with_obs.pop("engine")
    without.pop("engine")
    assert with_obs == without


def test_advancing_in_small_steps_equals_one_go():
    sim = patterns.Simulation(busy())
    t = 0.0
    while sim.advance(t):
        assert sim.now == pytest.approx(min(t, sim.end_s))
        t += 0.05
    paced = sim.result()
    whole = patterns.simulate(busy())
    paced.pop("engine")
    whole.pop("engine")
    assert paced == whole
    assert sim.done and sim.now == sim.end_s == 7.0


def test_an_exploding_run_stops_at_the_event_limit():
    sim = patterns.Simulation(busy(), max_events=1000)
    sim.advance(sim.end_s)
    result = sim.result()
    assert sim.done
    assert result["engine"]["events"] == 1000
    assert result["stop"]["reason"] == "event_limit"
    assert result["stop"]["t_s"] < 5
    req = result["requests"]
    assert req["started"] == req["succeeded"] + req["failed"] + req["unfinished"]


def test_stop_ends_the_run_and_counts_open_requests_as_unfinished():
    sim = patterns.Simulation(busy())
    sim.advance(1.5)
    sim.stop()
    result = sim.result()
    assert result["stop"] == {"reason": "stopped", "t_s": 1.5}
    assert result["sim_time_s"] == 1.5
    assert len(result["timeline"]["t_s"]) == 2
    assert not sim.advance(3.0)


def test_until_stops_at_that_time():
    result = patterns.simulate(busy(), until=2.0)
    assert result["sim_time_s"] == 2.0
    assert result["stop"]["reason"] == "stopped"


def test_a_run_that_reaches_its_end_has_no_stop_and_a_full_timeline():
    result = patterns.simulate(busy())
    assert result["stop"] is None
    assert result["sim_time_s"] == 7.0
    tl = result["timeline"]
    assert tl["t_s"] == list(range(7))
    assert sum(tl["arrived"]) == result["requests"]["started"]
    assert sum(tl["succeeded"]) == result["requests"]["succeeded"]
    assert tl["arrived"][6] == 0
    assert all(0 <= u <= 1 for u in tl["utilization"]["a"])


def test_control_stop_at_is_applied_at_its_simulated_time():
    control = patterns.Control()
    control.stop_at(3.25)
    result = patterns.simulate(busy(), control=control)
    assert result["stop"] == {"reason": "stopped", "t_s": 3.25}


def test_control_injects_a_fault_at_its_time_and_records_it():
    control = patterns.Control()
    control.inject({"target": "b", "mode": "crash", "to_s": 3}, at_s=2.0)
    result, log = run(busy(), control=control)
    assert result["faults_injected"] == [{"target": "b", "mode": "crash", "to_s": 3, "from_s": 2.0}]
    crashes = kinds(log, "crash", "restart", "fault_start", "fault_end")
    assert [(e["kind"], e["t"]) for e in crashes] == [
        ("fault_start", 2.0),
        ("crash", 2.0),
        ("fault_end", 3.0),
        ("restart", 3.0),
    ]
    replay = patterns.simulate(busy(), control=_control_with(result["faults_injected"]))
    result.pop("engine")
    replay.pop("engine")
    assert replay == result


def _control_with(faults):
    control = patterns.Control()
    for fault in faults:
        control.inject(fault, at_s=fault["from_s"])
    return control


def test_inject_refuses_an_invalid_fault():
    sim = patterns.Simulation(busy())
    with pytest.raises(patterns.ScenarioError):
        sim.inject({"target": "nowhere", "mode": "crash"})
    assert sim.faults_injected == []


def test_state_snapshot_accounts_for_every_worker():
    sim = patterns.Simulation(busy())
    sim.advance(2.0)
    state = sim.state()
    assert state["t"] == 2.0
    for name, svc in state["services"].items():
        workers = {"a": 2, "b": 10, "c": 10}[name]
        for inst in svc["instances"]:
            assert inst["working"] + inst["blocked"] + inst["idle"] == workers
            assert inst["up"] is True
    assert state["links"]["ab"]["breaker"] is None
    assert state["topics"]["t"]["up"] is True
    req = state["requests"]
    assert req["arrived"] == req["succeeded"] + req["failed"] + req["in_flight"]
    json.dumps(state)


def test_warmup_leaves_early_requests_out():
    sc = chain(warmup_s=1)
    result = patterns.simulate(sc)
    assert result["requests"]["started"] == 1
    assert result["services"]["a"]["received"] == 1
    assert result["timeline"]["arrived"] == [1, 1, 0]


def test_a_parsed_fault_injected_live_starts_now_and_is_recorded_as_a_document():
    sim = patterns.Simulation(busy())
    sim.advance(1.0)
    sim.inject(patterns.parse_fault({"target": "b", "mode": "response"}, sim.scenario))
    sim.advance(sim.end_s)
    result = sim.result()
    recorded = result["faults_injected"]
    assert [(f["target"], f["mode"], f["from_s"]) for f in recorded] == [("b", "response", 1.0)]
    assert result["requests"]["failures"]["bad_response"] > 100
    replay = patterns.simulate(busy(), control=_control_with(recorded))
    result.pop("engine")
    replay.pop("engine")
    assert replay == result


def test_inject_refuses_what_is_not_a_fault_object():
    sim = patterns.Simulation(busy())
    with pytest.raises(patterns.ScenarioError):
        sim.inject(["crash"])  # type: ignore[arg-type]


def test_a_fault_injected_live_starts_now_and_applies():
    sim = patterns.Simulation(busy())
    sim.advance(1.0)
    sim.inject({"target": "b", "mode": "response"})
    sim.advance(sim.end_s)
    result = sim.result()
    assert result["faults_injected"] == [{"target": "b", "mode": "response", "from_s": 1.0}]
    assert result["requests"]["failures"]["bad_response"] > 100


_CHILD = """
import json, sys
sys.path.insert(0, sys.argv[1])
import patterns
from tests.patterns.test_trace import eventful
log = []
result = patterns.simulate(eventful(), observer=log.append)
result.pop("engine")
print(json.dumps([result, log[:2000]], sort_keys=True))
"""


def test_runs_in_other_processes_with_other_hash_seeds_are_identical():
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[2])
    outputs = set()
    for hash_seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, root],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.add(out.stdout)
    assert len(outputs) == 1
    assert '"format": "mscomm.result/1"' in outputs.pop()


def test_a_day_long_run_does_not_fill_the_heap_up_front():
    sc = scenario([service("a")], [], [constant("a", 1)], duration_s=86400, drain_s=0)
    sim = patterns.Simulation(sc)
    assert len(sim.heap) <= 3
    sim.advance(5.5)
    assert len(sim.tl.t_s) == 5
    assert len(sim.heap) <= 3


def test_the_timeline_has_one_bucket_per_started_second():
    result = patterns.simulate(chain(), until=2.5)
    assert result["timeline"]["t_s"] == [0, 1, 2]
    odd = scenario([service("a")], [], [constant("a", 1)], duration_s=2, drain_s=0.5)
    assert patterns.simulate(odd)["timeline"]["t_s"] == [0, 1, 2]


def test_the_timeline_utilisation_adds_up_to_the_run_figure():
    result = patterns.simulate(busy())
    per_second = result["timeline"]["utilization"]["a"]
    assert len(per_second) == 7
    assert sum(per_second) / 7 == pytest.approx(result["services"]["a"]["utilization"], rel=1e-4)
    tl = result["timeline"]
    arrived = sum(tl["arrived"])
    # In flight at the end of each second: arrived so far minus finished so far.
    running = 0
    for k in range(7):
        running += tl["arrived"][k] - tl["succeeded"][k] - tl["failed"][k]
        assert tl["in_flight"][k] == running
    assert arrived == result["requests"]["started"]
