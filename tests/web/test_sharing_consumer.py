"""A shared run's websocket against a real Redis: watching by token, never controlling."""

from __future__ import annotations

import asyncio

import pytest
from django.test import Client

from mscomm.asgi import application
from mscomm.runs import stream
from mscomm.runs.models import Run, RunState
from mscomm.sharing.services import share_create
from tests.web.conftest import ORIGIN, FrameCommunicator, cookie_header, post_json

pytestmark = pytest.mark.django_db(transaction=True)


def running_run(client: Client, scenario) -> Run:
    response = post_json(client, "/api/runs", {"scenario_id": str(scenario.id), "speed": 1})
    run = Run.objects.get(id=response.json()["id"])
    # No worker here: the test plays the worker's part on the stream.
    Run.objects.filter(id=run.id).update(state=RunState.RUNNING)
    for seq in (1, 2):
        stream.frame_publish(
            run.id,
            {
                "seq": seq,
                "t": seq * 0.05,
                "events": [],
                "counts": {},
                "sampled": False,
                "state": {},
            },
        )
    return run


async def connect(path: str, *headers) -> tuple[FrameCommunicator, bool]:
    communicator = FrameCommunicator(application, path, headers=[ORIGIN, *headers])
    connected, _ = await communicator.connect(timeout=10)
    return communicator, connected


def test_a_holder_watches_a_shared_run_and_every_control_is_refused(
    user_client, other_client, scenario
):
    run = running_run(user_client, scenario)
    stream.control_pop_all(run.id)
    _share, token = share_create(workspace=run.workspace, run_id=run.id)

    async def watch_and_try(client: Client | None) -> list[dict]:
        headers = [cookie_header(client)] if client is not None else []
        communicator, connected = await connect(f"/ws/shares/{token}/", *headers)
        assert connected
        messages = [await communicator.receive_json_from(timeout=5) for _ in range(3)]
        replies = []
        for action in (
            {"action": "pause"},
            {"action": "stop"},
            {"action": "speed", "speed": 2},
            {"action": "inject", "fault": {"target": "order", "mode": "crash"}},
        ):
            await communicator.send_json_to(action)
            replies.append(await communicator.receive_json_from(timeout=5))
        await communicator.disconnect()
        return messages + replies

    # Another user, an anonymous visitor, and the owner too: a link only ever watches.
    for client in (other_client, None, user_client):
        messages = asyncio.run(watch_and_try(client))
        assert messages[0]["type"] == "run" and messages[0]["run"]["state"] == "running"
        assert [m["frame"]["seq"] for m in messages[1:3]] == [1, 2]
        assert all(m["type"] == "error" for m in messages[3:]), messages[3:]
    assert stream.control_pop_all(run.id) == []
    assert Run.objects.get(id=run.id).state == RunState.RUNNING


def test_revoked_unknown_and_scenario_links_get_no_websocket(user_client, scenario):
    run = running_run(user_client, scenario)
    share, token = share_create(workspace=run.workspace, run_id=run.id)
    _scenario_share, scenario_token = share_create(workspace=run.workspace, scenario_id=scenario.id)

    async def connects(token: str) -> bool:
        communicator, connected = await connect(f"/ws/shares/{token}/")
        await communicator.disconnect()
        return connected

    assert asyncio.run(connects(token)) is True
    share.delete()
    assert asyncio.run(connects(token)) is False
    assert asyncio.run(connects("B" * 43)) is False
    assert asyncio.run(connects(scenario_token)) is False


def test_a_foreign_origin_cannot_open_a_shared_run(user_client, scenario):
    run = running_run(user_client, scenario)
    _share, token = share_create(workspace=run.workspace, run_id=run.id)

    async def connect_foreign() -> bool:
        communicator = FrameCommunicator(
            application, f"/ws/shares/{token}/", headers=[(b"origin", b"https://evil.example")]
        )
        connected, _ = await communicator.connect(timeout=10)
        await communicator.disconnect()
        return connected

    assert asyncio.run(connect_foreign()) is False
