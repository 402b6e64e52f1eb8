"""The run websocket against a real Redis: catch-up, live frames, Origin, control rights."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from mscomm.asgi import application
from mscomm.runs import stream
from mscomm.runs.models import Run, RunState
from mscomm.runs.services import run_finish
from tests.web.conftest import ORIGIN, FrameCommunicator, cookie_header

pytestmark = pytest.mark.django_db(transaction=True)


def make_run(user_client: Client, scenario, state: str = RunState.RUNNING) -> str:
    response = user_client.post(
        "/api/runs",
        json.dumps({"scenario_id": str(scenario.id), "speed": 1, "mode": "live"}),
        content_type="application/json",
    )
    run_id = response.json()["id"]
    # No worker in these tests: the test plays the worker's part on the stream.
    Run.objects.filter(id=run_id).update(state=state)
    return run_id


def frame(seq: int) -> dict:
    return {"seq": seq, "t": seq * 0.05, "events": [], "counts": {}, "sampled": False, "state": {}}


async def receive_until_finished(communicator: FrameCommunicator) -> list[dict]:
    messages = []
    while True:
        message = await communicator.receive_json_from(timeout=10)
        messages.append(message)
        if message["type"] == "run" and message["run"]["state"] not in ("queued", "running"):
            return messages


async def viewer(user_client: Client, run_id: str, since: int, kind=FrameCommunicator):
    """The owner's socket on the run, from `since`, connected."""
    communicator = kind(
        application,
        f"/ws/runs/{run_id}/?since={since}",
        headers=[ORIGIN, cookie_header(user_client)],
    )
    connected, _ = await communicator.connect()
    assert connected
    return communicator


def test_a_late_viewer_gets_every_frame_after_since_then_live_ones(user_client, scenario):
    run_id = make_run(user_client, scenario)
    for seq in range(1, 6):
        stream.frame_publish(run_id, frame(seq))

    async def scenario_() -> list[dict]:
        communicator = await viewer(user_client, run_id, 2)
        first = await communicator.receive_json_from(timeout=5)
        assert first["type"] == "run" and first["run"]["state"] == "running"
        caught_up = [await communicator.receive_json_from(timeout=5) for _ in range(3)]
        await asyncio.to_thread(stream.frame_publish, run_id, frame(6))
        live = await communicator.receive_json_from(timeout=5)
        await database_sync_to_async(run_finish)(run_id=run_id, state=RunState.SUCCEEDED)
        rest = await receive_until_finished(communicator)
        await communicator.disconnect()
        return [*caught_up, live, *rest]

    messages = asyncio.run(scenario_())
    seqs = [m["frame"]["seq"] for m in messages if m["type"] == "frame"]
    assert seqs == [3, 4, 5, 6]
    assert messages[-1]["run"]["state"] == "succeeded"


def test_frames_at_hand_at_once_go_as_one_message_and_live_ones_one_each(
    user_client, scenario, monkeypatch
):
    from mscomm.runs import hub as hub_module

    monkeypatch.setattr(hub_module, "BATCH", 4)  # a catch-up of 7 is then two messages
    run_id = make_run(user_client, scenario)
    for seq in range(1, 9):
        stream.frame_publish(run_id, frame(seq))

    async def scenario_() -> list[dict]:
        # The plain client: each message as the server sent it.
        communicator = await viewer(user_client, run_id, 1, WebsocketCommunicator)
        messages = [await communicator.receive_json_from(timeout=5) for _ in range(3)]
        await asyncio.to_thread(stream.frame_publish, run_id, frame(9))
        messages.append(await communicator.receive_json_from(timeout=5))
        await database_sync_to_async(run_finish)(run_id=run_id, state=RunState.SUCCEEDED)
        messages.append(await communicator.receive_json_from(timeout=5))
        await communicator.disconnect()
        return messages

    messages = asyncio.run(scenario_())
    assert [m["type"] for m in messages] == ["run", "frames", "frames", "frame", "run"]
    assert [f["seq"] for f in messages[1]["frames"]] == [2, 3, 4, 5]
    assert [f["seq"] for f in messages[2]["frames"]] == [6, 7, 8]
    assert messages[1]["frames"][0] == frame(2)  # as published
    assert messages[3]["frame"]["seq"] == 9
    assert messages[4]["run"]["state"] == "succeeded"


def test_a_finished_run_replays_its_stored_log(user_client, scenario):
    run_id = make_run(user_client, scenario)
    for seq in range(1, 4):
        stream.frame_publish(run_id, frame(seq))
    run_finish(run_id=run_id, state=RunState.SUCCEEDED)
    stream.redis_client().delete(stream.frames_key(run_id))  # the stream has expired

    async def replay() -> list[dict]:
        communicator = await viewer(user_client, run_id, 1)
        messages = [await communicator.receive_json_from(timeout=5) for _ in range(4)]
        assert await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()
        return messages

    messages = asyncio.run(replay())
    assert messages[0]["type"] == "run" and messages[0]["run"]["state"] == "succeeded"
    assert [m["frame"]["seq"] for m in messages[1:3]] == [2, 3]
    assert messages[3]["type"] == "run" and messages[3]["run"]["state"] == "succeeded"


