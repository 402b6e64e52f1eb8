"""patterns/common_data.py: writes, polls and staleness."""

from __future__ import annotations

import pytest

import patterns

from .engine_helpers import constant, kinds, link, poisson, run, scenario, service


def store(interval_ms=200, rate=200, **store_options):
    return scenario(
        [
            service("w", work_ms=1),
            {"id": "lake", "kind": "datastore", "read_ms": 0, **store_options},
            service("r", work_ms=1),
        ],
        [
            link("wr", "w", "lake", "write"),
            link("poll", "lake", "r", "poll", interval_ms=interval_ms),
        ],
        [poisson("w", rate)],
        duration_s=20,
        drain_s=1,
    )


def test_polling_staleness_is_about_half_the_interval():
    sc = store(interval_ms=200)
    sim = patterns.Simulation(sc)
    sim.advance(sim.end_s)
    result = sim.result()
    stale = result["datastores"]["lake"]["staleness_ms"]
    assert stale["mean"] == pytest.approx(100, rel=0.05)
    assert stale["max"] <= 200
    assert result["datastores"]["lake"]["writes"] == result["requests"]["succeeded"]
    assert result["datastores"]["lake"]["reads"] == 21 * 5
    # Records every reader has seen are forgotten.
    assert len(sim.stores["lake"].times) < 100


def test_a_write_holds_the_writers_worker():
    sc = scenario(
        [service("w", work_ms=1), {"id": "lake", "kind": "datastore", "write_ms": 4}],
        [link("wr", "w", "lake", "write")],
        [constant("w", 10)],
    )
    result, log = run(sc)
    assert result["requests"]["latency_ms"]["max"] == 5.0
    assert result["services"]["w"]["utilization"] == pytest.approx(
        100 * 0.005 / (10 * 15), rel=1e-5
    )
    assert kinds(log, "write")[0]["t"] == pytest.approx(0.005)


def test_each_poll_reports_the_records_it_saw():
    sc = scenario(
        [service("w", work_ms=0), {"id": "lake", "kind": "datastore", "write_ms": 0}, service("r")],
        [link("wr", "w", "lake", "write"), link("poll", "lake", "r", "poll", interval_ms=1000)],
        [constant("w", 3)],
        duration_s=3,
        drain_s=0,
    )
    result, log = run(sc)
    polls = [(round(e["t"], 6), e["records"]) for e in kinds(log, "poll")]
    # read_ms is 1: each poll ends 1 ms after it starts.
    assert polls == [(1.001, 3), (2.001, 3)]
    assert result["datastores"]["lake"]["staleness_ms"]["max"] == pytest.approx(1001.0)


def test_no_poll_happens_while_the_reader_is_down():
    sc = scenario(
        [service("w", work_ms=0), {"id": "lake", "kind": "datastore"}, service("r")],
        [link("wr", "w", "lake", "write"), link("poll", "lake", "r", "poll", interval_ms=1000)],
        [constant("w", 1)],
        faults=[{"target": "r", "mode": "crash", "from_s": 2.5, "to_s": 6.5}],
    )
    result, log = run(sc)
    assert [round(e["t"]) for e in kinds(log, "poll")] == [1, 2, 7, 8, 9, 10, 11, 12, 13, 14]
    # The first poll after the restart sees the 5 records written meanwhile.
    assert kinds(log, "poll")[2]["records"] == 5
    # written at 2.001 (just after the poll at 2 began), seen by the poll that ends at 7.001
    assert result["datastores"]["lake"]["staleness_ms"]["max"] == pytest.approx(5000.0)


def test_the_state_says_how_far_behind_each_reader_is():
    sc = scenario(
        [service("w", work_ms=0), {"id": "lake", "kind": "datastore", "write_ms": 0}, service("r")],
        [link("wr", "w", "lake", "write"), link("poll", "lake", "r", "poll", interval_ms=1000)],
        [constant("w", 1)],
        faults=[{"target": "r", "mode": "crash", "from_s": 2.5, "to_s": 6.5}],
    )
    sim = patterns.Simulation(sc)
    behind = {}
    for t in (0.5, 1.5, 2.0005, 5.5, 7.5):
        sim.advance(t)
        behind[t] = sim.state()["datastores"]["lake"]["behind"]["r"]
    # Writes land at 0, 1, 2, ...; a poll that starts at t sees what was written before t,
    # and ends 1 ms later: at 1.001, 2.001, then 7.001 (r is down from 2.5 to 6.5).
    assert behind[0.5] == pytest.approx(0.5)  # the record of 0 is unseen
    assert behind[1.5] == pytest.approx(0.5)  # the poll at 1 saw it; the one of 1 is unseen
    assert behind[2.0005] == pytest.approx(1.0005)  # mid-poll: not seen until it ends
    assert behind[5.5] == pytest.approx(3.5)  # the reader is down: the record of 2 waits
    assert behind[7.5] == pytest.approx(0.5)  # caught up with all but the record of 7
