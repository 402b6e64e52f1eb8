"""Workspaces: visitors get one in their session; signing up or logging in keeps the work."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from mscomm.accounts.models import Workspace
from mscomm.scenarios.models import Scenario
from tests.web.conftest import lab_doc

pytestmark = pytest.mark.django_db


def create_scenario(client: Client) -> str:
    response = client.post(
        "/api/scenarios",
        json.dumps({"doc": lab_doc()}),
        content_type="application/json",
    )
    assert response.status_code == 201
    return response.json()["id"]


def test_reading_does_not_create_a_workspace(client):
    assert client.get("/api/scenarios").json() == []
    assert not Workspace.objects.exists()


def test_a_visitor_keeps_their_work_in_their_session(client):
    scenario_id = create_scenario(client)
    assert [s["id"] for s in client.get("/api/scenarios").json()] == [scenario_id]
    assert Client().get("/api/scenarios").json() == []


def test_signing_up_moves_the_visitors_work_to_the_account(client):
    scenario_id = create_scenario(client)
    response = client.post(
        "/accounts/signup/",
        {
            "username": "grace",
            "password1": "a-long-passphrase-9",
            "password2": "a-long-passphrase-9",
        },
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(username="grace")
    assert Scenario.objects.get(id=scenario_id).workspace.user == user
    assert [s["id"] for s in client.get("/api/scenarios").json()] == [scenario_id]
    assert Workspace.objects.filter(user__isnull=True).count() == 0


def test_logging_in_adds_the_visitors_work_to_the_account(client, user, scenario):
    visitor_scenario = create_scenario(client)
    response = client.post(
        "/accounts/login/", {"username": "ada", "password": "a-long-passphrase-1"}
    )
    assert response.status_code == 302
    listed = {s["id"] for s in client.get("/api/scenarios").json()}
    assert listed == {visitor_scenario, str(scenario.id)}


def test_auth_pages_render_and_escape_nothing_unsafe(client):
    for url in ("/accounts/login/", "/accounts/signup/"):
        response = client.get(url)
        assert response.status_code == 200
        assert b"csrfmiddlewaretoken" in response.content
        assert "Content-Security-Policy" in response.headers


def test_security_headers_are_sent(client):
    response = client.get("/api/library")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp


def test_the_admin_lists_runs_and_scenarios_for_staff(client, user, scenario):
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)
    for url in ("/admin/runs/run/", "/admin/scenarios/scenario/", "/admin/accounts/workspace/"):
        assert client.get(url).status_code == 200
    assert Client().get("/admin/runs/run/").status_code == 302  # to the log-in page


def log_in(client: Client, password: str, *, username: str = "ada", address: str = "10.0.0.1"):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_repeated_wrong_passwords_lock_the_user_out_with_429(user, settings):
    limit = settings.AXES_FAILURE_LIMIT
    # From a new address each time: the lockout is per user as well as per address.
    answers = [log_in(Client(), "wrong", address=f"10.0.1.{i}").status_code for i in range(limit)]
    assert answers[:-1] == [200] * (limit - 1)
    assert answers[-1] == 429
    # The right password does not get through the lockout either.
    locked = log_in(Client(), "a-long-passphrase-1", address="10.0.2.1")
    assert locked.status_code == 429
    assert b"Too many failed log-ins" in locked.content
    assert "_auth_user_id" not in locked.wsgi_request.session


def test_repeated_failures_from_one_address_lock_it_out(user, settings):
    limit = settings.AXES_FAILURE_LIMIT
    answers = [
        log_in(Client(), "wrong", username=f"guess{i}", address="10.0.3.1").status_code
        for i in range(limit)
    ]
    assert answers[-1] == 429
    assert log_in(Client(), "a-long-passphrase-1", address="10.0.3.1").status_code == 429
    # Another address still logs in.
    assert log_in(Client(), "a-long-passphrase-1", address="10.0.3.2").status_code == 302


def test_sign_ups_are_throttled_per_address(db, settings):
    settings.MSCOMM_SIGNUPS_PER_WINDOW = 3

    def sign_up(i: int, address: str) -> int:
        password = f"a-long-passphrase-{i}x"
        return (
            Client()
            .post(
                "/accounts/signup/",
                {"username": f"newbie{i}", "password1": password, "password2": password},
                REMOTE_ADDR=address,
            )
            .status_code
        )

    answers = [sign_up(i, "10.0.4.1") for i in range(5)]
    assert answers == [302, 302, 302, 429, 429]
    assert get_user_model().objects.filter(username__startswith="newbie").count() == 3
    assert sign_up(9, "10.0.4.2") == 302
