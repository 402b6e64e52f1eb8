"""The library endpoints, from patterns.library."""

from __future__ import annotations

import pytest

import patterns.library

pytestmark = pytest.mark.django_db


def test_library_lists_every_lab(client):
    response = client.get("/api/library")
    assert response.status_code == 200
    slugs = [lab["slug"] for lab in response.json()]
    expected = [
        lab["slug"] if isinstance(lab, dict) else lab.slug for lab in patterns.library.list_labs()
    ]
    assert slugs == expected
    assert {"slug", "name", "summary", "description"} <= set(response.json()[0])


def test_lab_detail_has_its_scenario(client):
    slug = client.get("/api/library").json()[0]["slug"]
    detail = client.get(f"/api/library/{slug}").json()
    assert detail["slug"] == slug and detail["doc"]["format"] == "mscomm.scenario/1"


def test_unknown_lab_is_404(client):
    response = client.get("/api/library/no-such-lab")
    assert response.status_code == 404 and "detail" in response.json()


def test_copying_a_lab_gives_a_visitor_a_workspace(client):
    slug = client.get("/api/library").json()[0]["slug"]
    copied = client.post(f"/api/library/{slug}/copy")
    assert copied.status_code == 201
    assert [s["id"] for s in client.get("/api/scenarios").json()] == [copied.json()["id"]]
