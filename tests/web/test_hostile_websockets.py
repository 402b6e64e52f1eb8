"""Every way into a run over a websocket is authorized like the API.

Two sessions (the owner and another user), a visitor and a client with no cookie try
every websocket path and control message against a real Redis.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.utils import timezone

from mscomm.asgi import application
from mscomm.runs import stream
from mscomm.runs.models import Run, RunState
from mscomm.runs.services import run_finish
from mscomm.sharing.models import ShareLink
from mscomm.sharing.selectors import token_hash
from mscomm.sharing.services import share_create
from mscomm.sharing.watch import ShareWatch
from tests.web.conftest import ORIGIN, FrameCommunicator, cookie_header, post_json

pytestmark = pytest.mark.django_db(transaction=True)

PRIVATE = {"id", "scenario_id", "batch_id", "variant"}


def frame(seq: int) -> dict:
    return {"seq": seq, "t": seq * 0.05, "events": [], "counts": {}, "sampled": False, "state": {}}


def running_run(client: Client, scenario) -> Run:
    """A live run in the RUNNING state with two frames (the test plays the worker)."""
    response = post_json(client, "/api/runs", {"scenario_id": str(scenario.id), "speed": 1})
    assert response.status_code == 201, response.content
    run = Run.objects.get(id=response.json()["id"])
    Run.objects.filter(id=run.id).update(state=RunState.RUNNING, started_at=timezone.now())
    for seq in (1, 2):
        stream.frame_publish(run.id, frame(seq))
    stream.control_pop_all(run.id)
    return Run.objects.get(id=run.id)


def visitor_client() -> Client:
    visitor = Client()
    post_json(visitor, "/api/library/x/copy", None)  # a visitor with a workspace of their own
    visitor.get("/api/library")
    return visitor


async def open_socket(path: str, *headers) -> tuple[FrameCommunicator, bool, int | None]:
    communicator = FrameCommunicator(application, path, headers=list(headers))
    connected, code = await communicator.connect(timeout=10)
    return communicator, connected, code


async def close_code(communicator: FrameCommunicator, timeout: float) -> int | None:
    """Read until the server closes the socket; its close code (None: still open)."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = await communicator.receive_output(timeout=left)
        except TimeoutError:
            return None
        if message["type"] == "websocket.close":
            return message.get("code", 1000)
    return None


# -- reading --------------------------------------------------------------------------


def test_only_the_owner_reads_a_runs_websocket_as_the_api_decides(
    user_client, other_client, scenario
):
    run = running_run(user_client, scenario)
    visitor = visitor_client()
    strangers = {
        "another user": [ORIGIN, cookie_header(other_client)],
        "a visitor": [ORIGIN, cookie_header(visitor)],
        "no cookie": [ORIGIN],
    }
    for who, client in (("another user", other_client), ("a visitor", visitor)):
        assert client.get(f"/api/runs/{run.id}/frames").status_code == 404, who
    assert Client().get(f"/api/runs/{run.id}/frames").status_code == 404

    async def attempt(headers) -> tuple[bool, int | None, list[dict]]:
        communicator, connected, code = await open_socket(f"/ws/runs/{run.id}/", *headers)
        received = []
        if connected:
            received = [await communicator.receive_json_from(timeout=5) for _ in range(3)]
        await communicator.disconnect()
        return connected, code, received

    for who, headers in strangers.items():
        connected, code, received = asyncio.run(attempt(headers))
        assert not connected and received == [], f"{who} read the run: {received}"
        assert code == 4404, who
    connected, _code, received = asyncio.run(attempt([ORIGIN, cookie_header(user_client)]))
    assert connected
    assert [m["type"] for m in received] == ["run", "frame", "frame"]
    assert received[0]["run"]["id"] == str(run.id)


def test_share_sockets_carry_no_owner_ids(user_client, scenario, client):
    run = running_run(user_client, scenario)
    _share, token = share_create(workspace=run.workspace, run_id=run.id)
    api_run = client.get(f"/api/shares/t/{token}").json()["run"]

    async def watch() -> list[str]:
        communicator, connected, _ = await open_socket(f"/ws/shares/{token}/", ORIGIN)
        assert connected
        # The run, then its frames so far (in one message: a catch-up).
        texts = [await communicator.receive_from(timeout=5) for _ in range(2)]
        await database_sync_to_async(run_finish)(run_id=run.id, state=RunState.SUCCEEDED)
        while True:
            text = await communicator.receive_from(timeout=10)
            texts.append(text)
            message = json.loads(text)
            if message["type"] == "run" and message["run"]["state"] == "succeeded":
                break
        await communicator.disconnect()
        return texts

    texts = asyncio.run(watch())
    runs = [json.loads(t)["run"] for t in texts if json.loads(t)["type"] == "run"]
    assert len(runs) >= 2
    for shown in runs:
        assert not PRIVATE & shown.keys(), shown
        assert shown.keys() == api_run.keys()
    assert runs[0] == api_run
    assert not any(str(run.id) in t for t in texts)
    if run.scenario_id:
        assert not any(str(run.scenario_id) in t for t in texts)


