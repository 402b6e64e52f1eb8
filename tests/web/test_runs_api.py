"""The run endpoints without a worker: start, list, cancel, limits, ownership, frames."""

from __future__ import annotations

import pytest
from django.test import Client

from mscomm.runs import stream
from mscomm.runs.models import Run, RunState
from mscomm.runs.services import run_finish
from tests.web.conftest import lab_doc, post_json

pytestmark = pytest.mark.django_db


def start(client: Client, scenario, **overrides):
    body = {
        "scenario_id": str(scenario.id),
        "seed": None,
        "speed": 0.05,
        "mode": "live",
    }
    body.update(overrides)
    return post_json(client, "/api/runs", body)


def test_starting_a_run_snapshots_the_scenario(user_client, scenario):
    response = start(user_client, scenario, seed=7)
    assert response.status_code == 201, response.content
    run = response.json()
    assert run["state"] == "queued" and run["seed"] == 7 and run["mode"] == "live"
    assert run["scenario_id"] == str(scenario.id)
    scenario.doc = lab_doc(name="Edited later")
    scenario.save()
    snapshot = user_client.get(f"/api/runs/{run['id']}/scenario").json()
    assert snapshot == lab_doc()


def test_seed_defaults_to_the_scenarios_own(user_client, scenario):
    run = start(user_client, scenario).json()
    assert run["seed"] == scenario.doc.get("seed", 1)


@pytest.mark.parametrize(
    "overrides",
    [{"speed": 0}, {"speed": 1000}, {"seed": -1}],
)
def test_out_of_range_run_settings_are_422(user_client, scenario, overrides):
    response = start(user_client, scenario, **overrides)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] in {"speed", "seed"}


def test_a_bad_mode_is_a_400(user_client, scenario):
    assert start(user_client, scenario, mode="turbo").status_code == 400


def test_runs_are_listed_newest_first(user_client, scenario):
    first = start(user_client, scenario).json()
    second = start(user_client, scenario).json()
    listed = [run["id"] for run in user_client.get("/api/runs").json()]
    assert listed == [second["id"], first["id"]]


def test_concurrent_runs_over_the_limit_are_429(user_client, scenario, settings):
    settings.MSCOMM_MAX_CONCURRENT_RUNS = 2
    assert start(user_client, scenario).status_code == 201
    assert start(user_client, scenario).status_code == 201
    refused = start(user_client, scenario)
    assert refused.status_code == 429
    assert "at most 2" in refused.json()["detail"]


