"""The OpenAPI document (/api/openapi.json) is valid and says what the server really sends:
every operation's answer to a sample request has a status and a content type it declares."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from openapi_spec_validator import validate

import patterns
from mscomm.analysis.services import unix_nanos
from mscomm.runs.models import Run, RunState
from tests.web.test_hostile_access import UNSAFE, Owned, csrf_headers, operations
from tests.web.test_hostile_access import owned as owned  # a fixture


@pytest.mark.django_db
def test_the_served_document_is_valid_openapi(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    assert document["components"]["schemas"]["Scenario"]["properties"]["format"]


@pytest.mark.django_db
def test_scenario_bodies_refer_to_the_scenario_schema(client):
    document = client.get("/api/openapi.json").json()
    paths, ref = document["paths"], {"$ref": "#/components/schemas/Scenario"}
    body = paths["/api/scenarios/import"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == ref
    assert document["components"]["schemas"]["DocIn"]["properties"]["doc"]["$ref"] == ref["$ref"]
    for path, methods in paths.items():
        for method, operation in methods.items():
            if method in UNSAFE:
                assert "403" in operation["responses"], f"{method} {path}"


def _declared(document: dict, path: str, method: str, status: int) -> set[str] | None:
    responses = document["paths"][path][method]["responses"]
    answer = responses.get(str(status))
    return None if answer is None else set(answer.get("content", {}))


@pytest.mark.django_db
def test_every_answer_has_a_declared_status_and_content_type(
    owned: Owned,
    user,
    client,
    record_figure,
):
    finished = Run.objects.create(
        workspace=owned.run.workspace,
        scenario=owned.scenario,
        scenario_name=owned.scenario.name,
        doc=owned.scenario.doc,
        seed=3,
        state=RunState.SUCCEEDED,
        result=_result(owned),
    )
    document = client.get("/api/openapi.json").json()
    client.force_login(user)
    headers = csrf_headers(client)
    checked = []
    # Deletions last, so that every other operation finds the owner's things.
    for op in sorted(operations(), key=lambda op: op.method == "delete"):
        runs = [owned.run, finished] if "{run_id}" in op.path else [owned.run]
        whats = ["result.json", "result.csv"] if "{what}" in op.path else [None]
        for run in runs:
            for what in whats:
                owned.run, kept = run, owned.run
                url = owned.url(op)
                owned.run = kept
                if what:
                    url = url.replace("result.json", what)
                response = send_to(client, op, owned, url, headers)
                declared = _declared(document, op.path, op.method, response.status_code)
                where = f"{op} -> {response.status_code}"
                assert declared is not None, f"{where}: status not declared"
                sent = response.get("Content-Type")
                if response.status_code == 204:
                    assert sent is None and response.content == b"", where
                    assert declared == set(), where
                else:
                    assert sent and sent.split(";")[0] in declared, (where, sent, declared)
                checked.append(where)
    record_figure("OpenAPI operations' answers checked against the document", len(checked))
    assert len(checked) >= len(operations())
    # The downloads were really sent, not only their 404s.
    for download in ("export/{what} -> 200", "mermaid -> 200", "scenario_id}/export -> 200"):
        assert sum(where.endswith(download) for where in checked) >= 1, download


def send_to(client, op, mine: Owned, url, headers):
    body = mine.body(op) if op.method in UNSAFE else None
    data = json.dumps(body) if body is not None else None
    return getattr(client, op.method)(url, data=data, content_type="application/json", **headers)


def _result(mine: Owned) -> dict:
    return patterns.simulate(patterns.load({**mine.scenario.doc, "duration_s": 1}), seed=3)


@pytest.mark.django_db
def test_a_sample_bigger_than_the_cap_is_refused(user_client, owned):
    response = user_client.get(f"/api/runs/{owned.run.id}/requests?size=500")
    assert response.status_code == 400
    assert "size" in str(response.json()["detail"])


def test_the_otlp_epoch_keeps_the_fraction_of_a_second():
    moment = datetime(2026, 12, 1, 23, 59, 58, 123456, tzinfo=UTC)
    assert unix_nanos(moment) == 1_796_169_598_123_456_000
    assert unix_nanos(datetime(1970, 1, 1, tzinfo=UTC)) == 0
