"""Every endpoint refuses callers who may not use it: other users, visitors, no CSRF token.

The operations are read from the OpenAPI schema, so an endpoint added later is covered
(a test fails when one appears that this file does not know how to call).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.test import Client

import patterns.library
from mscomm.accounts.models import Workspace
from mscomm.api.api import api
from mscomm.asgi import application
from mscomm.runs import stream
from mscomm.runs.models import Batch, Run, RunState
from mscomm.scenarios.models import Scenario
from mscomm.sharing.models import ShareLink
from mscomm.sharing.services import share_create
from tests.web.conftest import ORIGIN, FrameCommunicator, cookie_header, lab_doc

UNSAFE = {"post", "put", "patch", "delete"}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"


def operations() -> list[Operation]:
    schema = api.get_openapi_schema()
    return [
        Operation(method, path)
        for path, methods in schema["paths"].items()
        for method in methods
        if method in {"get", *UNSAFE}
    ]


@dataclass
class Owned:
    """The first user's things, which everybody else must not reach."""

    scenario: Scenario
    run: Run
    batch: Batch
    share: ShareLink
    token: str

    def url(self, op: Operation) -> str:
        slug = patterns.library.list_labs()[0]
        slug = slug["slug"] if isinstance(slug, dict) else slug.slug
        values = {
            "scenario_id": self.scenario.id,
            "run_id": self.run.id,
            "run_a": self.run.id,
            "run_b": self.run.id,
            "batch_id": self.batch.id,
            "share_id": self.share.id,
            "token": self.token,
            "corr": "r1",
            "what": "result.json",
            "slug": slug,
        }
        return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), op.path)

    def ids(self) -> list[str]:
        return [str(x.id) for x in (self.scenario, self.run, self.batch, self.share)]

    def body(self, op: Operation) -> object | None:
        """A body that the owner could send (so only who sends it is wrong)."""
        scenario_id = str(self.scenario.id)
        bodies = {
            "/api/scenarios": {"doc": lab_doc()},
            "/api/scenarios/validate": {"doc": lab_doc()},
            "/api/scenarios/import": lab_doc(),
            "/api/scenarios/{scenario_id}": {"doc": lab_doc(name="Taken over"), "version": 1},
            "/api/runs": {"scenario_id": scenario_id, "speed": 1, "mode": "live"},
            "/api/runs/batch": {"scenario_id": scenario_id, "param": "seed", "values": [1, 2]},
            "/api/shares": {"run_id": str(self.run.id)},
            "/api/shares/{share_id}": {"expires_at": None},
            "/api/shares/t/{token}/run": {"seed": None, "speed": 0.05},
            "/api/variants": {
                "run_id": str(self.run.id),
                "change": {"kind": "toggle", "target": "order", "setting": "health_checks"},
            },
        }
        if op.method == "delete" or op.path.endswith(("/copy", "/cancel", "/fork")):
            return None
        if op.path not in bodies:
            pytest.fail(f"{op}: a new write endpoint; add a valid body for it here")
        return bodies[op.path]


def touches_owned(op: Operation) -> bool:
    """Whether the operation names the owner's things (in its path or its body)."""
    if re.search(r"\{(scenario_id|run_id|batch_id|share_id|run_a|run_b)\}", op.path):
        return True
    return op.method == "post" and op.path in OWNED_IN_BODY


# Creating these names the owner's scenario or run in the body.
OWNED_IN_BODY = {"/api/runs", "/api/runs/batch", "/api/shares", "/api/variants"}


@pytest.fixture
def owned(user, scenario) -> Owned:
    workspace = Workspace.objects.get(user=user)

    def make_run(**fields) -> Run:
        return Run.objects.create(
            workspace=workspace,
            scenario=scenario,
            scenario_name=scenario.name,
            doc=scenario.doc,
            **fields,
        )

    run = make_run(seed=1, state=RunState.RUNNING)
    batch = Batch.objects.create(workspace=workspace, scenario=scenario, param="seed")
    make_run(
        seed=2,
        state=RunState.SUCCEEDED,
        result={"format": "mscomm.result/1"},
        batch=batch,
        variant={"param": "seed", "value": 2},
    )
    share, token = share_create(workspace=workspace, run_id=run.id)
    return Owned(scenario=scenario, run=run, batch=batch, share=share, token=token)


def snapshot(owned: Owned) -> tuple:
    """Everything a refused request must leave as it was."""
    owned.scenario.refresh_from_db()
    owned.run.refresh_from_db()
    workspace = owned.scenario.workspace
    return (
        Scenario.objects.filter(workspace=workspace).count(),
        Run.objects.filter(workspace=workspace).count(),
        Batch.objects.filter(workspace=workspace).count(),
        list(ShareLink.objects.values_list("id", "expires_at").order_by("id")),
        owned.scenario.version,
        json.dumps(owned.scenario.doc, sort_keys=True),
        owned.run.state,
        stream.redis_client().llen(stream.control_key(owned.run.id)),
    )


