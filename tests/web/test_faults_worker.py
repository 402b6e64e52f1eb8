"""A Celery worker SIGKILLed in the middle of live runs, and runs that explode.

Real processes throughout: Redis, `celery worker`, `celery beat` (the reaper) and the
test process as the API. The killed worker's runs end `failed` within 60 s (none stays
`running`), and nothing already stored is lost.
"""

from __future__ import annotations

import json
import time

import pytest

from mscomm.runs.models import Run, RunState
from mscomm.runs.services import run_reap
from mscomm.scenarios.models import Scenario
from tests.web.conftest import wait_for
from tests.web.processes import (  # noqa: F401 (fixtures)
    Processes,
    assert_run_unchanged,
    chain_doc,
    create_scenario,
    own_redis,
    processes,
    run_finished,
    start_run,
    states,
)

# The eager reaper of the exploding-run test. A healthy worker's beats (1 s apart, from a
# thread of its own) can be held up by a full garbage collection of the engine's heap,
# which keeps the GIL: 1.5 s at 1,000,000 events with a load average of 5 on two cores,
# longer under more load. At 3 s this reaper failed healthy runs; at 10 s it still fails
# a run whose beats stop, and the test counts the beats that came during the run.
HEARTBEAT_TIMEOUT_S = 10

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.timeout(600)]


def test_a_sigkilled_worker_leaves_no_run_running(
    own_redis,  # noqa: F811
    processes: Processes,  # noqa: F811
    user_client,
    slow,
    record_figure,
):
    count = 20 if slow else 3
    scenario_id = create_scenario(user_client, chain_doc())
    # A finished run first: its result and frames must come through the crash untouched.
    survivor = processes.worker("survivor", queues="batch", concurrency=2)
    processes.beat()
    kept = run_finished(user_client, scenario_id)
    scenarios_before = list(Scenario.objects.values_list("id", "version", "doc"))

    victim = processes.worker("victim", queues="live", concurrency=count + 2)
    run_ids = [start_run(user_client, scenario_id, speed=0.5) for _ in range(count)]
    wait_for(
        lambda: states(run_ids).get(RunState.RUNNING) == count,
        timeout=120,
        what=f"{count} runs to be running",
    )
    time.sleep(1.0)  # a few frames each
    processes.kill(victim)
    killed_at = time.monotonic()

    wait_for(
        lambda: not states(run_ids).get(RunState.RUNNING) and not states(run_ids).get("queued"),
        timeout=90,
        what="every run of the killed worker to end",
    )
    ended_after = time.monotonic() - killed_at
    final = states(run_ids)
    record_figure(
        f"SIGKILLed worker: runs ended ({count} live)",
        f"{final} in {ended_after:.1f} s",
    )
    assert ended_after < 60, ended_after
    assert set(final) <= {RunState.FAILED, RunState.SUCCEEDED}
    for run in Run.objects.filter(id__in=run_ids, state=RunState.FAILED):
        assert "heartbeat" in run.error
        # The frames streamed before the crash are kept for replay, numbered from 1.
        page = user_client.get(f"/api/runs/{run.id}/frames?since=0").json()
        seqs = [f["seq"] for f in page["frames"]]
        assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) == run.frame_count

    # Nothing stored before the crash was lost or changed.
    assert list(Scenario.objects.values_list("id", "version", "doc")) == scenarios_before
    assert_run_unchanged(kept)
    # And the system goes on: a new worker runs a new run to the end.
    processes.worker("replacement", queues="live", concurrency=2)
    fresh = start_run(user_client, scenario_id, speed=100)
    wait_for(
        lambda: Run.objects.get(id=fresh).state == RunState.SUCCEEDED,
        timeout=120,
        what="a run on the replacement worker",
    )
    assert survivor.poll() is None


def explosive_docs() -> dict[str, dict]:
    """Scenarios whose event count grows without bound (within the format's limits)."""
    ring = chain_doc(
        "Sync ring",
        nodes=[
            {"id": f"s{i}", "kind": "service", "workers": 10_000, "label": f"S{i}"}
            for i in range(4)
        ],
        links=[
            {"id": f"l{i}", "from": f"s{i}", "to": f"s{(i + 1) % 4}", "style": "sync"}
            for i in range(4)
        ]
        + [{"id": "back", "from": "s1", "to": "s0", "style": "sync"}],
        workload=[{"entry": "s0", "arrival": {"process": "constant", "rate_per_s": 5000}}],
        duration_s=3600,
    )
    fan = chain_doc(
        "Fan-out storm",
        nodes=[
            {"id": "hub", "kind": "service", "workers": 10_000},
            {"id": "news", "kind": "topic", "max_deliveries": None},
            *[{"id": f"sub{i}", "kind": "service", "workers": 10_000} for i in range(50)],
        ],
        links=[
            {"id": "out", "from": "hub", "to": "news", "style": "publish"},
            *[
                {"id": f"in{i}", "from": "news", "to": f"sub{i}", "style": "subscribe"}
                for i in range(50)
            ],
        ],
        workload=[{"entry": "hub", "arrival": {"process": "constant", "rate_per_s": 10_000}}],
        duration_s=3600,
    )
    return {"sync ring": ring, "fan-out": fan}


def test_an_exploding_run_stops_at_the_event_limit_and_the_worker_goes_on(
    own_redis,  # noqa: F811
    processes: Processes,  # noqa: F811
    user_client,
    slow,
    record_figure,
):
    # Full size: several seconds of engine work even compiled (about a million events a
    # second), so that heartbeats are seen going on during one long step.
    limit = 4_000_000 if slow else 200_000
    processes.env["MSCOMM_MAX_EVENTS"] = str(limit)
    processes.worker("w", concurrency=2)
    for name, doc in explosive_docs().items():
        scenario_id = create_scenario(user_client, doc)
        for mode in ("batch", "live"):
            started = time.monotonic()
            run_id = start_run(user_client, scenario_id, speed=100, mode=mode)

            beats: set = set()

            def stopped(run_id=run_id, beats=beats) -> bool:
                # An eager reaper: a worker busy in one long step must still report.
                run_reap(timeout_s=HEARTBEAT_TIMEOUT_S)
                run = Run.objects.get(id=run_id)
                if run.state == RunState.RUNNING:
                    beats.add(run.heartbeat_at)
                return run.finished

            wait_for(stopped, timeout=240, what=f"the {name} run ({mode}) to stop")
            run = Run.objects.get(id=run_id)
            took = time.monotonic() - started
            record_figure(
                f"exploding {name} ({mode}): stopped after / heartbeats seen",
                f"{took:.1f} s / {len(beats) - 1}",
            )
            assert run.state == RunState.FAILED, (run.state, run.error)
            if slow:
                # Seconds of engine work (the fan-out in one step): the beats went on.
                assert len(beats) - 1 >= 2, len(beats) - 1
            assert f"limit of {limit} engine events" in run.error
            result = user_client.get(f"/api/runs/{run_id}/result").json()
            assert result["stop"]["reason"] == "event_limit"
            assert result["engine"]["events"] >= limit
    # The same worker then runs an ordinary run to the end.
    ordinary = create_scenario(user_client, chain_doc())
    run_id = start_run(user_client, ordinary, speed=100)
    wait_for(
        lambda: Run.objects.get(id=run_id).state == RunState.SUCCEEDED,
        timeout=120,
        what="an ordinary run after the explosions",
    )
    assert json.loads(json.dumps(Run.objects.get(id=run_id).result))["stop"] is None
