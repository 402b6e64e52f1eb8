"""The worker's loop against the real core: pause, resume, speed, inject, stop, cancel."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connections

from mscomm.accounts.services import workspace_for_user
from mscomm.runs import stream
from mscomm.runs.executor import run_execute
from mscomm.runs.models import Run, RunState
from mscomm.runs.services import run_cancel, run_start
from tests.web.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def running(user, scenario, speed: float) -> tuple[Run, threading.Thread]:
    run = run_start(
        scenario=scenario,
        seed=None,
        speed=speed,
        mode="live",
        workspace=workspace_for_user(user=user),
    )

    # The worker's job, in a thread of this process (the Celery tests cover the task).
    def work() -> None:
        try:
            run_execute(run_id=run.id)
        finally:
            connections.close_all()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    wait_for(lambda: Run.objects.get(id=run.id).state == RunState.RUNNING, what="the run to start")
    return run, thread


def sim_time(run: Run) -> float:
    return Run.objects.get(id=run.id).sim_time_s


def test_pause_freezes_simulated_time_and_resume_and_stop_end_it(user, scenario):
    run, thread = running(user, scenario, speed=2)
    service = next(n["id"] for n in scenario.doc["nodes"] if n["kind"] == "service")
    stream.control_push(
        run.id,
        {
            "action": "inject",
            "fault": {"target": service, "mode": "timing", "probability": 1, "extra_ms": 5},
        },
    )
    stream.control_push(run.id, {"action": "pause"})
    time.sleep(1.5)  # past a heartbeat: the pause has been applied
    frozen = sim_time(run)
    time.sleep(2.2)  # two more heartbeats
    assert sim_time(run) == frozen
    stream.control_push(run.id, {"action": "speed", "speed": 20})
    stream.control_push(run.id, {"action": "resume"})
    wait_for(lambda: sim_time(run) > frozen + 5, what="time to move again")
    assert Run.objects.get(id=run.id).speed == 20
    # Its viewers were told: a run message with the new speed, between two frames.
    entries = stream.redis_client().xrange(stream.frames_key(run.id))
    told = [stream.entry_decode(fields) for _entry_id, fields in entries]
    kinds = [kind for kind, _payload in told]
    at = next(
        i for i, (kind, run_now) in enumerate(told) if kind == stream.RUN and run_now["speed"] == 20
    )
    assert told[at][1]["state"] == RunState.RUNNING
    assert stream.FRAME in kinds[:at] and stream.FRAME in kinds[at:]
    stream.control_push(run.id, {"action": "stop"})
    thread.join(timeout=60)
    finished = Run.objects.get(id=run.id)
    assert finished.state == RunState.SUCCEEDED
    assert finished.result["stop"]["reason"] == "stopped"
    assert [f["target"] for f in finished.faults_injected] == [service]
    assert finished.frame_count > 0


def test_a_bad_injected_fault_is_ignored_and_the_run_goes_on(user, scenario):
    run, thread = running(user, scenario, speed=20)
    stream.control_push(
        run.id, {"action": "inject", "fault": {"target": "nowhere", "mode": "crash"}}
    )
    stream.control_push(run.id, {"action": "stop"})
    thread.join(timeout=60)
    finished = Run.objects.get(id=run.id)
    assert finished.state == RunState.SUCCEEDED and finished.faults_injected == []


def test_cancelling_a_running_run_ends_it_cancelled(user, scenario):
    run, thread = running(user, scenario, speed=1)
    run_cancel(run=Run.objects.get(id=run.id))
    thread.join(timeout=60)
    finished = Run.objects.get(id=run.id)
    assert finished.state == RunState.CANCELLED and "cancelled" in finished.error


def test_the_event_limit_fails_the_run_but_keeps_its_result(user, scenario, settings):
    settings.MSCOMM_MAX_EVENTS = 1000
    run, thread = running(user, scenario, speed=100)
    thread.join(timeout=120)
    finished = Run.objects.get(id=run.id)
    assert finished.state == RunState.FAILED
    assert "limit of 1000 engine events" in finished.error
    assert finished.result["stop"]["reason"] == "event_limit"


def test_a_run_paused_past_the_limit_ends_with_the_reason(user, scenario, settings):
    settings.MSCOMM_MAX_PAUSE_S = 2
    run, thread = running(user, scenario, speed=1)
    stream.control_push(run.id, {"action": "pause"})
    thread.join(timeout=30)
    assert not thread.is_alive(), "the paused run still holds its worker thread"
    finished = Run.objects.get(id=run.id)
    assert finished.state == RunState.FAILED
    assert "paused for longer than the limit of 2 s" in finished.error
    assert finished.result["stop"]["reason"] == "stopped"


def test_a_run_past_the_wall_time_limit_ends_with_the_reason(user, scenario, settings):
    run, thread = running(user, scenario, speed=1)
    # The limit is checked at the start and on speed changes; pausing and resuming over
    # and over must not stretch a run past it either.
    settings.MSCOMM_MAX_LIVE_WALL_S = 2
    thread.join(timeout=30)
    assert not thread.is_alive()
    finished = Run.objects.get(id=run.id)
    assert finished.state == RunState.FAILED
    assert "longer than the limit of 2 s of wall time" in finished.error