def send(client: Client, op: Operation, owned: Owned, **extra):
    body = owned.body(op) if op.method in UNSAFE else None
    data = json.dumps(body) if body is not None else None
    return getattr(client, op.method)(
        owned.url(op), data=data, content_type="application/json", **extra
    )


def csrf_headers(client: Client) -> dict:
    client.get("/api/library")  # any read hands out the token
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


def callers(other_user) -> Iterator[tuple[str, Client]]:
    other = Client(enforce_csrf_checks=True)
    other.force_login(other_user)
    yield "another user", other
    visitor = Client(enforce_csrf_checks=True)
    # A visitor with a workspace of their own (they copied a lab).
    visitor.post("/api/library/x/copy", **csrf_headers(visitor))
    yield "a visitor", visitor
    yield "a stranger", Client(enforce_csrf_checks=True)


@pytest.mark.django_db
def test_the_schema_lists_the_endpoints_this_file_knows():
    ops = operations()
    assert len(ops) >= 20
    assert sum(op.method in UNSAFE for op in ops) >= 9


@pytest.mark.django_db
def test_nobody_but_the_owner_reaches_their_things(owned, other_user, record_figure):
    before = snapshot(owned)
    refused = total = 0
    wrong: list[str] = []
    for who, client in callers(other_user):
        headers = csrf_headers(client)
        for op in operations():
            if not touches_owned(op):
                if op.method == "get" and "{" not in op.path:
                    # Lists show the caller's own things only, whatever they ask for.
                    for query in (
                        "",
                        f"?scenario_id={owned.scenario.id}",
                        f"?run_id={owned.run.id}",
                    ):
                        url = owned.url(op) + query
                        text = client.get(url).content.decode()
                        if any(ident in text for ident in owned.ids()):
                            wrong.append(f"{who} GET {url}: lists the owner's things")
                continue
            total += 1
            response = send(client, op, owned, **headers)
            if response.status_code == 404 and "detail" in response.json():
                refused += 1
            else:
                wrong.append(f"{who} {op}: {response.status_code} {response.content[:120]!r}")
    record_figure("requests for another's things refused (404)", f"{refused}/{total}")
    assert not wrong, wrong
    assert snapshot(owned) == before


@pytest.mark.django_db
def test_every_unsafe_request_without_the_csrf_token_is_403(owned, user, other_user, record_figure):
    before = snapshot(owned)
    owner = Client(enforce_csrf_checks=True)
    owner.force_login(user)
    refused = total = 0
    wrong: list[str] = []
    for who, client in [("the owner", owner), *callers(other_user)]:
        client.get("/api/library")  # holds the cookie, but sends no header
        for op in operations():
            if op.method not in UNSAFE:
                continue
            total += 1
            response = send(client, op, owned)
            if response.status_code == 403 and "CSRF" in response.json()["detail"]:
                refused += 1
            else:
                wrong.append(f"{who} {op}: {response.status_code}")
            # A forged token is no better than none.
            total += 1
            response = send(client, op, owned, HTTP_X_CSRFTOKEN="x" * 64)
            refused += response.status_code == 403
            if response.status_code != 403:
                wrong.append(f"{who} {op} with a forged token: {response.status_code}")
    record_figure("unsafe requests without a valid CSRF token refused (403)", f"{refused}/{total}")
    assert not wrong, wrong
    assert snapshot(owned) == before


ACTIONS = [
    {"action": "pause"},
    {"action": "resume"},
    {"action": "speed", "speed": 0.5},
    {"action": "inject", "fault": {"target": "x", "mode": "crash"}},
    {"action": "stop"},
    {"action": "cancel"},
]


REFUSED = {"type": "error", "detail": "only the run's owner may control it"}


async def _control_as(path: str, headers: list, messages: list[dict]) -> list[dict]:
    """The reply to each message; a socket refused at the door refuses every one."""
    communicator = FrameCommunicator(application, path, headers=[ORIGIN, *headers])
    connected, _ = await communicator.connect(timeout=10)
    if not connected:
        assert path.startswith("/ws/runs/")  # a share link lets anyone watch
        return [REFUSED for _ in messages]
    first = await communicator.receive_json_from(timeout=5)
    assert first["type"] == "run"
    replies = []
    for message in messages:
        await communicator.send_json_to(message)
        while True:
            reply = await communicator.receive_json_from(timeout=5)
            if reply["type"] == "error":
                replies.append(reply)
                break
    await communicator.disconnect()
    return replies


