"""Share links over HTTP: tokens, the owner's admin, what a holder may and may not do."""

from __future__ import annotations

import json
import math
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from mscomm.runs import stream
from mscomm.runs.models import Run, RunState
from mscomm.runs.services import run_finish
from mscomm.sharing.models import ShareLink
from tests.web.conftest import post_json

pytestmark = pytest.mark.django_db

TOKEN_URL = re.compile(r"^/s/([A-Za-z0-9_-]+)$")


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit windows live in Redis: every test starts with none counted."""
    client = stream.redis_client()
    for key in client.scan_iter("mscomm:rate:*"):
        client.delete(key)


def share(client: Client, **body) -> dict:
    response = post_json(client, "/api/shares", body)
    assert response.status_code == 201, response.content
    return response.json()


def token_of(created: dict) -> str:
    match = TOKEN_URL.match(created["url"])
    assert match, created["url"]
    assert match.group(1) == created["token"]
    return created["token"]


def finished_run(client: Client, scenario, frames: int = 3) -> str:
    response = post_json(
        client, "/api/runs", {"scenario_id": str(scenario.id), "seed": 5, "speed": 1}
    )
    run_id = response.json()["id"]
    Run.objects.filter(id=run_id).update(state=RunState.RUNNING)
    for seq in range(1, frames + 1):
        stream.frame_publish(
            run_id,
            {"seq": seq, "t": seq * 0.5, "events": [], "counts": {}, "sampled": False, "state": {}},
        )
    run_finish(run_id=run_id, state=RunState.SUCCEEDED, result={"format": "mscomm.result/1"})
    return run_id


# -- tokens ----------------------------------------------------------------------------


def test_a_token_carries_at_least_128_bits_and_only_its_hash_is_stored(user_client, scenario):
    tokens = [token_of(share(user_client, scenario_id=str(scenario.id))) for _ in range(20)]
    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        # URL-safe base64: 6 bits a character.
        assert len(token) * 6 >= 128 and len(token) >= 43
        assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    stored = list(ShareLink.objects.values_list("token_hash", "hint"))
    for token in tokens:
        assert all(token not in value for row in stored for value in row)
    # Different characters in every position: no fixed prefix or counter inside.
    assert len({token[:8] for token in tokens}) == len(tokens)
    bits_per_char = math.log2(64)
    assert min(len(t) for t in tokens) * bits_per_char >= 256


def test_a_made_up_or_malformed_token_is_404(client, db):
    for token in ["A" * 43, "short", "has space in it", "../../etc/passwd"]:
        assert client.get(f"/api/shares/t/{token}").status_code == 404
    assert client.get("/s/" + "A" * 43).status_code == 404


# -- the owner's admin ------------------------------------------------------------------


def test_the_owner_lists_links_without_their_tokens(user_client, scenario):
    created = share(user_client, scenario_id=str(scenario.id))
    listed = user_client.get("/api/shares").json()
    assert [item["id"] for item in listed] == [created["id"]]
    assert "token" not in listed[0] and "url" not in listed[0]
    assert listed[0]["hint"] == created["token"][:6]
    assert listed[0]["kind"] == "scenario" and listed[0]["name"] == scenario.name
    by_scenario = user_client.get(f"/api/shares?scenario_id={scenario.id}").json()
    assert len(by_scenario) == 1


def test_a_revoked_link_answers_404_at_once(user_client, scenario, client):
    created = share(user_client, scenario_id=str(scenario.id))
    token = token_of(created)
    assert client.get(f"/s/{token}").status_code == 200
    assert client.get(f"/api/shares/t/{token}").status_code == 200
    assert user_client.delete(f"/api/shares/{created['id']}").status_code == 204
    assert client.get(f"/s/{token}").status_code == 404
    assert client.get(f"/api/shares/t/{token}").status_code == 404
    assert post_json(client, f"/api/shares/t/{token}/fork", {}).status_code == 404
    assert user_client.get("/api/shares").json() == []


def test_an_expired_link_answers_404(user_client, scenario, client):
    soon = timezone.now() + timedelta(hours=1)
    created = share(user_client, scenario_id=str(scenario.id), expires_at=soon.isoformat())
    token = token_of(created)
    assert client.get(f"/api/shares/t/{token}").json()["expires_at"] is not None
    ShareLink.objects.filter(id=created["id"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert client.get(f"/s/{token}").status_code == 404
    assert client.get(f"/api/shares/t/{token}").status_code == 404


def test_the_owner_sets_and_clears_the_expiry(user_client, scenario):
    created = share(user_client, scenario_id=str(scenario.id))
    url = f"/api/shares/{created['id']}"
    later = (timezone.now() + timedelta(days=7)).isoformat()
    patched = user_client.patch(url, json.dumps({"expires_at": later}), "application/json")
    assert patched.status_code == 200 and patched.json()["expires_at"] is not None
    past = (timezone.now() - timedelta(days=1)).isoformat()
    refused = user_client.patch(url, json.dumps({"expires_at": past}), "application/json")
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == "expires_at"
    cleared = user_client.patch(url, json.dumps({"expires_at": None}), "application/json")
    assert cleared.json()["expires_at"] is None


def test_a_share_needs_exactly_one_target_of_ones_own(user_client, other_client, scenario):
    both = post_json(user_client, "/api/shares", {})
    assert both.status_code == 422
    assert (
        post_json(other_client, "/api/shares", {"scenario_id": str(scenario.id)}).status_code == 404
    )
    assert post_json(Client(), "/api/shares", {"scenario_id": str(scenario.id)}).status_code == 404


def test_a_workspace_has_a_limited_number_of_links(user_client, scenario, settings):
    settings.MSCOMM_MAX_SHARES = 2
    share(user_client, scenario_id=str(scenario.id))
    share(user_client, scenario_id=str(scenario.id))
    over = post_json(user_client, "/api/shares", {"scenario_id": str(scenario.id)})
    assert over.status_code == 429


# -- what a holder may not do -----------------------------------------------------------


@pytest.fixture
def holders(other_client) -> dict[str, Client]:
    """Someone else signed in, and an anonymous visitor with a workspace of their own."""
    visitor = Client()
    visitor.get("/api/library")
    return {"other user": other_client, "anonymous": visitor}


def test_holders_cannot_change_the_shared_scenario_or_its_links(user_client, scenario, holders):
    created = share(user_client, scenario_id=str(scenario.id))
    token = token_of(created)
    for who, client in holders.items():
        assert client.get(f"/api/shares/t/{token}").status_code == 200, who
        put = client.put(
            f"/api/scenarios/{scenario.id}",
            json.dumps({"doc": scenario.doc, "version": scenario.version}),
            "application/json",
        )
        assert put.status_code == 404, who
        assert client.delete(f"/api/scenarios/{scenario.id}").status_code == 404, who
        assert client.get(f"/api/scenarios/{scenario.id}").status_code == 404, who
        # The share admin is the owner's alone.
        assert client.get("/api/shares").json() == [], who
        assert client.get(f"/api/shares/{created['id']}").status_code == 404, who
        later = (timezone.now() + timedelta(days=1)).isoformat()
        patch = client.patch(
            f"/api/shares/{created['id']}", json.dumps({"expires_at": later}), "application/json"
        )
        assert patch.status_code == 404, who
        assert client.delete(f"/api/shares/{created['id']}").status_code == 404, who
    scenario.refresh_from_db()
    assert scenario.version == 1
    assert ShareLink.objects.get(id=created["id"]).expires_at is None


def test_holders_cannot_cancel_or_read_the_shared_run_by_id(user_client, scenario, holders):
    response = post_json(user_client, "/api/runs", {"scenario_id": str(scenario.id)})
    run_id = response.json()["id"]
    token = token_of(share(user_client, run_id=run_id))
    for who, client in holders.items():
        shared = client.get(f"/api/shares/t/{token}").json()
        assert shared["kind"] == "run" and shared["run"]["state"] == "queued", who
        # Nothing that leads back to the owner's run or scenario.
        assert "id" not in shared["run"] and "scenario_id" not in shared["run"], who
        assert run_id not in json.dumps(shared), who
        assert post_json(client, f"/api/runs/{run_id}/cancel", {}).status_code == 404, who
        assert client.get(f"/api/runs/{run_id}").status_code == 404, who
        assert client.get(f"/api/runs/{run_id}/frames").status_code == 404, who
    assert Run.objects.get(id=run_id).state == RunState.QUEUED


# -- what a holder may do ---------------------------------------------------------------


def test_a_holder_reads_a_shared_runs_frames_and_result(user_client, scenario, client):
    run_id = finished_run(user_client, scenario, frames=4)
    token = token_of(share(user_client, run_id=run_id))
    page = client.get(f"/api/shares/t/{token}/frames?since=1").json()
    assert [f["seq"] for f in page["frames"]] == [2, 3, 4]
    assert page["done"] is True and page["next"] == 4
    assert client.get(f"/api/shares/t/{token}/result").json() == {"format": "mscomm.result/1"}
    shared = client.get(f"/api/shares/t/{token}").json()
    assert shared["doc"] == Run.objects.get(id=run_id).doc
    assert shared["run"]["state"] == "succeeded" and shared["run"]["seed"] == 5


def test_a_scenario_link_has_no_frames_or_result(user_client, scenario, client):
    token = token_of(share(user_client, scenario_id=str(scenario.id)))
    assert client.get(f"/api/shares/t/{token}/frames").status_code == 404
    assert client.get(f"/api/shares/t/{token}/result").status_code == 404
    assert client.get(f"/api/shares/t/{token}").json()["doc"] == scenario.doc


def test_a_holder_runs_a_copy_in_their_own_workspace(user_client, user, scenario, client):
    run_id = finished_run(user_client, scenario)
    token = token_of(share(user_client, run_id=run_id))
    response = post_json(client, f"/api/shares/t/{token}/run", {"speed": 0.5})
    assert response.status_code == 201, response.content
    mine = response.json()
    assert mine["scenario_id"] is None and mine["seed"] == 5 and mine["speed"] == 0.5
    assert Run.objects.get(id=mine["id"]).doc == Run.objects.get(id=run_id).doc
    assert client.get(f"/api/runs/{mine['id']}").status_code == 200
    assert mine["id"] not in [r["id"] for r in user_client.get("/api/runs").json()]


def test_a_holder_forks_into_their_workspace_and_keeps_it_on_login(
    user_client, scenario, other_user
):
    token = token_of(share(user_client, scenario_id=str(scenario.id)))
    visitor = Client()
    forked = post_json(visitor, f"/api/shares/t/{token}/fork", {})
    assert forked.status_code == 201
    copy = forked.json()
    assert copy["id"] != str(scenario.id) and copy["doc"] == scenario.doc
    assert [s["id"] for s in visitor.get("/api/scenarios").json()] == [copy["id"]]
    # Through the log-in page, as a person does (the lockout's backend needs the request).
    logged_in = visitor.post(
        "/accounts/login/", {"username": "bob", "password": "a-long-passphrase-2"}
    )
    assert logged_in.status_code == 302
    assert [s["id"] for s in visitor.get("/api/scenarios").json()] == [copy["id"]]
    signed_in = post_json(visitor, f"/api/shares/t/{token}/fork", {})
    assert signed_in.status_code == 201
    assert len(visitor.get("/api/scenarios").json()) == 2
    assert [s["id"] for s in user_client.get("/api/scenarios").json()] == [str(scenario.id)]


def test_running_copies_is_rate_limited_per_address_and_visitor(user_client, scenario, settings):
    settings.MSCOMM_SHARE_ACTIONS_PER_WINDOW = 2
    settings.MSCOMM_MAX_CONCURRENT_RUNS = 50
    token = token_of(share(user_client, scenario_id=str(scenario.id)))
    url = f"/api/shares/t/{token}/run"
    visitor = Client(REMOTE_ADDR="10.1.1.1")
    assert post_json(visitor, url, {}).status_code == 201
    assert post_json(visitor, url, {}).status_code == 201
    over = post_json(visitor, url, {})
    assert over.status_code == 429 and "at most 2" in over.json()["detail"]
    # A new session from the same address is the same address.
    assert post_json(Client(REMOTE_ADDR="10.1.1.1"), url, {}).status_code == 429
    # The same visitor from another address is the same visitor.
    visitor.defaults["REMOTE_ADDR"] = "10.2.2.2"
    assert post_json(visitor, url, {}).status_code == 429
    # Someone else elsewhere is not held back.
    assert post_json(Client(REMOTE_ADDR="10.3.3.3"), url, {}).status_code == 201


# -- headers ------------------------------------------------------------------------------


def test_a_dead_links_404_carries_the_share_headers_too(user_client, scenario, client):
    revoked = share(user_client, scenario_id=str(scenario.id))
    expired = share(user_client, scenario_id=str(scenario.id))
    user_client.delete(f"/api/shares/{revoked['id']}")
    ShareLink.objects.filter(id=expired["id"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    # A 404 names the token in its URL as much as a 200 does: no Referer, no cache.
    for token in ("B" * 43, token_of(revoked), token_of(expired)):
        for url in (
            f"/s/{token}",
            f"/api/shares/t/{token}",
            f"/api/shares/t/{token}/frames",
            f"/api/shares/t/{token}/result",
        ):
            response = client.get(url)
            assert response.status_code == 404, url
            assert response["Referrer-Policy"] == "no-referrer", url
            assert "noindex" in response["X-Robots-Tag"], url
            assert response["Cache-Control"] == "private, no-store", url


def test_shared_pages_leak_no_referrer_and_ask_not_to_be_indexed(user_client, scenario, client):
    token = token_of(share(user_client, scenario_id=str(scenario.id)))
    for url in (f"/s/{token}", f"/s/{token}/", f"/api/shares/t/{token}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Referrer-Policy"] == "no-referrer", url
        assert "noindex" in response["X-Robots-Tag"], url
        assert "no-store" in response["Cache-Control"], url
    page = client.get(f"/s/{token}").content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert f'data-token="{token}"' in page
    assert "<script>" not in page  # the page's code is a module file (strict CSP)


def test_a_visitors_links_follow_their_work_into_their_account(client, scenario, other_user):
    doc = scenario.doc
    created = post_json(client, "/api/scenarios", {"doc": doc}).json()
    link = share(client, scenario_id=created["id"])
    assert [s["id"] for s in client.get("/api/shares").json()] == [link["id"]]
    # Through the log-in page, as a person does (the lockout's backend needs the request).
    logged_in = client.post(
        "/accounts/login/", {"username": "bob", "password": "a-long-passphrase-2"}
    )
    assert logged_in.status_code == 302
    assert [s["id"] for s in client.get("/api/shares").json()] == [link["id"]]
    assert Client().get(f"/api/shares/t/{link['token']}").status_code == 200


def test_deleting_the_target_deletes_its_links(user_client, scenario, client):
    token = token_of(share(user_client, scenario_id=str(scenario.id)))
    assert user_client.delete(f"/api/scenarios/{scenario.id}").status_code == 204
    assert client.get(f"/s/{token}").status_code == 404
    assert ShareLink.objects.count() == 0


def test_behind_a_proxy_the_limit_counts_the_address_the_proxy_saw(user_client, scenario, settings):
    settings.MSCOMM_SHARE_ACTIONS_PER_WINDOW = 1
    settings.MSCOMM_MAX_CONCURRENT_RUNS = 50
    settings.MSCOMM_TRUST_X_FORWARDED_FOR = True
    token = token_of(share(user_client, scenario_id=str(scenario.id)))
    url = f"/api/shares/t/{token}/run"

    def run_from(forwarded: str) -> int:
        visitor = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
        return post_json(visitor, url, {}).status_code

    assert run_from("1.1.1.1, 192.0.2.7") == 201
    # A client cannot dodge the limit by prepending addresses of its choosing.
    assert run_from("9.9.9.9, 192.0.2.7") == 429
    assert run_from("192.0.2.8") == 201
