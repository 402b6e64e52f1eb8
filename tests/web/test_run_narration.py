"""Incidents in live frames, and a lab's `watch` moment: a real worker, Redis, websocket."""

from __future__ import annotations

import asyncio

import pytest

from mscomm.accounts.services import workspace_for_user
from mscomm.runs.frames import FrameBuilder
from mscomm.runs.models import Run
from mscomm.scenarios.models import Scenario
from tests.narration_scenarios import CRASH_S, crash_doc
from tests.web.test_run_worker import collect, start_run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def crash_scenario(user):
    def make(watch: dict | None) -> Scenario:
        doc = crash_doc(watch)
        return Scenario.objects.create(
            workspace=workspace_for_user(user=user), name=doc["name"], doc=doc
        )

    return make


def test_the_builder_hands_each_incident_to_one_frame():
    builder = FrameBuilder()
    found = [{"t": 0.2, "kind": "crash"}]
    first = builder.build(t=0.25, state={}, incidents=found)
    second = builder.build(t=0.5, state={}, incidents=found)
    found.append({"t": 0.6, "kind": "restart"})
    third = builder.build(t=0.75, state={}, incidents=found)
    assert [f["incidents"] for f in (first, second, third)] == [
        [{"t": 0.2, "kind": "crash"}],
        [],
        [{"t": 0.6, "kind": "restart"}],
    ]


def test_frames_carry_the_incidents_whose_time_falls_in_them(
    start_worker, user_client, crash_scenario
):
    start_worker()
    # No speed asked for: the scenario's watch speed, after skipping to its moment.
    sc = crash_scenario({"from_s": CRASH_S - 1, "speed": 4})
    run = start_run(user_client, sc, mode="live")
    assert run["speed"] == 4
    frames, final = asyncio.run(collect(run["id"]))
    assert final == "succeeded"
    told = [inc for frame in frames for inc in frame["incidents"]]
    result = Run.objects.get(id=run["id"]).result
    assert told == result["incidents"] != []
    previous = -1.0
    for frame in frames:
        for inc in frame["incidents"]:
            assert previous < inc["t"] <= frame["t"] + 1e-9
        previous = frame["t"]
    crash = next(inc for inc in told if inc["kind"] == "crash")
    assert (crash["t"], crash["text"]) == (CRASH_S, "Customer crashed (1 of 1 instances down).")
    # The skip ahead: one frame per simulated second up to the watch moment, no pacing.
    assert [f["t"] for f in frames if f["t"] <= CRASH_S - 1] == [0.0, 1.0, 2.0, 3.0, 4.0]
    # The stored frames (replays) carry the same incidents.
    page = user_client.get(f"/api/runs/{run['id']}/frames?since=0").json()
    assert [inc for f in page["frames"] for inc in f["incidents"]] == told


def test_a_speed_asked_for_plays_from_the_start(start_worker, user_client, crash_scenario):
    start_worker()
    sc = crash_scenario({"from_s": CRASH_S - 1, "speed": 4})
    run = start_run(user_client, sc, mode="live", speed=2)
    frames, final = asyncio.run(collect(run["id"]))
    assert final == "succeeded"
    # Paced from 0 s: a frame every 50 ms of wall time, far more than one per second.
    assert len([f for f in frames if f["t"] <= CRASH_S - 1]) > 10


def test_without_watch_a_run_starts_at_the_old_default_speed(user_client, crash_scenario):
    run = start_run(user_client, crash_scenario(None), mode="live")
    assert run["speed"] == 0.05
