"""patterns/topics.py: publish/subscribe, competing consumers, redelivery, dead letters."""

from __future__ import annotations

from collections import Counter

import pytest

import patterns

from .engine_helpers import constant, kinds, link, poisson, run, scenario, service


def pubsub(topic=None, faults=(), sub_ops=None, extra_nodes=(), extra_links=(), **settings):
    topic = {"id": "t", "kind": "topic", **(topic or {})}
    s1 = service("s1", work_ms=2, instances=2, **({"operations": sub_ops} if sub_ops else {}))
    return scenario(
        [service("a", work_ms=1), topic, s1, service("s2", work_ms=1), *extra_nodes],
        [
            link("pub", "a", "t", "publish"),
            link("sub1", "t", "s1", "subscribe"),
            link("sub2", "t", "s2", "subscribe"),
            *extra_links,
        ],
        [poisson("a", 100)],
        list(faults),
        **settings,
    )


def test_every_subscriber_gets_every_event_and_instances_compete():
    result, log = run(pubsub())
    topic = result["topics"]["t"]
    assert topic["published"] == result["requests"]["started"] > 800
    assert topic["delivered"] == 2 * topic["published"]
    assert topic["redelivered"] == topic["dead_lettered"] == topic["lost"] == 0
    handled = Counter(e["dst"] for e in kinds(log, "receive") if e["link"] == "sub1")
    assert set(handled) == {"s1/0", "s1/1"}
    assert sum(handled.values()) == topic["published"]
    # delivery 1 ms + handling 2 or 1 ms
    assert topic["delivery_lag_ms"]["max"] == pytest.approx(3.0)


def test_the_publisher_is_unharmed_by_a_subscriber_outage():
    healthy = patterns.simulate(pubsub())
    outage = patterns.simulate(
        pubsub(faults=[{"target": "s1", "mode": "crash", "from_s": 2, "to_s": 5}])
    )
    assert outage["requests"]["latency_ms"] == healthy["requests"]["latency_ms"]
    assert outage["requests"]["succeeded"] == healthy["requests"]["succeeded"]
    # Events waited on s1's queue and were handled after the restart.
    topic = outage["topics"]["t"]
    assert topic["delivered"] == 2 * topic["published"]
    assert topic["delivery_lag_ms"]["max"] > 2900


def test_poison_events_crash_the_subscriber_and_end_in_the_dead_letter_queue():
    sc = scenario(
        [
            service("a", work_ms=1),
            {
                "id": "t",
                "kind": "topic",
                "poison_probability": 1,
                "max_deliveries": 3,
                "redelivery_ms": 10,
            },
            service("s", work_ms=1, instances=2, restart_ms=100),
        ],
        [link("pub", "a", "t", "publish"), link("sub", "t", "s", "subscribe")],
        [constant("a", 1, to_s=1)],
    )
    result, log = run(sc)
    topic = result["topics"]["t"]
    assert (topic["published"], topic["dead_lettered"], topic["redelivered"]) == (1, 1, 2)
    assert topic["delivered"] == 0
    crashes = [(e["instance"], round(e["t"], 6), e["reason"]) for e in kinds(log, "crash")]
    # Both instances crash on it; the third attempt waits for the first restart.
    assert crashes == [(0, 0.002, "poison"), (1, 0.013, "poison"), (0, 0.103, "poison")]
    letters = kinds(log, "dead_letter")
    assert [(e["attempt"], round(e["t"], 6)) for e in letters] == [(3, 0.103)]
    # The publisher never noticed.
    assert result["requests"]["succeeded"] == 1


