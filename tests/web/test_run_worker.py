"""End to end with real Celery worker processes, Redis and the websocket."""

from __future__ import annotations

import asyncio
import json
import os
import signal

import pytest
from django.test import Client

import patterns
from mscomm.asgi import application
from mscomm.runs.models import Run, RunState
from mscomm.runs.services import run_reap
from tests.web.conftest import ORIGIN, FrameCommunicator, cookie_header, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def start_run(client: Client, scenario, **body) -> dict:
    response = client.post(
        "/api/runs",
        json.dumps({"scenario_id": str(scenario.id), **body}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def end_s(scenario) -> float:
    model = patterns.load(scenario.doc)
    return float(model.duration_s + model.drain_s)


async def collect(
    run_id: str, *, since: int = 0, headers=(), stop_after: int | None = None, send: list[dict] = ()
) -> tuple[list[dict], str | None]:
    """Frames received from `since` until the run ends (or `stop_after` frames)."""
    communicator = FrameCommunicator(
        application, f"/ws/runs/{run_id}/?since={since}", headers=[ORIGIN, *headers]
    )
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    frames: list[dict] = []
    final = None
    sent = False
    while True:
        message = await communicator.receive_json_from(timeout=60)
        if message["type"] == "frame":
            frames.append(message["frame"])
            if send and not sent:
                for item in send:
                    await communicator.send_json_to(item)
                sent = True
            if stop_after is not None and len(frames) >= stop_after:
                break
        elif message["type"] == "run" and message["run"]["state"] not in ("queued", "running"):
            final = message["run"]["state"]
            break
        else:
            assert message["type"] == "run", message
    await communicator.disconnect()
    return frames, final


def test_a_live_run_streams_every_frame_in_order(start_worker, user_client, scenario):
    start_worker()
    run = start_run(user_client, scenario, speed=100, mode="live")
    frames, final = asyncio.run(collect(run["id"], headers=[cookie_header(user_client)]))
    assert final == "succeeded"
    seqs = [f["seq"] for f in frames]
    assert seqs == list(range(1, len(seqs) + 1))
    stored = Run.objects.get(id=run["id"])
    assert stored.frame_count == len(frames)
    assert stored.result["format"] == "mscomm.result/1"
    for f in frames:
        assert sum(f["counts"].values()) >= len(f["events"])
        assert len(f["events"]) <= 500
    assert frames[-1]["t"] == pytest.approx(end_s(scenario))
    # The stored log and the HTTP endpoint give the same frames.
    page = user_client.get(f"/api/runs/{run['id']}/frames?since=0").json()
    assert [f["seq"] for f in page["frames"]] == seqs[:500]


def test_a_dropped_websocket_resumes_from_since_with_no_gap(start_worker, user_client, scenario):
    start_worker()
    # About four seconds of wall time, so the viewer can leave and come back mid-run.
    run = start_run(user_client, scenario, speed=end_s(scenario) / 4, mode="live")
    service = next(n["id"] for n in scenario.doc["nodes"] if n["kind"] == "service")
    fault = {"target": service, "mode": "timing", "probability": 0.5, "extra_ms": 50}
    first, final = asyncio.run(
        collect(
            run["id"],
            headers=[cookie_header(user_client)],
            stop_after=10,
            send=[{"action": "inject", "fault": fault}],
        )
    )
    assert final is None
    assert Run.objects.get(id=run["id"]).state == RunState.RUNNING
    rest, final = asyncio.run(
        collect(run["id"], since=first[-1]["seq"], headers=[cookie_header(user_client)])
    )
    assert final == "succeeded"
    seqs = [f["seq"] for f in first + rest]
    assert seqs == list(range(1, len(seqs) + 1))
    stored = Run.objects.get(id=run["id"])
    assert stored.frame_count == len(seqs)
    assert [f["target"] for f in stored.faults_injected] == [service]


def test_a_killed_worker_leaves_a_failed_run(start_worker, user_client, scenario):
    worker = start_worker()
    run = start_run(user_client, scenario, speed=0.01, mode="live")
    wait_for(
        lambda: Run.objects.get(id=run["id"]).state == RunState.RUNNING,
        timeout=60,
        what="the worker to claim the run",
    )
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()

    def reaped() -> bool:
        run_reap(timeout_s=2)
        return Run.objects.get(id=run["id"]).state == RunState.FAILED

    wait_for(reaped, timeout=60, what="the reaper to fail the run")
    failed = Run.objects.get(id=run["id"])
    assert "heartbeat" in failed.error and failed.finished_at is not None
    # Viewers see the end too: the stream ends with the failed state.
    frames, final = asyncio.run(collect(run["id"], headers=[cookie_header(user_client)]))
    assert final == "failed"
    assert [f["seq"] for f in frames] == list(range(1, len(frames) + 1))


def test_a_sweep_runs_every_variant_on_the_workers(start_worker, user_client, scenario):
    start_worker()
    response = user_client.post(
        "/api/runs/batch",
        json.dumps({"scenario_id": str(scenario.id), "param": "seed", "values": [1, 2, 3]}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    url = f"/api/runs/batch/{response.json()['id']}"
    batch = wait_for(
        lambda: (body := user_client.get(url).json())["done"] and body,
        timeout=120,
        what="the batch to finish",
    )
    assert [v["variant"]["value"] for v in batch["variants"]] == [1, 2, 3]
    assert all(v["run"]["state"] == "succeeded" for v in batch["variants"])
    assert all(v["result"]["format"] == "mscomm.result/1" for v in batch["variants"])