def test_cancelling_a_queued_run_ends_it(user_client, scenario):
    run = start(user_client, scenario).json()
    cancelled = user_client.post(f"/api/runs/{run['id']}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled"
    assert Run.objects.get(id=run["id"]).finished_at is not None


def test_cancelling_a_running_run_asks_its_worker(user_client, scenario):
    run_id = start(user_client, scenario).json()["id"]
    Run.objects.filter(id=run_id).update(state=RunState.RUNNING)
    assert user_client.post(f"/api/runs/{run_id}/cancel").status_code == 200
    assert stream.control_pop_all(run_id) == [{"action": "cancel"}]


def test_result_is_404_until_there_is_one(user_client, scenario):
    run_id = start(user_client, scenario).json()["id"]
    assert user_client.get(f"/api/runs/{run_id}/result").status_code == 404
    result = {"format": "mscomm.result/1", "faults_injected": [], "sim_time_s": 3.0}
    run_finish(run_id=run_id, state=RunState.SUCCEEDED, result=result)
    response = user_client.get(f"/api/runs/{run_id}/result")
    assert response.status_code == 200 and response.json() == result
    assert user_client.get(f"/api/runs/{run_id}").json()["progress"] == 1.0


def test_frames_come_from_redis_while_running_and_from_the_log_after(user_client, scenario):
    run_id = start(user_client, scenario).json()["id"]
    Run.objects.filter(id=run_id).update(state=RunState.RUNNING)
    for seq in range(1, 6):
        stream.frame_publish(run_id, {"seq": seq, "t": seq / 10, "events": [], "counts": {}})
    live = user_client.get(f"/api/runs/{run_id}/frames?since=2").json()
    assert [f["seq"] for f in live["frames"]] == [3, 4, 5]
    assert live["next"] == 5 and live["done"] is False
    run_finish(run_id=run_id, state=RunState.SUCCEEDED)
    stream.redis_client().delete(stream.frames_key(run_id))  # as if the stream had expired
    stored = user_client.get(f"/api/runs/{run_id}/frames?since=1").json()
    assert [f["seq"] for f in stored["frames"]] == [2, 3, 4, 5]
    assert stored["done"] is True
    empty = user_client.get(f"/api/runs/{run_id}/frames?since=5").json()
    assert empty == {"frames": [], "next": 5, "done": True}


def test_others_runs_are_not_found(user_client, other_client, scenario):
    run_id = start(user_client, scenario).json()["id"]
    for client in (other_client, Client()):
        for suffix in ("", "/result", "/frames", "/scenario"):
            assert client.get(f"/api/runs/{run_id}{suffix}").status_code == 404
        assert client.post(f"/api/runs/{run_id}/cancel").status_code == 404
        assert client.get("/api/runs").json() == []
        assert start(client, scenario).status_code == 404
    assert Run.objects.get(id=run_id).state == RunState.QUEUED


def test_a_batch_sweep_makes_one_run_per_value(user_client, scenario):
    response = post_json(
        user_client,
        "/api/runs/batch",
        {
            "scenario_id": str(scenario.id),
            "param": "description",
            "values": ["a", "b", "c"],
        },
    )
    assert response.status_code == 201, response.content
    batch = response.json()
    assert [v["variant"]["value"] for v in batch["variants"]] == ["a", "b", "c"]
    assert all(v["run"]["mode"] == "batch" for v in batch["variants"])
    runs = Run.objects.filter(batch_id=batch["id"]).order_by("created_at")
    assert [run.doc["description"] for run in runs] == ["a", "b", "c"]
    detail = user_client.get(f"/api/runs/batch/{batch['id']}")
    assert detail.status_code == 200 and detail.json()["done"] is False


@pytest.mark.parametrize(
    "body, loc",
    [
        ({"param": "nodes[999].workers", "values": [1]}, "param"),
        ({"param": "no such path!", "values": [1]}, "param"),
        ({"param": "description", "values": []}, "values"),
        ({}, "param"),
    ],
)
def test_a_bad_sweep_is_422(user_client, scenario, body, loc):
    response = post_json(user_client, "/api/runs/batch", {"scenario_id": str(scenario.id), **body})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc
    assert not Run.objects.exists()


def test_a_sweep_value_that_breaks_the_scenario_is_422_with_its_index(user_client, scenario):
    response = post_json(
        user_client,
        "/api/runs/batch",
        {
            "scenario_id": str(scenario.id),
            "param": "format",
            "values": ["mscomm.scenario/1", "x"],
        },
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"].startswith("values[1]")
    assert not Run.objects.exists()


def test_a_live_run_that_would_take_too_long_is_422(user_client, scenario, settings):
    settings.MSCOMM_MAX_LIVE_WALL_S = 60
    response = start(user_client, scenario, speed=0.01)
    assert response.status_code == 422
    assert "would take" in response.json()["detail"][0]["msg"]
    assert start(user_client, scenario, speed=0.01, mode="batch").status_code == 201


def test_the_reaper_fails_a_queued_run_no_worker_took(user_client, scenario, settings):
    from datetime import timedelta

    from django.utils import timezone

    from mscomm.runs.services import run_reap

    old = start(user_client, scenario).json()["id"]
    fresh = start(user_client, scenario).json()["id"]
    Run.objects.filter(id=old).update(created_at=timezone.now() - timedelta(hours=2))
    assert run_reap() == [old]
    assert Run.objects.get(id=old).state == RunState.FAILED
    assert "no worker" in Run.objects.get(id=old).error
    assert Run.objects.get(id=fresh).state == RunState.QUEUED
