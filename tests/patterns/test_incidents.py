"""patterns/incidents.py: the run told as sentences, on small exact scenarios and every lab."""

from __future__ import annotations

import pytest

import patterns
from patterns import incidents
from patterns.library import list_labs

from .engine_helpers import constant, link, scenario, service

PROBLEMS = {"warning", "error"}


def told(result, *kinds):
    return [(i["t"], i["kind"], i["text"]) for i in result["incidents"] if i["kind"] in kinds]


def chain(faults=(), **callee):
    """Order Processor calls Customer synchronously, 10 requests a second."""
    return scenario(
        [
            service("order", label="Order Processor", workers=10, work_ms=1),
            service("customer", label="Customer", workers=10, work_ms=5, **callee),
        ],
        [link("get", "order", "customer", "sync", network_ms=1, timeout_ms=500)],
        [constant("order", 10)],
        list(faults),
        duration_s=30,
        drain_s=5,
    )


def test_a_crash_at_20_s_yields_the_sentence_at_20_0_s():
    result = patterns.simulate(
        chain([{"target": "customer", "mode": "crash", "from_s": 20, "to_s": 25}])
    )
    assert told(result, "crash", "restart") == [
        (20.0, "crash", "Customer crashed (1 of 1 instances down)."),
        (25.0, "restart", "Customer is back up (1 of 1 instances up)."),
    ]
    crash = next(i for i in result["incidents"] if i["kind"] == "crash")
    assert crash == {
        "t": 20.0,
        "kind": "crash",
        "text": "Customer crashed (1 of 1 instances down).",
        "node": "customer",
        "instance": 0,
        "link": None,
        "corr": None,
        "severity": "error",
    }
    # The timeouts that follow are one episode, told once, half a second after the first
    # call that met the crash (the 10/s constant stream calls at 20.0 s + 1 ms of work).
    assert told(result, "timeouts") == [
        (20.501, "timeouts", "Order Processor's calls to Customer time out after 0.5 s.")
    ]


def test_no_false_incidents_on_a_healthy_run():
    result = patterns.simulate(chain())
    assert [(i["kind"], i["severity"]) for i in result["incidents"]] == [("first_request", "info")]
    assert result["incidents"][0]["text"] == (
        "The first request finished in 8 ms after 1 hop: Order Processor → Customer."
    )


def test_one_crash_fault_over_many_instances_is_one_sentence():
    sc = chain([{"target": "customer", "mode": "crash", "from_s": 10, "to_s": 12}], instances=3)
    assert told(patterns.simulate(sc), "crash", "restart") == [
        (10.0, "crash", "Customer crashed (3 of 3 instances down)."),
        (12.0, "restart", "Customer is back up (3 of 3 instances up)."),
    ]


def test_all_workers_blocked_on_a_sync_call_is_told_with_its_queue():
    # Customer answers nothing for 10 s: Order Processor's 2 workers wait on it for their
    # whole 5 s timeout while 10 requests a second pile up behind them.
    sc = scenario(
        [
            service("order", label="Order Processor", workers=2, work_ms=1),
            service("customer", label="Customer", work_ms=1),
        ],
        [link("get", "order", "customer", "sync", network_ms=1, timeout_ms=5000)],
        [constant("order", 10)],
        [{"target": "customer", "mode": "crash", "from_s": 5, "to_s": 15}],
        duration_s=30,
    )
    result = patterns.simulate(sc)
    (blocked,) = [i for i in result["incidents"] if i["kind"] == "workers_blocked"]
    # The second request after the crash arrives at 5.1 s and takes the second worker;
    # the detector looks every 0.1 s, so it says so at 5.2 s.
    assert (blocked["t"], blocked["text"]) == (
        5.2,
        "All 2 workers of Order Processor are blocked waiting on Customer.",
    )
    assert blocked["severity"] == "error" and blocked["node"] == "order"
    kinds = [i["kind"] for i in result["incidents"]]
    assert kinds.index("workers_blocked") < kinds.index("workers_free")
    assert "queue_growing" in kinds and "queue_drained" in kinds


def test_a_breaker_opens_once_per_episode_and_closes():
    breaker = {"failure_rate": 0.5, "window": 10, "min_calls": 5, "open_ms": 1000}
    sc = scenario(
        [
            service("order", label="Order Processor", work_ms=1),
            service("payment", label="Payment", work_ms=1),
        ],
        [link("pay", "order", "payment", "sync", timeout_ms=100, circuit_breaker=breaker)],
        [constant("order", 20)],
        [{"target": "payment", "mode": "crash", "from_s": 5, "to_s": 8, "refuse": True}],
        duration_s=15,
    )
    result = patterns.simulate(sc)
    got = told(result, "breaker_open", "breaker_half_open", "breaker_close")
    assert [k for _, k, _ in got] == ["breaker_open", "breaker_half_open", "breaker_close"]
    assert got[0][2] == "Payment's breaker opened: Order Processor's calls to it fail at once."
    assert got[1][2] == "Payment's breaker is half-open: one trial call decides."
    assert got[2][2] == "Payment's breaker closed after 3 trials: calls go through again."
    # Five refused calls at 20/s open it: the fifth arrives at 5.2 s and is refused
    # after 1 ms of work and 1 ms there and back.
    assert got[0][0] == 5.203
    assert 8.0 <= got[2][0] <= 9.05


