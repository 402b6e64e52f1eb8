"""The scenario endpoints: CRUD, validation (422), versions (409), limits, ownership."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from mscomm.scenarios.models import Scenario
from tests.web.conftest import lab_doc, post_json

pytestmark = pytest.mark.django_db


def put_json(client: Client, url: str, body: object):
    return client.put(url, json.dumps(body), content_type="application/json")


def bad_doc() -> dict:
    doc = lab_doc()
    doc["format"] = "something/else"
    return doc


def test_created_scenario_is_listed_and_read_back(user_client):
    created = post_json(user_client, "/api/scenarios", {"doc": lab_doc()})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["version"] == 1 and body["name"] == lab_doc()["name"]
    listed = user_client.get("/api/scenarios").json()
    assert [item["id"] for item in listed] == [body["id"]]
    assert "doc" not in listed[0]
    detail = user_client.get(f"/api/scenarios/{body['id']}").json()
    assert detail["doc"] == lab_doc()


def test_invalid_scenario_is_refused_with_field_paths_and_not_stored(user_client):
    response = post_json(user_client, "/api/scenarios", {"doc": bad_doc()})
    assert response.status_code == 422
    locs = [problem["loc"] for problem in response.json()["detail"]]
    assert "format" in locs
    assert all(set(problem) == {"loc", "msg"} for problem in response.json()["detail"])
    assert Scenario.objects.count() == 0


def test_malformed_body_is_a_json_400(user_client):
    response = user_client.post("/api/scenarios", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()
    response = post_json(user_client, "/api/scenarios", {"doc": "a string"})
    assert response.status_code == 400


def test_validate_says_ok_or_lists_problems(user_client):
    ok = post_json(user_client, "/api/scenarios/validate", {"doc": lab_doc()})
    assert ok.status_code == 200 and ok.json() == {"ok": True}
    bad = post_json(user_client, "/api/scenarios/validate", {"doc": bad_doc()})
    assert bad.status_code == 422


def test_update_bumps_the_version_and_a_stale_version_conflicts(user_client):
    created = post_json(user_client, "/api/scenarios", {"doc": lab_doc()}).json()
    url = f"/api/scenarios/{created['id']}"
    renamed = lab_doc(name="Renamed")
    first = put_json(user_client, url, {"doc": renamed, "version": 1})
    assert first.status_code == 200
    assert first.json()["version"] == 2 and first.json()["name"] == "Renamed"
    stale = put_json(user_client, url, {"doc": lab_doc(name="Lost"), "version": 1})
    assert stale.status_code == 409
    assert "version" in stale.json()["detail"]
    assert Scenario.objects.get(id=created["id"]).name == "Renamed"


def test_invalid_update_is_refused_and_keeps_the_stored_doc(user_client):
    created = post_json(user_client, "/api/scenarios", {"doc": lab_doc()}).json()
    response = put_json(
        user_client, f"/api/scenarios/{created['id']}", {"doc": bad_doc(), "version": 1}
    )
    assert response.status_code == 422
    stored = Scenario.objects.get(id=created["id"])
    assert stored.version == 1 and stored.doc == lab_doc()


def test_delete_removes_the_scenario(user_client):
    created = post_json(user_client, "/api/scenarios", {"doc": lab_doc()}).json()
    assert user_client.delete(f"/api/scenarios/{created['id']}").status_code == 204
    assert user_client.get(f"/api/scenarios/{created['id']}").status_code == 404


def test_export_downloads_the_doc_and_import_stores_it(user_client):
    created = post_json(user_client, "/api/scenarios", {"doc": lab_doc()}).json()
    exported = user_client.get(f"/api/scenarios/{created['id']}/export")
    assert exported.status_code == 200
    assert "attachment" in exported["Content-Disposition"]
    assert json.loads(exported.content) == lab_doc()
    imported = user_client.post(
        "/api/scenarios/import", exported.content, content_type="application/json"
    )
    assert imported.status_code == 201
    assert imported.json()["doc"] == lab_doc() and imported.json()["id"] != created["id"]
    refused = post_json(user_client, "/api/scenarios/import", bad_doc())
    assert refused.status_code == 422


def test_others_scenarios_are_not_found(user_client, other_client):
    created = post_json(user_client, "/api/scenarios", {"doc": lab_doc()}).json()
    url = f"/api/scenarios/{created['id']}"
    anonymous = Client()
    for client in (other_client, anonymous):
        assert client.get(url).status_code == 404
        assert put_json(client, url, {"doc": lab_doc(), "version": 1}).status_code == 404
        assert client.delete(url).status_code == 404
        assert client.get(url + "/export").status_code == 404
        assert client.get("/api/scenarios").json() == []
    assert Scenario.objects.get(id=created["id"]).version == 1


def test_too_many_nodes_is_refused(user_client, settings):
    settings.MSCOMM_MAX_NODES = 1
    doc = lab_doc(nodes=[{"id": "a", "kind": "service"}, {"id": "b", "kind": "service"}])
    response = post_json(user_client, "/api/scenarios", {"doc": doc})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == "nodes"


def test_a_body_over_the_limit_is_413_json(user_client, settings):
    settings.MSCOMM_MAX_BODY_BYTES = 2048
    doc = lab_doc(description="x" * 4000)
    response = post_json(user_client, "/api/scenarios", {"doc": doc})
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]


def test_unsafe_requests_need_the_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    refused = post_json(client, "/api/scenarios", {"doc": lab_doc()})
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    client.get("/api/scenarios")  # a read hands out the csrftoken cookie
    token_value = client.cookies["csrftoken"].value
    accepted = post_json(client, "/api/scenarios", {"doc": lab_doc()}, HTTP_X_CSRFTOKEN=token_value)
    assert accepted.status_code == 201


def test_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_scenario_schema_is_served(client):
    response = client.get("/api/schema/scenario")
    assert response.status_code == 200 and isinstance(response.json(), dict)


def test_openapi_schema_and_docs_page(client):
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    assert "/api/runs/batch" in schema.json()["paths"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert b"<script>" not in docs.content  # no inline script under the CSP
