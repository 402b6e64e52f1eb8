"""Analysis endpoints: request samples and traces, exports, compare, variants; ownership.

Runs are executed for real (the engine in this process, frames on the test Redis)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client

from mscomm.runs.executor import run_execute
from mscomm.runs.models import Run, RunState
from tests.narration_scenarios import CRASH_S, crash_doc
from tests.web.conftest import post_json

pytestmark = pytest.mark.django_db(transaction=True)


def small_doc() -> dict:
    return {
        "format": "mscomm.scenario/1",
        "name": "Order <b>& pay</b>",
        "seed": 3,
        "duration_s": 2,
        "drain_s": 1,
        "nodes": [
            {"id": "order", "kind": "service", "work_ms": 2},
            {"id": "pay", "kind": "service", "work_ms": 5, "workers": 1},
        ],
        "links": [{"id": "charge", "from": "order", "to": "pay", "style": "sync", "timeout_ms": 8}],
        "workload": [{"entry": "order", "arrival": {"process": "poisson", "rate_per_s": 150}}],
    }


@pytest.fixture
def small(user_client):
    response = post_json(user_client, "/api/scenarios", {"doc": small_doc()})
    assert response.status_code == 201
    return response.json()


def finished_run(client: Client, scenario_id: str, **body) -> str:
    response = post_json(client, "/api/runs", {"scenario_id": scenario_id, "mode": "batch", **body})
    assert response.status_code == 201, response.content
    run_id = response.json()["id"]
    run_execute(run_id=run_id)
    assert Run.objects.get(id=run_id).state == RunState.SUCCEEDED
    return run_id


def test_the_sample_lists_failed_requests_first_then_the_slowest(user_client, small):
    run_id = finished_run(user_client, small["id"])
    body = user_client.get(f"/api/runs/{run_id}/requests?size=20").json()
    result = Run.objects.get(id=run_id).result["requests"]
    assert body["total"] == result["started"]
    assert (body["failed"], body["succeeded"]) == (result["failed"], result["succeeded"])
    sample = body["sample"]
    assert len(sample) == 20 and body["failed"] > 0
    outcomes = [item["outcome"] for item in sample]
    assert outcomes == sorted(outcomes, key=lambda o: o != "failed")
    ok = [item["latency_ms"] for item in sample if item["outcome"] == "succeeded"]
    assert ok == sorted(ok, reverse=True)


def test_a_request_trace_matches_the_runs_result(user_client, small):
    run_id = finished_run(user_client, small["id"])
    first = user_client.get(f"/api/runs/{run_id}/requests?size=1").json()["sample"][0]
    trace = user_client.get(f"/api/runs/{run_id}/requests/{first['corr']}").json()
    assert trace["corr"] == first["corr"] and trace["outcome"] == "failed"
    assert trace["reason"] == first["reason"] == "timeout"
    assert trace["spans"][0]["kind"] == "server" and trace["spans"][1]["link"] == "charge"

    otlp = user_client.get(f"/api/runs/{run_id}/requests/{first['corr']}/otlp")
    assert otlp.status_code == 200
    assert "attachment" in otlp["Content-Disposition"]
    spans = otlp.json()["resourceSpans"][0]["scopeSpans"][0]["spans"]
    started = Run.objects.get(id=run_id).started_at.timestamp()
    assert abs(int(spans[0]["startTimeUnixNano"]) / 1e9 - started) < 10

    mermaid = user_client.get(f"/api/runs/{run_id}/requests/{first['corr']}/mermaid")
    assert mermaid["Content-Type"].startswith("text/plain")
    text = mermaid.content.decode()
    assert text.startswith("sequenceDiagram\n") and "failed timeout" in text


def test_a_requests_events_are_its_stored_frames_events_and_never_sampled(user_client, small):
    run_id = finished_run(user_client, small["id"])
    first = user_client.get(f"/api/runs/{run_id}/requests?size=1").json()["sample"][0]
    body = user_client.get(f"/api/runs/{run_id}/requests/{first['corr']}/events").json()
    assert body["corr"] == first["corr"] and body["truncated"] is False
    events = body["events"]
    assert {e["corr"] for e in events} == {first["corr"]}
    assert [e["t"] for e in events] == sorted(e["t"] for e in events)
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "arrive" and "timeout" in kinds and "fail" in kinds
    sends = [e for e in events if e["kind"] == "send"]
    assert sends
    assert all(e["src"].startswith("order/") and e["dst"].startswith("pay/") for e in sends)
    # Every hop the stored frames kept for this request is among them.
    stored = user_client.get(f"/api/runs/{run_id}/frames?since=0").json()["frames"]
    hops = [
        (e["kind"], e["t"], e.get("src"), e.get("dst"))
        for f in stored
        for e in f["events"]
        if e.get("corr") == first["corr"]
    ]
    assert hops and set(hops) <= {(e["kind"], e["t"], e.get("src"), e.get("dst")) for e in events}
    assert user_client.get(f"/api/runs/{run_id}/requests/r999999/events").status_code == 404


def test_an_unknown_request_is_404(user_client, small):
    run_id = finished_run(user_client, small["id"])
    for corr in ("r999999", "x1", "r0", "r1;drop"):
        assert user_client.get(f"/api/runs/{run_id}/requests/{corr}").status_code == 404


def test_traces_need_a_result(user_client, small):
    run_id = post_json(user_client, "/api/runs", {"scenario_id": small["id"]}).json()["id"]
    assert user_client.get(f"/api/runs/{run_id}/requests").status_code == 404
    assert user_client.get(f"/api/runs/{run_id}/export/result.json").status_code == 404
    assert user_client.get(f"/api/runs/{run_id}/export/scenario.json").status_code == 200


def test_exports_are_downloads_of_the_runs_documents(user_client, small):
    run_id = finished_run(user_client, small["id"])
    run = Run.objects.get(id=run_id)
    scenario = user_client.get(f"/api/runs/{run_id}/export/scenario.json")
    assert "attachment" in scenario["Content-Disposition"]
    assert json.loads(scenario.content) == run.doc
    assert json.loads(user_client.get(f"/api/runs/{run_id}/export/result.json").content) == (
        run.result
    )
    rows = list(
        csv.reader(
            io.StringIO(user_client.get(f"/api/runs/{run_id}/export/result.csv").content.decode())
        )
    )
    assert rows[0] == ["section", "name", "metric", "value"]
    assert ["requests", "", "started", str(run.result["requests"]["started"])] in rows
    timeline = user_client.get(f"/api/runs/{run_id}/export/timeline.csv").content.decode()
    assert timeline.splitlines()[0].startswith("t_s,")
    assert user_client.get(f"/api/runs/{run_id}/export/passwd").status_code == 404


def test_compare_gives_differences_and_both_timelines(user_client, small):
    a = finished_run(user_client, small["id"])
    b = finished_run(user_client, small["id"], seed=99)
    body = user_client.get(f"/api/compare/{a}/{b}").json()
    assert (body["a"]["id"], body["b"]["id"]) == (a, b)
    rows = {row["key"]: row for row in body["rows"]}
    started = rows["requests.started"]
    assert started["delta"] == started["b"] - started["a"]
    assert "services.pay.blocked_fraction" in rows
    assert body["timelines"]["a"]["t_s"][:2] == [0, 1]


def test_a_flipped_variant_runs_both_with_the_same_seed(user_client, small):
    base = finished_run(user_client, small["id"], seed=11)
    response = post_json(
        user_client,
        "/api/variants",
        {"run_id": base, "change": {"kind": "flip", "link": "charge", "to": "async"}},
    )
    assert response.status_code == 201, response.content
    batch = response.json()
    runs = [Run.objects.get(id=v["run"]["id"]) for v in batch["variants"]]
    assert [run.seed for run in runs] == [11, 11]
    assert [run.doc["links"][0]["style"] for run in runs] == ["sync", "async"]
    assert runs[0].doc["workload"] == runs[1].doc["workload"]
    for run in runs:
        run_execute(run_id=run.id)
        run.refresh_from_db()
        # Variant runs keep frames, so the comparison can play them back.
        assert run.state == RunState.SUCCEEDED and run.frame_count > 10
    body = user_client.get(f"/api/compare/{runs[0].id}/{runs[1].id}").json()
    blocked = next(r for r in body["rows"] if r["key"] == "services.order.blocked_fraction")
    assert blocked["a"] > 0 and blocked["b"] == 0 and blocked["verdict"] == "better"


def test_a_variant_from_a_scenario_and_a_toggle(user_client, small):
    response = post_json(
        user_client,
        "/api/variants",
        {
            "scenario_id": small["id"],
            "change": {"kind": "toggle", "target": "charge", "setting": "retries"},
        },
    )
    assert response.status_code == 201, response.content
    docs = [Run.objects.get(id=v["run"]["id"]).doc for v in response.json()["variants"]]
    assert "retries" not in docs[0]["links"][0] and docs[1]["links"][0]["retries"] == 2


@pytest.mark.parametrize(
    "change, loc",
    [
        ({"kind": "flip", "link": "nope", "to": "async"}, "change.target"),
        ({"kind": "flip", "link": "charge", "to": "pigeon"}, "change.to"),
        ({"kind": "toggle", "target": "order", "setting": "timeout"}, "change.target"),
    ],
)
def test_a_variant_that_does_not_apply_is_422(user_client, small, change, loc):
    response = post_json(
        user_client, "/api/variants", {"scenario_id": small["id"], "change": change}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc
    assert not Run.objects.exists()


def test_others_runs_are_not_found(user_client, other_client, small):
    run_id = finished_run(user_client, small["id"])
    corr = user_client.get(f"/api/runs/{run_id}/requests?size=1").json()["sample"][0]["corr"]
    for client in (other_client, Client()):
        for suffix in (
            "/requests",
            f"/requests/{corr}",
            f"/requests/{corr}/otlp",
            f"/requests/{corr}/mermaid",
            "/export/scenario.json",
            "/export/result.csv",
        ):
            assert client.get(f"/api/runs/{run_id}{suffix}").status_code == 404, suffix
        assert client.get(f"/api/compare/{run_id}/{run_id}").status_code == 404
        body = {"run_id": run_id, "change": {"kind": "flip", "link": "charge", "to": "async"}}
        assert post_json(client, "/api/variants", body).status_code in (403, 404)
    assert Run.objects.count() == 1


def test_pages_render_with_their_ids(user_client, small):
    run_id = finished_run(user_client, small["id"])
    page = user_client.get(f"/compare/{run_id}/{run_id}/")
    assert page.status_code == 200 and f'data-run-a="{run_id}"' in page.content.decode()
    page = user_client.get(f"/runs/{run_id}/requests/")
    assert page.status_code == 200 and f'data-run-id="{run_id}"' in page.content.decode()
    page = user_client.get(f"/sweeps/new?scenario={small['id']}")
    assert f'data-scenario-id="{small["id"]}"' in page.content.decode()
    assert (
        'data-scenario-id=""' in user_client.get("/sweeps/new?scenario=<script>").content.decode()
    )


def test_batch_runs_have_their_own_concurrency_limit(user_client, small, settings):
    settings.MSCOMM_MAX_CONCURRENT_RUNS = 1
    settings.MSCOMM_MAX_CONCURRENT_BATCH_RUNS = 3
    live = post_json(user_client, "/api/runs", {"scenario_id": small["id"]})
    assert live.status_code == 201
    body = {"scenario_id": small["id"], "param": "seed", "values": [1, 2, 3]}
    assert post_json(user_client, "/api/runs/batch", body).status_code == 201
    refused = post_json(user_client, "/api/runs/batch", {**body, "values": [4]})
    assert refused.status_code == 429 and "at most 3" in refused.json()["detail"]
    assert post_json(user_client, "/api/runs", {"scenario_id": small["id"]}).status_code == 429


def test_runs_too_big_to_re_run_in_a_request_are_not_traced(user_client, small, settings):
    run_id = finished_run(user_client, small["id"])
    events = Run.objects.get(id=run_id).result["engine"]["events"]
    settings.MSCOMM_TRACE_MAX_EVENTS = events - 1
    for suffix in ("/requests", "/requests/r1", "/requests/r1/otlp"):
        response = user_client.get(f"/api/runs/{run_id}{suffix}")
        assert response.status_code == 429 and f"at most {events - 1}" in response.json()["detail"]
    settings.MSCOMM_TRACE_MAX_EVENTS = events
    assert user_client.get(f"/api/runs/{run_id}/requests/r1").status_code == 200


def test_compare_serves_both_stories_and_where_they_first_part_ways(user_client):
    ids = []
    for doc in (crash_doc(None), {**crash_doc(None), "faults": []}):
        response = post_json(user_client, "/api/scenarios", {"doc": doc})
        assert response.status_code == 201
        ids.append(finished_run(user_client, response.json()["id"]))
    body = user_client.get(f"/api/compare/{ids[0]}/{ids[1]}").json()
    told = {k: Run.objects.get(id=i).result["incidents"] for k, i in zip("ab", ids, strict=True)}
    assert body["incidents"] == told
    # Both begin with the first request; only A's Customer crashes.
    assert [i["kind"] for i in told["b"]] == ["first_request"]
    assert body["divergence"] == {"index": 1, "t": CRASH_S, "a": told["a"][1], "b": None}
    assert told["a"][1]["text"] == "Customer crashed (1 of 1 instances down)."
    same = user_client.get(f"/api/compare/{ids[1]}/{ids[1]}").json()
    assert same["divergence"] is None