def poison_scenario(max_deliveries):
    return scenario(
        [
            service("order", label="Order Processor", work_ms=1),
            {"id": "placed", "kind": "topic", "label": "Order Placed",
             "poison_probability": 0.05, "max_deliveries": max_deliveries,
             "redelivery_ms": 500},
            service("warehouse", label="Warehouse", work_ms=1, restart_ms=1000),
        ],
        [link("emit", "order", "placed", "publish"),
         link("to-wh", "placed", "warehouse", "subscribe")],
        [constant("order", 10)],
        duration_s=20,
    )  # fmt: skip


def test_a_poison_message_is_redelivered_then_dead_lettered():
    result = patterns.simulate(poison_scenario(3))
    kinds = [i["kind"] for i in result["incidents"]]
    assert "crash" in kinds and "redelivery" in kinds and "dead_letter" in kinds
    assert kinds.index("crash") < kinds.index("redelivery") < kinds.index("dead_letter")
    dead = next(i for i in result["incidents"] if i["kind"] == "dead_letter")
    assert dead["text"] == (
        "An Order Placed event went to Warehouse's dead-letter queue after 3 failed deliveries."
    )
    assert dead["node"] == "warehouse" and dead["link"] == "to-wh" and dead["corr"]
    # One sentence per episode: fewer dead-letter sentences than dead letters.
    n = result["topics"]["placed"]["dead_lettered"]
    assert 1 <= kinds.count("dead_letter") < n


def test_a_poison_message_redelivered_for_ever_is_told_as_a_loop():
    result = patterns.simulate(poison_scenario(None))
    (loop,) = [i for i in result["incidents"] if i["kind"] == "redelivery_loop"]
    assert "for the 4th time: the broker will redeliver it for ever" in loop["text"]
    assert not told(result, "dead_letter")


def test_a_reply_handled_by_another_instance_is_told():
    sc = scenario(
        [
            service("order", label="Order Processor", instances=3, workers=2, work_ms=1),
            service("inventory", label="Inventory", work_ms=2),
        ],
        [link("reserve", "order", "inventory", "async", network_ms=1)],
        [constant("order", 10)],
        duration_s=5,
    )
    result, log = [], []
    result = patterns.simulate(sc, observer=log.append)
    (reply,) = [i for i in result["incidents"] if i["kind"] == "reply_elsewhere"]
    asked = next(
        e["src"]
        for e in log
        if e["kind"] == "send" and e["corr"] == reply["corr"] and e["msg"] == "request"
    )
    got = next(e["dst"] for e in log if e["kind"] == "reply" and e["corr"] == reply["corr"])
    assert asked != got == f"order/{reply['instance']}"
    assert reply["text"] == (
        f"A reply from Inventory landed on Order Processor instance {reply['instance'] + 1} "
        f"of 3, not on instance {int(asked.split('/')[1]) + 1} that sent the request."
    )
    assert told(result, "async_handoff")[0][2] == (
        "Order Processor put a request on Inventory's queue and freed its worker; "
        "the reply will come back on Order Processor's reply queue."
    )


def test_fault_modes_start_and_end():
    sc = chain([{"target": "customer", "mode": "omission", "from_s": 5, "to_s": 10,
                 "probability": 0.5}])  # fmt: skip
    assert told(patterns.simulate(sc), "fault_start", "fault_end") == [
        (5.0, "fault_start", "Customer starts dropping messages silently (omission failure, "
         "50 % of them): callers get no reply."),
        (10.0, "fault_end", "Customer is over its omission failure."),
    ]  # fmt: skip


def test_incidents_are_deterministic_and_match_the_live_frames_path():
    sc = patterns.load(next(lab for lab in list_labs() if lab.slug == "cascade-sync").doc)
    once = patterns.simulate(sc)["incidents"]
    # Advanced in small steps with an observer attached, as a live run is.
    sim = patterns.Simulation(sc, observer=lambda e: None)
    while sim.advance(sim.now + 0.05):
        pass
    assert sim.result()["incidents"] == once
    assert [i["t"] for i in once] == sorted(i["t"] for i in once)
    assert all(i["kind"] in incidents.KINDS for i in once)


