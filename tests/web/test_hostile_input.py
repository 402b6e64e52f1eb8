"""Hostile bodies: over the size limit (however framed), too deep, too many nodes, wrong
types everywhere. Every one is answered 4xx with a JSON `detail`, none 5xx, and nothing
is stored."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import pytest
from channels.testing import ApplicationCommunicator
from django.conf import settings
from django.test import Client

from mscomm.accounts.models import Workspace
from mscomm.asgi import application
from mscomm.runs.models import Batch, Run
from mscomm.scenarios.models import Scenario
from tests.json_paths import json_at, json_paths, json_replaced
from tests.web.conftest import lab_doc, post_json

pytestmark = pytest.mark.django_db

HOSTILE_VALUES: list[Any] = [
    None,
    True,
    -1,
    0,
    10**30,
    1e308,
    "x",
    "",
    "a" * 5000,
    [],
    [1, 2],
    {},
    {"$ref": "#"},
    "<script>alert(1)</script>",
]


def rows() -> tuple[int, int, int, int]:
    return (
        Scenario.objects.count(),
        Run.objects.count(),
        Batch.objects.count(),
        Workspace.objects.count(),
    )


class Tally:
    """Counts answers by class; collects what was not a clean refusal."""

    def __init__(self) -> None:
        self.total = 0
        self.refused = 0
        self.server_errors = 0
        self.wrong: list[str] = []

    def check(self, label: str, response, *, expect: set[int] | None = None) -> None:
        self.total += 1
        status = response.status_code
        if status >= 500:
            self.server_errors += 1
        ok = 400 <= status < 500 and (expect is None or status in expect)
        if ok:
            try:
                ok = "detail" in json.loads(response.content)
            except ValueError:
                ok = False
        if ok:
            self.refused += 1
        else:
            self.wrong.append(f"{label}: {status} {response.content[:160]!r}")


def write_endpoints(scenario) -> list[tuple[str, str]]:
    return [
        ("post", "/api/scenarios"),
        ("post", "/api/scenarios/validate"),
        ("post", "/api/scenarios/import"),
        ("put", f"/api/scenarios/{scenario.id}"),
        ("post", "/api/runs"),
        ("post", "/api/runs/batch"),
        ("post", "/api/library/x/copy"),
        ("post", f"/api/runs/{scenario.id}/cancel"),
    ]


def send_raw(client: Client, method: str, url: str, data: bytes | str, **extra):
    return getattr(client, method)(url, data=data, content_type="application/json", **extra)


def test_bodies_over_the_limit_are_413_and_store_nothing(user_client, scenario, record_figure):
    before = rows()
    tally = Tally()
    limit = settings.MSCOMM_MAX_BODY_BYTES
    big_doc = lab_doc(description="d" * 10, layout={f"n{i}": {"x": i, "y": i} for i in range(10)})
    big_doc["padding"] = "p" * (limit + 10)
    body = json.dumps({"doc": big_doc, "version": 1, "scenario_id": str(scenario.id)})
    for method, url in write_endpoints(scenario):
        tally.check(f"{method} {url}", send_raw(user_client, method, url, body), expect={413})
    record_figure("bodies over the limit answered 413", f"{tally.refused}/{tally.total}")
    assert not tally.wrong, tally.wrong
    assert rows() == before


def deep(depth: int, kind: str) -> str:
    return ("[" * depth + "]" * depth) if kind == "list" else ('{"a":' * depth + "1" + "}" * depth)


def test_deeply_nested_json_is_refused_without_a_server_error(user_client, scenario, record_figure):
    before = rows()
    tally = Tally()
    for depth in (200, 5_000, 100_000):
        for kind in ("list", "dict"):
            nested = deep(depth, kind)
            for method, url in write_endpoints(scenario):
                for body in (nested, f'{{"doc": {nested}}}', f'{{"doc": {{"nodes": {nested}}}}}'):
                    if len(body) > settings.MSCOMM_MAX_BODY_BYTES:
                        continue
                    label = f"{method} {url} depth {depth} {kind}"
                    tally.check(label, send_raw(user_client, method, url, body))
    record_figure("deeply nested bodies refused 4xx (0 5xx)", f"{tally.refused}/{tally.total}")
    assert tally.server_errors == 0, tally.wrong
    assert not tally.wrong, tally.wrong
    assert rows() == before


def test_topologies_over_the_caps_are_422_and_not_stored(user_client, record_figure):
    before = rows()
    tally = Tally()
    too_many_nodes = lab_doc(
        nodes=[
            {"id": f"s{i}", "kind": "service", "label": f"S{i}"}
            for i in range(settings.MSCOMM_MAX_NODES + 1)
        ],
        links=[],
        workload=[],
        faults=[],
        layout={},
    )
    too_many_links = lab_doc(
        nodes=[{"id": "a", "kind": "service"}, {"id": "b", "kind": "service"}],
        links=[
            {"id": f"l{i}", "from": "a", "to": "b", "style": "sync"}
            for i in range(settings.MSCOMM_MAX_LINKS + 1)
        ],
        workload=[],
        faults=[],
        layout={},
    )
    base = lab_doc()
    too_much_workload = dict(base, workload=[dict(base["workload"][0])] * 5_000)
    too_many_faults = dict(
        base,
        faults=[{"target": base["nodes"][0]["id"], "mode": "timing", "extra_ms": 1}] * 5_000,
    )
    too_many_calls = copy.deepcopy(base)
    too_many_calls["nodes"][0]["operations"] = (
        [{"id": "op", "calls": [base["links"][0]["id"]] * 1_000}]
        if base["links"]
        else [{"id": "op", "calls": ["x"] * 1_000}]
    )
    for name, doc in [
        ("nodes", too_many_nodes),
        ("links", too_many_links),
        ("workload", too_much_workload),
        ("faults", too_many_faults),
        ("calls", too_many_calls),
    ]:
        for url, body in [
            ("/api/scenarios", {"doc": doc}),
            ("/api/scenarios/validate", {"doc": doc}),
            ("/api/scenarios/import", doc),
        ]:
            tally.check(f"{name} {url}", post_json(user_client, url, body), expect={422})
    record_figure("topologies over a cap answered 422", f"{tally.refused}/{tally.total}")
    assert not tally.wrong, tally.wrong
    assert rows() == before


def test_wrong_types_everywhere_are_4xx_and_store_nothing(
    user_client, scenario, slow, record_figure
):
    """Each field of each body (scenario documents down to their leaves) replaced by
    values of every other type: refused, or (where the value happens to be valid) taken."""
    tally = Tally()
    doc = lab_doc()
    bodies = {
        ("post", "/api/scenarios"): {"doc": doc},
        ("post", "/api/scenarios/import"): doc,
        ("put", f"/api/scenarios/{scenario.id}"): {"doc": doc, "version": 1},
        ("post", "/api/runs"): {"scenario_id": str(scenario.id), "speed": 1, "mode": "live"},
        ("post", "/api/runs/batch"): {
            "scenario_id": str(scenario.id),
            "param": "seed",
            "values": [1],
        },
    }
    values = HOSTILE_VALUES if slow else HOSTILE_VALUES[::2]
    accepted = 0
    for (method, url), body in bodies.items():
        for path in json_paths(body, items=2):
            for value in values:
                mutated = json_replaced(body, path, value)
                before = rows()
                response = send_raw(user_client, method, url, json.dumps(mutated))
                label = f"{method} {url} {'.'.join(map(str, path))}={value!r:.30}"
                if response.status_code < 400:
                    accepted += 1
                    # A change that happens to be valid: nothing more to check, but undo
                    # the effect so later counts stay exact.
                    Run.objects.all().delete()
                    Batch.objects.all().delete()
                    Scenario.objects.exclude(id=scenario.id).delete()
                    scenario.refresh_from_db()
                    if scenario.version != 1:
                        Scenario.objects.filter(id=scenario.id).update(version=1, doc=doc)
                    continue
                tally.check(label, response)
                if rows() != before:
                    tally.wrong.append(f"{label}: stored something")
    record_figure(
        "wrong-type bodies refused 4xx (0 5xx)",
        f"{tally.refused}/{tally.total} ({accepted} valid by chance)",
    )
    assert tally.server_errors == 0, tally.wrong[:20]
    assert not tally.wrong, tally.wrong[:20]


def test_malformed_bodies_and_headers_are_400(user_client, scenario, record_figure):
    before = rows()
    tally = Tally()
    for method, url in write_endpoints(scenario):
        for body in [b"", b"{", b"\xff\xfe", b"null", b"[]", b'"doc"', b"1e999999", b"NaN"]:
            if url.endswith("/copy") or url.endswith("/cancel"):
                continue  # no body is read
            response = send_raw(user_client, method, url, body)
            tally.check(f"{method} {url} {body!r}", response)
    record_figure("malformed bodies refused 4xx", f"{tally.refused}/{tally.total}")
    assert not tally.wrong, tally.wrong
    assert rows() == before


def test_a_nul_character_anywhere_is_422_naming_where_and_stores_nothing(
    user_client, scenario, record_figure
):
    """PostgreSQL can store no NUL character (U+0000): every string and key of every body,
    and every query value, that holds one is refused as 422 with its place named, never a
    500 from the database."""
    tally = Tally()
    doc = lab_doc()
    bodies = {
        ("post", "/api/scenarios"): {"doc": doc},
        ("post", "/api/scenarios/validate"): doc,
        ("post", "/api/scenarios/import"): doc,
        ("put", f"/api/scenarios/{scenario.id}"): {"doc": doc, "version": 1},
    }
    before = rows()
    for (method, url), body in bodies.items():
        strings = [
            path for path in json_paths(body, items=2) if isinstance(json_at(body, path), str)
        ]
        assert strings, url
        for path in strings:
            mutated = json_replaced(body, path, json_at(body, path) + "\x00")
            response = send_raw(user_client, method, url, json.dumps(mutated))
            label = f"{method} {url} {'.'.join(map(str, path))}"
            tally.check(label, response, expect={422})
            where = "body" + "".join(
                f"[{part}]" if isinstance(part, int) else f".{part}" for part in path
            )
            if where not in str(json.loads(response.content).get("detail")):
                tally.wrong.append(f"{label}: {response.content[:160]!r} names no {where}")
        keyed = {**body, "a\x00b": 1}
        tally.check(f"{method} {url} key", send_raw(user_client, method, url, json.dumps(keyed)))
    for url in ("/api/scenarios?name=a%00b", "/api/runs?state=%00"):
        response = user_client.get(url)
        tally.check(url, response, expect={422})
        # The value's place: `query.name[0]`, `query.state[0]`.
        assert "query." in response.json()["detail"], response.content
        assert "[0]: text may not" in response.json()["detail"], response.content
    record_figure("NUL characters refused 422 (0 5xx)", f"{tally.refused}/{tally.total}")
    assert not tally.wrong, tally.wrong[:20]
    assert rows() == before
    scenario.refresh_from_db()
    assert scenario.version == 1


# -- the ASGI application itself: bodies framed without, or with a false, Content-Length


CSRF = b"k" * 32


async def _asgi_post(body_chunks: list[bytes], headers: list[tuple[bytes, bytes]]) -> tuple:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/scenarios/validate",
        "raw_path": b"/api/scenarios/validate",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"cookie", b"csrftoken=" + CSRF),
            (b"x-csrftoken", CSRF),
            *headers,
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    communicator = ApplicationCommunicator(application, scope)
    for index, chunk in enumerate(body_chunks):
        more = index < len(body_chunks) - 1
        await communicator.send_input({"type": "http.request", "body": chunk, "more_body": more})
    start = await communicator.receive_output(timeout=20)
    body = await communicator.receive_output(timeout=20)
    await communicator.send_input({"type": "http.disconnect"})
    await communicator.wait(timeout=5)
    return start["status"], json.loads(body["body"])


@pytest.mark.django_db(transaction=True)
def test_asgi_refuses_bodies_over_the_limit_whatever_their_framing(record_figure):
    limit = settings.MSCOMM_MAX_BODY_BYTES
    chunk = b" " * 65536
    over = [chunk] * (limit // len(chunk) + 2)
    cases = [
        ("chunked, no Content-Length", over, [], 413),
        ("Content-Length says small", over, [(b"content-length", b"10")], 413),
        ("Content-Length says huge", [b"{}"], [(b"content-length", str(limit * 5).encode())], 413),
        ("Content-Length larger than the body", [b"{}"], [(b"content-length", b"100")], 400),
        ("Content-Length not a number", [b"{}"], [(b"content-length", b"12abc")], 400),
        ("negative Content-Length", [b"{}"], [(b"content-length", b"-5")], 400),
    ]
    wrong = []
    for label, chunks, headers, expected in cases:
        status, body = asyncio.run(_asgi_post(chunks, headers))
        if status != expected or "detail" not in body:
            wrong.append(f"{label}: {status} {body}")
    # A good body framed without Content-Length is still served.
    status, body = asyncio.run(_asgi_post([b'{"doc": ', json.dumps(lab_doc()).encode(), b"}"], []))
    assert (status, body) == (200, {"ok": True})
    record_figure(
        "ASGI bodies by false or no Content-Length refused",
        f"{len(cases) - len(wrong)}/{len(cases)}",
    )
    assert not wrong, wrong


def test_a_huge_since_is_no_server_error(user_client, scenario):
    from mscomm.runs.models import Run
    from mscomm.sharing.services import share_create

    run = Run.objects.create(
        workspace=scenario.workspace,
        scenario=scenario,
        scenario_name=scenario.name,
        doc=scenario.doc,
        seed=1,
        state="running",
    )
    _share, token = share_create(workspace=scenario.workspace, run_id=run.id)
    for url in (f"/api/runs/{run.id}/frames", f"/api/shares/t/{token}/frames"):
        for since in ("18446744073709551616", "99999999999999999999999999", "-5"):
            response = user_client.get(f"{url}?since={since}")
            assert response.status_code == 200, (url, since, response.content)
            assert response.json()["frames"] == []
