"""Replays are faithful: the same scenario and seed give the same run, frame events included.

Two live runs on a real Celery worker; frames cut at different wall moments, so the events
are compared as one list in order (frame boundaries may fall elsewhere).
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from django.test import Client

from tests.web.conftest import post_json, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def all_frames(client: Client, run_id: str) -> list[dict]:
    frames: list[dict] = []
    since = 0
    while True:
        page = client.get(f"/api/runs/{run_id}/frames?since={since}").json()
        frames += page["frames"]
        if page["done"]:
            return frames
        assert page["next"] > since, "the frames endpoint made no progress"
        since = page["next"]


def test_two_runs_with_one_seed_are_identical_but_for_engine_figures(
    start_worker, user_client, scenario
):
    start_worker()
    runs = []
    for _ in range(2):
        body = {"scenario_id": str(scenario.id), "seed": 42, "speed": 10, "mode": "live"}
        response = post_json(user_client, "/api/runs", body)
        assert response.status_code == 201, response.content
        runs.append(response.json()["id"])

    def finished() -> bool:
        states = [user_client.get(f"/api/runs/{run_id}").json()["state"] for run_id in runs]
        assert "failed" not in states and "cancelled" not in states, states
        return all(state == "succeeded" for state in states)

    wait_for(finished, timeout=180, what="both runs to finish")
    results = [user_client.get(f"/api/runs/{run_id}/result").json() for run_id in runs]
    for result in results:
        assert result.pop("engine")["events"] > 0
    assert json.dumps(results[0], sort_keys=True) == json.dumps(results[1], sort_keys=True)

    frames = [all_frames(user_client, run_id) for run_id in runs]
    for run_frames in frames:
        assert [f["seq"] for f in run_frames] == list(range(1, len(run_frames) + 1))
        # Unsampled frames carry every event, so the lists below are complete.
        assert not any(f["sampled"] for f in run_frames)
    events = [[e for f in run_frames for e in f["events"]] for run_frames in frames]
    assert len(events[0]) > 100
    assert events[0] == events[1]
    counts = [sum((Counter(f["counts"]) for f in run_frames), Counter()) for run_frames in frames]
    assert counts[0] == counts[1]
    # Frames end on the same final state.
    assert frames[0][-1]["state"] == frames[1][-1]["state"]