def test_revoking_a_link_closes_its_open_sockets_within_a_second(user_client, scenario):
    run = running_run(user_client, scenario)
    share, token = share_create(workspace=run.workspace, run_id=run.id)

    async def watch_and_revoke() -> tuple[list[int | None], float]:
        sockets = []
        for _ in range(3):
            communicator, connected, _ = await open_socket(f"/ws/shares/{token}/", ORIGIN)
            assert connected
            for _ in range(3):
                await communicator.receive_json_from(timeout=5)
            sockets.append(communicator)
        response = await database_sync_to_async(user_client.delete)(f"/api/shares/{share.id}")
        assert response.status_code == 204
        revoked = time.monotonic()
        codes = await asyncio.gather(*(close_code(s, timeout=3) for s in sockets))
        took = time.monotonic() - revoked
        for communicator in sockets:
            await communicator.disconnect()
        return list(codes), took

    codes, took = asyncio.run(watch_and_revoke())
    assert codes == [4410, 4410, 4410]
    assert took < 1.5


def test_a_revoked_links_sockets_are_closed_together_not_one_after_another(user_client, scenario):
    """Each close waits for its socket's reader to stop, a turn of a loop busy with the
    other viewers: one after another, a class of 500 took seconds to close."""
    run = running_run(user_client, scenario)
    share, token = share_create(workspace=run.workspace, run_id=run.id)

    async def revoke() -> tuple[list[int], list[int]]:
        watch = ShareWatch()
        release = asyncio.Event()
        started: list[int] = []
        ended: list[int] = []

        async def on_gone(code: int) -> None:
            started.append(code)
            await release.wait()  # this socket's reader takes its time to stop
            ended.append(code)

        # Three sockets: three distinct callables, as their bound methods are.
        callbacks = [functools.partial(on_gone) for _ in range(3)]
        for callback in callbacks:
            watch.add(token_hash(token), callback)
        response = await database_sync_to_async(user_client.delete)(f"/api/shares/{share.id}")
        assert response.status_code == 204
        deadline = time.monotonic() + 3
        while len(started) < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        at_once = list(started)
        release.set()
        await asyncio.wait_for(watch.task, 5)
        return at_once, ended

    at_once, ended = asyncio.run(revoke())
    assert at_once == [4410, 4410, 4410]
    assert ended == [4410, 4410, 4410]


def test_an_expiring_link_closes_its_open_sockets(user_client, scenario):
    run = running_run(user_client, scenario)
    share, token = share_create(workspace=run.workspace, run_id=run.id)

    async def watch() -> tuple[bool, int | None]:
        communicator, connected, _ = await open_socket(f"/ws/shares/{token}/", ORIGIN)
        assert connected
        for _ in range(3):
            await communicator.receive_json_from(timeout=5)
        expires = timezone.now() + timedelta(seconds=1.5)
        # The owner shortens a link that had no expiry: open sockets follow the change.
        await database_sync_to_async(ShareLink.objects.filter(id=share.id).update)(
            expires_at=expires
        )
        early = await communicator.receive_nothing(timeout=0.8)
        code = await close_code(communicator, timeout=2.5)
        await communicator.disconnect()
        return early, code

    early, code = asyncio.run(watch())
    assert early  # still open (and quiet) before it expires
    assert code == 4411


# -- origins --------------------------------------------------------------------------


FOREIGN_SITE_ORIGINS = [
    b"http://127.0.0.1:1234",
    b"http://localhost:3000",
    b"https://testserver",
    b"http://testserver:8080",
    b"ws://testserver",
]