def test_a_failing_handler_is_redelivered_until_max_deliveries():
    sc = pubsub(
        topic={"max_deliveries": 4, "redelivery_ms": 100},
        sub_ops=[{"id": "default", "calls": ["s1x"]}],
        extra_nodes=[service("x", work_ms=1)],
        extra_links=[link("s1x", "s1", "x", "sync")],
        faults=[{"target": "x", "mode": "response"}],
    )
    result, log = run(sc)
    topic = result["topics"]["t"]
    published = topic["published"]
    assert topic["dead_lettered"] == published
    assert topic["delivered"] == published  # s2's deliveries
    assert topic["redelivered"] == 3 * published
    first = next(e for e in kinds(log, "redeliver"))
    assert first["attempt"] == 2
    # Faults met by event handlers do not count against the publisher's requests.
    assert result["requests"]["met_fault"]["response"] == 0


def test_without_max_deliveries_events_are_redelivered_for_ever():
    sc = pubsub(
        topic={"max_deliveries": None, "redelivery_ms": 500},
        faults=[{"target": "s1", "mode": "omission"}],
    )
    sim = patterns.Simulation(sc)
    sim.advance(sim.end_s)
    result = sim.result()
    topic = result["topics"]["t"]
    assert topic["dead_lettered"] == 0
    assert topic["delivered"] == topic["published"]  # s2 only
    assert sim.state()["topics"]["t"]["backlog"]["s1"] == topic["published"]


def test_a_crashed_topic_loses_what_is_published_meanwhile():
    result, log = run(pubsub(faults=[{"target": "t", "mode": "crash", "from_s": 2, "to_s": 4}]))
    topic = result["topics"]["t"]
    assert topic["lost"] > 100
    assert topic["published"] + topic["lost"] == result["requests"]["started"]
    assert topic["delivered"] == 2 * topic["published"]
    assert all(2 <= d["t"] < 4 for d in kinds(log, "drop"))


def test_no_attempt_counts_while_every_subscriber_instance_is_down():
    sc = pubsub(
        topic={"max_deliveries": 1},
        faults=[{"target": "s1", "mode": "crash", "from_s": 0, "to_s": 3}],
    )
    result = patterns.simulate(sc)
    topic = result["topics"]["t"]
    assert topic["dead_lettered"] == 0
    assert topic["delivered"] == 2 * topic["published"]


def test_events_carry_the_correlation_id_of_their_request():
    sc = scenario(
        [service("a", work_ms=1), {"id": "t", "kind": "topic"}, service("s", work_ms=1)],
        [link("pub", "a", "t", "publish"), link("sub", "t", "s", "subscribe")],
        [constant("a", 1, to_s=1)],
    )
    _, log = run(sc)
    assert [(e["kind"], e["corr"]) for e in log if e["kind"] != "complete"] == [
        ("arrive", "r1"),
        ("publish", "r1"),
        ("deliver", "r1"),
        ("receive", "r1"),
    ]


def test_an_event_cycle_stops_at_the_hop_limit():
    sc = scenario(
        [service("a", work_ms=1), {"id": "t", "kind": "topic"}],
        [link("pub", "a", "t", "publish"), link("sub", "t", "a", "subscribe")],
        [constant("a", 1, to_s=1)],
    )
    result, log = run(sc)
    topic = result["topics"]["t"]
    assert topic["published"] == 64
    assert topic["lost"] == 1
    assert kinds(log, "drop")[0]["reason"] == "hop_limit"


def test_a_poison_event_behind_a_bulkhead_crashes_the_instance_cleanly():
    sc = scenario(
        [
            service("a", work_ms=0),
            {"id": "t", "kind": "topic", "poison_probability": 0.3, "redelivery_ms": 5},
            service(
                "s",
                workers=3,
                restart_ms=20,
                operations=[{"id": "default", "work_ms": 10, "max_concurrent": 1}],
            ),
        ],
        [link("pub", "a", "t", "publish"), link("sub", "t", "s", "subscribe")],
        [poisson("a", 300)],
        duration_s=3,
    )
    sim = patterns.Simulation(sc)
    sim.advance(sim.end_s)
    topic = sim.result()["topics"]["t"]
    assert topic["delivered"] > 0
    pending = sim.state()["topics"]["t"]["backlog"]["s"]
    assert topic["delivered"] + topic["dead_lettered"] + pending == topic["published"]
