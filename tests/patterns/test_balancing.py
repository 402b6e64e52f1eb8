"""patterns/balancing.py: how a caller (or a broker) picks an instance of a service."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

import pytest

import patterns
from patterns import balancing
from patterns.runtime import Sim

from .engine_helpers import constant, kinds, link, poisson, run, scenario, service


def test_round_robin_spreads_calls_over_instances():
    sc = scenario(
        [service("a", work_ms=0), service("b", work_ms=1, instances=3)],
        [link("ab", "a", "b", "sync")],
        [constant("a", 9, to_s=1)],
    )
    _, log = run(sc)
    assert [e["dst"] for e in kinds(log, "send")] == ["b/0", "b/1", "b/2"] * 3


@pytest.mark.parametrize("balancing", ["random", "least_busy"])
def test_other_balancers_use_every_instance(balancing):
    sc = scenario(
        [service("a", work_ms=0), service("b", work_ms=30, instances=3, load_balancing=balancing)],
        [link("ab", "a", "b", "sync")],
        [poisson("a", 300)],
    )
    _, log = run(sc)
    counts = Counter(e["dst"] for e in kinds(log, "send"))
    assert set(counts) == {"b/0", "b/1", "b/2"}
    assert min(counts.values()) > 0.25 * sum(counts.values())


def test_health_checks_skip_a_down_instance():
    nodes = [service("a", work_ms=0), service("b", work_ms=1, instances=2, health_checks=True)]
    sc = scenario(
        nodes,
        [link("ab", "a", "b", "sync", timeout_ms=50)],
        [constant("a", 10)],
        faults=[{"target": "b", "mode": "crash", "instance": 1}],
    )
    result = patterns.simulate(sc)
    assert result["requests"]["succeeded"] == 100
    assert result["services"]["b"]["received"] == 100


def test_without_health_checks_a_down_instance_still_gets_calls():
    sc = scenario(
        [service("a", work_ms=0), service("b", work_ms=1, instances=2)],
        [link("ab", "a", "b", "sync", timeout_ms=50)],
        [constant("a", 10)],
        faults=[{"target": "b", "mode": "crash", "instance": 1}],
    )
    result = patterns.simulate(sc)
    assert result["requests"]["succeeded"] == 50
    assert result["requests"]["failures"]["timeout"] == 50
    assert result["requests"]["met_fault"]["crash"] == 50


# pick() reads nothing of the run; a compiled build checks that it gets one.
SIM = Sim(1, None, False)


def instances(*loads, down=()):
    """Instances with (busy workers, queued) loads, the ones in `down` crashed."""
    return [
        SimpleNamespace(k=k, up=k not in down, workers=4, free=4 - busy, queue=[None] * queued)
        for k, (busy, queued) in enumerate(loads)
    ]


def svc(insts, lb="round_robin", health=False):
    return SimpleNamespace(
        instances=insts, lb=balancing.POLICIES[lb], health=health, rr=0, rng=None
    )


def test_round_robin_with_health_checks_skips_down_instances_and_keeps_its_turn():
    s = svc(instances((0, 0), (0, 0), (0, 0), down={1}), health=True)
    assert [balancing.pick(SIM, s, False).k for _ in range(4)] == [0, 2, 0, 2]


def test_without_health_checks_a_caller_picks_a_down_instance_but_a_broker_does_not():
    s = svc(instances((0, 0), (0, 0), down={0}))
    assert balancing.pick(SIM, s, False).k == 0
    assert balancing.pick(SIM, s, True).k == 1


def test_nobody_to_pick_when_every_instance_is_down():
    for lb in balancing.POLICIES:
        s = svc(instances((0, 0), (0, 0), down={0, 1}), lb=lb, health=True)
        assert balancing.pick(SIM, s, False) is None
    single = svc(instances((0, 0), down={0}))
    assert balancing.pick(SIM, single, True) is None
    assert balancing.pick(SIM, single, False) is single.instances[0]


def test_least_busy_counts_busy_workers_and_queued_requests():
    s = svc(instances((3, 0), (1, 1), (2, 2)), lb="least_busy")
    assert balancing.pick(SIM, s, False).k == 1
    # Ties go to the first such instance.
    s = svc(instances((1, 0), (0, 1)), lb="least_busy")
    assert balancing.pick(SIM, s, False).k == 0