def test_foreign_ports_and_schemes_are_refused(user_client, scenario):
    run = running_run(user_client, scenario)
    _share, token = share_create(workspace=run.workspace, run_id=run.id)
    owner = cookie_header(user_client)

    async def attempt(path: str, origin: bytes, host: bytes) -> bool:
        headers = [owner, (b"origin", origin), (b"host", host)]
        communicator, connected, _ = await open_socket(path, *headers)
        if connected:
            await communicator.receive_json_from(timeout=5)
            await communicator.send_json_to({"action": "pause"})
            await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()
        return connected

    for path in (f"/ws/runs/{run.id}/", f"/ws/shares/{token}/"):
        for origin in FOREIGN_SITE_ORIGINS:
            assert not asyncio.run(attempt(path, origin, b"testserver")), (path, origin)
        # The site's own origin, from the Host it was reached at, is let in.
        assert asyncio.run(attempt(path, b"http://127.0.0.1:8000", b"127.0.0.1:8000")), path
    assert stream.control_pop_all(run.id) == [{"action": "pause"}]


# -- controls -------------------------------------------------------------------------


async def control_replies(path: str, headers: list, messages: list[dict]) -> list[dict | None]:
    """Send each message; the reply to each (None when the server said nothing)."""
    communicator, connected, _ = await open_socket(path, *headers)
    assert connected
    await communicator.receive_json_from(timeout=5)  # the run's state
    replies: list[dict | None] = []
    for message in messages:
        await communicator.send_json_to(message)
        reply = None
        while not await communicator.receive_nothing(timeout=0.3):
            got = await communicator.receive_json_from(timeout=5)
            if got["type"] == "error":
                reply = got
                break
        replies.append(reply)
    await communicator.disconnect()
    return replies


def test_a_speed_change_is_held_to_the_live_run_wall_time_limit(user_client, scenario):
    run = running_run(user_client, scenario)
    headers = [ORIGIN, cookie_header(user_client)]
    replies = asyncio.run(
        control_replies(
            f"/ws/runs/{run.id}/",
            headers,
            [
                {"action": "speed", "speed": 0.001},
                {"action": "pause"},
                {"action": "speed", "speed": 2},
            ],
        )
    )
    assert replies[0] is not None and "speed" in replies[0]["detail"]
    assert " h" in replies[0]["detail"] and "the most is 6 h" in replies[0]["detail"]
    assert replies[1] is None and replies[2] is None
    assert stream.control_pop_all(run.id) == [
        {"action": "pause"},
        {"action": "speed", "speed": 2},
    ]


def test_controls_for_a_finished_run_are_refused(user_client, scenario):
    run = running_run(user_client, scenario)
    run_finish(run_id=run.id, state=RunState.SUCCEEDED)
    headers = [ORIGIN, cookie_header(user_client)]
    replies = asyncio.run(
        control_replies(f"/ws/runs/{run.id}/", headers, [{"action": "pause"}, {"action": "stop"}])
    )
    assert all(r is not None and "succeeded" in r["detail"] for r in replies), replies
    assert not stream.redis_client().exists(stream.control_key(run.id))


def test_a_flood_of_controls_is_capped_and_rate_limited(user_client, scenario, settings):
    run = running_run(user_client, scenario)
    fault = {"target": "order", "mode": "timing", "extra_ms": 5, "note": "x" * 9000}
    headers = [ORIGIN, cookie_header(user_client)]

    async def flood(count: int) -> list[dict]:
        communicator, connected, _ = await open_socket(f"/ws/runs/{run.id}/", *headers)
        assert connected
        await communicator.receive_json_from(timeout=5)
        for _ in range(count):
            await communicator.send_json_to({"action": "inject", "fault": fault})
        replies = []
        # Each message is answered only when refused: read until the socket is quiet
        # for long enough (a loaded machine can pause for a while).
        while not await communicator.receive_nothing(timeout=2):
            reply = await communicator.receive_json_from(timeout=5)
            if reply["type"] == "error":
                replies.append(reply["detail"])
        await communicator.disconnect()
        return replies

    async def crowd() -> list[list[str]]:
        return await asyncio.gather(*(flood(40) for _ in range(5)))

    # 200 messages of 10 kB in well under a second, from five sockets of the owner's.
    errors = asyncio.run(crowd())
    client = stream.redis_client()
    key = stream.control_key(run.id)
    queued = client.llen(key)
    assert queued == settings.MSCOMM_CONTROL_QUEUE_MAX
    assert sum(len(e) for e in errors) == 200 - queued
    every = [detail for per_socket in errors for detail in per_socket]
    assert any("a second on one connection" in d for d in every)  # the rate limit
    assert any("waiting for the run's worker" in d for d in every)  # the cap
    assert 0 < client.ttl(key) <= 3600
    assert client.memory_usage(key) < 400_000