def test_narrate_off_leaves_the_result_without_incidents():
    sim = patterns.Simulation(chain([{"target": "customer", "mode": "crash", "from_s": 1}]),
                              narrate=False)  # fmt: skip
    sim.advance(sim.end_s)
    assert sim.result()["incidents"] == []


# What each lab teaches, as the incident kinds it must narrate.
LESSONS = {
    "sync-chain": {"first_request"},
    "sync-chain-restructured": {"first_request"},
    "temporal-coupling": {"workers_blocked", "queue_growing"},
    "cascade-sync": {"crash", "workers_blocked", "timeouts", "rejected", "restart"},
    "cascade-async": {"async_handoff", "crash", "queue_growing", "restart", "queue_drained"},
    "long-running-async": {"async_handoff"},
    "async-request-response": {"reply_elsewhere"},
    "order-placed-event": {"fan_out"},
    "common-data": {"stale_read"},
    "mixed-styles": {"fan_out", "stale_read"},
    "poison-forever": {"crash", "redelivery", "redelivery_loop"},
    "poison-dlq": {"crash", "redelivery", "dead_letter"},
    "resilience": {"crash", "timeouts", "retries", "breaker_open", "breaker_close"},
    "retry-storm": {"retries", "fault_start", "queue_growing"},
    "fault-crash": {"crash", "restart", "timeouts"},
    "fault-omission": {"fault_start", "timeouts"},
    "fault-timing": {"fault_start", "timeouts"},
    "fault-response": {"fault_start", "bad_responses"},
    "fault-arbitrary": {"fault_start", "timeouts", "bad_responses"},
    "in-process-vs-network": {"first_request"},
}


def test_every_lab_has_a_lesson():
    assert set(LESSONS) == {lab.slug for lab in list_labs()}


@pytest.mark.parametrize("lab", list_labs(), ids=lambda lab: lab.slug)
def test_every_lab_narrates_its_lesson(lab):
    result = patterns.simulate(patterns.load(lab.doc))
    kinds = {i["kind"] for i in result["incidents"]}
    assert LESSONS[lab.slug] <= kinds
    assert len(result["incidents"]) <= 40  # readable: episodes, not events
    for inc in result["incidents"]:
        assert inc["text"].endswith(".") and "/" not in inc["text"]


def test_first_divergence_finds_where_two_runs_part_ways():
    labs = {lab.slug: lab for lab in list_labs()}
    a = patterns.simulate(patterns.load(labs["cascade-sync"].doc))["incidents"]
    b = patterns.simulate(patterns.load(labs["cascade-async"].doc))["incidents"]
    assert incidents.first_divergence(a, a) is None
    split = incidents.first_divergence(a, b)
    assert split["index"] == 0
    assert (split["a"]["kind"], split["b"]["kind"]) == ("first_request", "async_handoff")
    assert split["t"] == min(a[0]["t"], b[0]["t"])
    # One story ends before the other: the other's next incident is where they part.
    split = incidents.first_divergence(a[:3], a)
    assert split == {"index": 3, "t": a[3]["t"], "a": None, "b": a[3]}


WALL_S = 30.0  # a newcomer sees the lesson within this much wall time of "Run it"


@pytest.mark.parametrize("lab", list_labs(), ids=lambda lab: lab.slug)
def test_every_lab_shows_its_lesson_within_30_s_of_watching(lab):
    sc = patterns.load(lab.doc)
    assert sc.watch is not None
    # Skipped to from_s at once, then played at `speed`: what has happened by `seen` is on
    # screen (or in the narration) within WALL_S.
    seen = sc.watch.from_s + WALL_S * sc.watch.speed
    first = {}
    for inc in patterns.simulate(sc)["incidents"]:
        first.setdefault(inc["kind"], inc["t"])
    late = {kind: first[kind] for kind in LESSONS[lab.slug] if first[kind] > seen}
    assert not late, f"{lab.slug}: watch {sc.watch} shows these too late: {late}"
    assert any(sc.watch.from_s <= first[kind] <= seen for kind in LESSONS[lab.slug])


def test_the_first_request_shows_parallel_calls_as_such():
    sc = scenario(
        [service("order", label="Order Processor", work_ms=1),
         service("pay", label="Payment", work_ms=5), service("fraud", label="Fraud", work_ms=9)],
        [link("p", "order", "pay", "sync", network_ms=1),
         link("f", "order", "fraud", "sync", network_ms=1)],
        [constant("order", 1)],
    )  # fmt: skip
    (first,) = told(patterns.simulate(sc), "first_request")
    # 1 ms of work, then both calls at once: the slower takes 1 + 9 + 1 ms.
    assert first == (
        0.012,
        "first_request",
        "The first request finished in 12 ms after 2 hops: Order Processor → Payment and Fraud.",
    )