@pytest.mark.django_db(transaction=True)
def test_control_messages_from_anyone_but_the_owner_are_refused(
    owned, user, other_user, record_figure
):
    stream.control_pop_all(owned.run.id)
    other = Client()
    other.force_login(other_user)
    visitor = Client()
    visitor.get("/api/library")
    owner = Client()
    owner.force_login(user)
    others = [[], [cookie_header(visitor)], [cookie_header(other)]]
    attempts = [(f"/ws/runs/{owned.run.id}/", headers) for headers in others]
    # Nobody but the owner opens the run's socket; through the share link nobody
    # controls the run, not even its owner.
    attempts += [
        (f"/ws/shares/{owned.token}/", headers) for headers in [*others, [cookie_header(owner)]]
    ]
    refused = total = 0
    for path, headers in attempts:
        replies = asyncio.run(_control_as(path, headers, ACTIONS))
        total += len(ACTIONS)
        refused += sum(r["detail"] == "only the run's owner may control it" for r in replies)
    record_figure("websocket control messages from non-owners refused", f"{refused}/{total}")
    assert refused == total
    assert stream.control_pop_all(owned.run.id) == []


FOREIGN_ORIGINS = [
    b"https://evil.example",
    b"http://testserver.evil.example",
    b"http://evil.example/testserver",
    b"null",
    b"file://",
    b"http://127.0.0.2",
    b"http://testserver:abc",
    b"",
    b"http://localhost@evil.example",
    b"javascript:alert(1)",
]


@pytest.mark.django_db(transaction=True)
def test_websockets_from_a_foreign_origin_are_all_refused(owned, user, record_figure):
    owner = Client()
    owner.force_login(user)

    async def attempt(origin: bytes | None) -> bool:
        headers = [cookie_header(owner)]
        if origin is not None:
            headers.append((b"origin", origin))
        communicator = FrameCommunicator(application, f"/ws/runs/{owned.run.id}/", headers=headers)
        connected, _ = await communicator.connect(timeout=10)
        await communicator.disconnect()
        return connected

    async def all_attempts() -> list[bool]:
        origins: list[bytes | None] = [None, *FOREIGN_ORIGINS]
        return [await attempt(origins[i % len(origins)]) for i in range(100)]

    accepted = sum(asyncio.run(all_attempts()))
    record_figure("websockets with a foreign Origin accepted", f"{accepted}/100")
    assert accepted == 0
    # The same owner from the right origin is let in (the refusals were about the origin).
    assert asyncio.run(attempt(ORIGIN[1])) is True


MALFORMED_CONTROLS: list[str] = [
    "not json",
    "[" * 100_000 + "]" * 100_000,
    json.dumps([{"action": "pause"}]),
    json.dumps({"action": "PAUSE"}),
    json.dumps({"action": None}),
    json.dumps({"action": "speed"}),
    json.dumps({"action": "speed", "speed": "fast"}),
    json.dumps({"action": "speed", "speed": True}),
    json.dumps({"action": "speed", "speed": 1e309}),
    '{"action": "speed", "speed": NaN}',
    json.dumps({"action": "speed", "speed": 0}),
    json.dumps({"action": "inject"}),
    json.dumps({"action": "inject", "fault": "crash"}),
    json.dumps({"action": "inject", "fault": {"x": "y" * 20_000}}),
    json.dumps({"action": "stop", "extra": "<script>alert(1)</script>"}) + "x",
]


@pytest.mark.django_db(transaction=True)
def test_malformed_control_messages_from_the_owner_are_refused(owned, user, record_figure):
    stream.control_pop_all(owned.run.id)
    owner = Client()
    owner.force_login(user)

    async def talk() -> tuple[list[dict], dict | None]:
        communicator = FrameCommunicator(
            application, f"/ws/runs/{owned.run.id}/", headers=[ORIGIN, cookie_header(owner)]
        )
        connected, _ = await communicator.connect(timeout=10)
        assert connected
        await communicator.receive_json_from(timeout=5)
        replies = []
        for text in MALFORMED_CONTROLS:
            await communicator.send_to(text_data=text)
            replies.append(await communicator.receive_json_from(timeout=5))
        # The connection lived through all of it: a good message still goes through.
        await communicator.send_json_to({"action": "pause"})
        quiet = await communicator.receive_nothing(timeout=0.5)
        await communicator.disconnect()
        return replies, quiet

    replies, quiet = asyncio.run(talk())
    refused = sum(reply["type"] == "error" for reply in replies)
    record_figure("malformed control messages refused", f"{refused}/{len(MALFORMED_CONTROLS)}")
    assert refused == len(MALFORMED_CONTROLS), replies
    assert quiet
    assert stream.control_pop_all(owned.run.id) == [{"action": "pause"}]


@pytest.mark.django_db
def test_a_share_link_holder_changes_nothing_of_the_owners(owned, other_user, record_figure):
    before = snapshot(owned)
    token_ops = [op for op in operations() if op.path.startswith("/api/shares/t/")]
    assert any(op.method in UNSAFE for op in token_ops)
    calls = 0
    for _who, client in callers(other_user):
        headers = csrf_headers(client)
        for op in token_ops:
            response = send(client, op, owned, **headers)
            assert response.status_code < 500, (op, response.content)
            calls += 1
    # Runs and forks made through the link land in the holders' own workspaces.
    assert snapshot(owned) == before
    record_figure("share-link calls by holders that changed the owner's things", f"0/{calls}")