def test_a_foreign_origin_is_refused(user_client, scenario):
    run_id = make_run(user_client, scenario)

    async def connect() -> bool:
        communicator = FrameCommunicator(
            application,
            f"/ws/runs/{run_id}/",
            headers=[(b"origin", b"https://evil.example"), cookie_header(user_client)],
        )
        connected, _ = await communicator.connect()
        await communicator.disconnect()
        return connected

    assert asyncio.run(connect()) is False


def test_an_unknown_run_is_refused(db):
    async def connect() -> bool:
        communicator = FrameCommunicator(
            application, "/ws/runs/00000000-0000-0000-0000-000000000000/", headers=[ORIGIN]
        )
        connected, _ = await communicator.connect()
        await communicator.disconnect()
        return connected

    assert asyncio.run(connect()) is False


def test_only_the_owner_may_control_the_run(user_client, other_client, scenario):
    run_id = make_run(user_client, scenario)
    stream.control_pop_all(run_id)

    async def send_as(client: Client, message: dict) -> dict | None:
        communicator = FrameCommunicator(
            application, f"/ws/runs/{run_id}/", headers=[ORIGIN, cookie_header(client)]
        )
        connected, _ = await communicator.connect()
        if not connected:
            return {"refused": True}
        await communicator.receive_json_from(timeout=5)  # the run's state
        await communicator.send_json_to(message)
        reply = None
        if not await communicator.receive_nothing(timeout=0.5):
            reply = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return reply

    # Nobody else even gets the socket (as the API answers them 404).
    assert asyncio.run(send_as(other_client, {"action": "pause"})) == {"refused": True}
    assert asyncio.run(send_as(Client(), {"action": "stop"})) == {"refused": True}
    assert stream.control_pop_all(run_id) == []

    assert asyncio.run(send_as(user_client, {"action": "speed", "speed": 0.5})) is None
    bad = asyncio.run(send_as(user_client, {"action": "speed", "speed": -3}))
    assert bad["type"] == "error" and "speed" in bad["detail"]
    assert stream.control_pop_all(run_id) == [{"action": "speed", "speed": 0.5}]


def test_a_visitor_owns_the_runs_of_their_session(client, scenario):
    from mscomm.accounts.models import Workspace
    from mscomm.accounts.services import SESSION_KEY
    from mscomm.scenarios.models import Scenario

    client.post(
        "/api/scenarios", json.dumps({"doc": scenario.doc}), content_type="application/json"
    )
    own = Scenario.objects.get(workspace_id=client.session[SESSION_KEY])
    run_id = make_run(client, own)
    assert Workspace.objects.get(id=client.session[SESSION_KEY]).user is None

    async def control() -> dict | None:
        communicator = FrameCommunicator(
            application, f"/ws/runs/{run_id}/", headers=[ORIGIN, cookie_header(client)]
        )
        await communicator.connect()
        await communicator.receive_json_from(timeout=5)
        await communicator.send_json_to({"action": "pause"})
        quiet = await communicator.receive_nothing(timeout=0.5)
        await communicator.disconnect()
        return quiet

    assert asyncio.run(control()) is True
    assert stream.control_pop_all(run_id) == [{"action": "pause"}]


def test_a_viewer_learns_of_an_end_whose_stream_is_gone(user_client, scenario):
    run_id = make_run(user_client, scenario)
    for seq in (1, 2):
        stream.frame_publish(run_id, frame(seq))

    async def watch() -> list[dict]:
        communicator = FrameCommunicator(
            application, f"/ws/runs/{run_id}/", headers=[ORIGIN, cookie_header(user_client)]
        )
        connected, _ = await communicator.connect()
        assert connected
        messages = [await communicator.receive_json_from(timeout=5) for _ in range(3)]
        # The run ends with its log stored, but its stream is gone before any viewer
        # saw the final state (it expired, or Redis lost it): the quiet feed finds out.
        log = stream.frame_log_pack([*stream.frames_all_raw(run_id), json.dumps(frame(3))])
        await database_sync_to_async(Run.objects.filter(id=run_id).update)(
            state=RunState.SUCCEEDED, frame_log=log, frame_count=3
        )
        await asyncio.to_thread(stream.redis_client().delete, stream.frames_key(run_id))
        messages += await receive_until_finished(communicator)
        await communicator.disconnect()
        return messages

    messages = asyncio.run(watch())
    assert [m["frame"]["seq"] for m in messages if m["type"] == "frame"] == [1, 2, 3]
    assert messages[-1]["type"] == "run" and messages[-1]["run"]["state"] == "succeeded"
