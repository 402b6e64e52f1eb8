"""Batches over several seeds: derived seeds, statistics and paired differences."""

from __future__ import annotations

import copy
import json
import threading
from collections import Counter
from datetime import timedelta

import pytest
import redis
from django.db import connection

import patterns
from mscomm.runs import executor, stream
from mscomm.runs.executor import run_execute, run_execute_extras, run_execute_many
from mscomm.runs.models import Run, RunState
from mscomm.runs.services import run_cancel, run_reap, seed_claim_size, seed_pullers
from patterns.stats import seeds_derive
from tests.web.conftest import post_json, wait_for
from tests.web.test_analysis_api import small_doc

pytestmark = pytest.mark.django_db(transaction=True)
P99 = "requests.latency_ms.p99"


@pytest.fixture
def small(user_client):
    response = post_json(user_client, "/api/scenarios", {"doc": small_doc()})
    assert response.status_code == 201
    return response.json()


def two_variants(workers: int = 1) -> list[dict]:
    changed = copy.deepcopy(small_doc())
    changed["nodes"][1]["workers"] = workers
    return [small_doc(), changed]


def start(client, scenario_id: str, **body):
    return post_json(client, "/api/runs/batch", {"scenario_id": scenario_id, **body})


def execute_all(batch_id: str) -> None:
    for run in Run.objects.filter(batch_id=batch_id).order_by("created_at"):
        run_execute(run_id=run.id)


@pytest.mark.parametrize("seeds", [0, 201, -1])
def test_seeds_outside_1_to_200_are_422_naming_seeds(user_client, small, seeds):
    response = start(user_client, small["id"], param="seed", values=[1], seeds=seeds)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == "seeds"
    assert not Run.objects.exists()


def test_more_runs_than_a_batch_may_have_is_422(user_client, small, settings):
    settings.MSCOMM_MAX_BATCH_RUNS = 10
    response = start(user_client, small["id"], variants=two_variants(), seeds=6)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": "seeds", "msg": "at most 10 runs per batch (variants x seeds)"}
    ]


def test_every_variant_runs_on_the_same_derived_seeds(user_client, small):
    response = start(user_client, small["id"], variants=two_variants(), seed=5, seeds=4)
    assert response.status_code == 201, response.content
    batch = response.json()
    assert (batch["seeds"], batch["progress"]) == (4, {"done": 0, "total": 8})
    assert [v["variant"] for v in batch["variants"]] == [{"index": 0}, {"index": 1}]
    runs = list(Run.objects.filter(batch_id=batch["id"]).order_by("created_at"))
    assert [run.seed for run in runs] == seeds_derive(5, 4) * 2
    assert [(run.variant or {}).get("seed_index", 0) for run in runs] == [0, 1, 2, 3] * 2
    assert [v["run"]["seed"] for v in batch["variants"]] == [5, 5]
    # The runs list shows each variant's first seed, not the extras.
    listed = user_client.get("/api/runs").json()
    assert sorted(r["id"] for r in listed) == sorted(v["run"]["id"] for v in batch["variants"])


def test_extra_seeds_do_not_count_against_the_concurrent_batch_limit(user_client, small, settings):
    settings.MSCOMM_MAX_CONCURRENT_BATCH_RUNS = 2
    assert start(user_client, small["id"], variants=two_variants(), seeds=10).status_code == 201
    refused = start(user_client, small["id"], param="seed", values=[1])
    assert refused.status_code == 429 and "at most 2" in refused.json()["detail"]


def test_one_seed_keeps_one_run_per_variant_and_has_no_interval(user_client, small):
    batch = start(user_client, small["id"], variants=two_variants()).json()
    assert Run.objects.filter(batch_id=batch["id"]).count() == 2
    execute_all(batch["id"])
    body = user_client.get(f"/api/runs/batch/{batch['id']}").json()
    assert body["done"] and body["seeds"] == 1
    stats = body["variants"][0]["stats"][P99]
    assert stats["n"] == 1 and stats["ci95"] is None
    assert stats["mean"] == body["variants"][0]["result"]["requests"]["latency_ms"]["p99"]
    rows = {row["key"]: row for row in body["diff"]}
    assert rows[P99]["verdict"] in ("same", "uncertain")


def test_stats_and_diff_over_seeds_and_a_figures_values(user_client, small):
    batch = start(user_client, small["id"], variants=two_variants(workers=4), seeds=5).json()
    execute_all(batch["id"])
    runs = list(Run.objects.filter(batch_id=batch["id"]).order_by("created_at"))
    assert all(run.state == RunState.SUCCEEDED for run in runs)
    # Only each variant's first seed keeps frames for playback.
    assert [run.frame_count > 0 for run in runs] == [True, False, False, False, False] * 2
    body = user_client.get(f"/api/runs/batch/{batch['id']}").json()
    assert body["progress"] == {"done": 10, "total": 10}
    p99s = [run.result["requests"]["latency_ms"]["p99"] for run in runs[:5]]
    stats = body["variants"][0]["stats"][P99]
    assert stats["n"] == 5
    assert stats["mean"] == pytest.approx(sum(p99s) / 5, abs=1e-5)
    assert stats["ci95"][0] < stats["mean"] < stats["ci95"][1]
    assert body["variants"][0]["seeds"] == {"total": 5, "done": 5, "succeeded": 5}
    rows = {row["key"]: row for row in body["diff"]}
    # Four workers instead of one at pay: the timeouts and blocked time go, every seed.
    blocked = rows["services.order.blocked_fraction"]
    assert blocked["n"] == 5 and blocked["ci95"][1] < 0 and blocked["verdict"] == "better"
    values = user_client.get(f"/api/runs/batch/{batch['id']}/values", {"key": P99}).json()
    assert values["variants"][0]["values"] == p99s
    bad = user_client.get(f"/api/runs/batch/{batch['id']}/values", {"key": "requests.nope"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == "key"


def test_a_variant_from_a_run_on_many_seeds(user_client, small):
    response = post_json(
        user_client,
        "/api/variants",
        {
            "scenario_id": small["id"],
            "seeds": 3,
            "change": {"kind": "flip", "link": "charge", "to": "async"},
        },
    )
    assert response.status_code == 201, response.content
    runs = Run.objects.filter(batch_id=response.json()["id"]).order_by("created_at")
    assert [run.seed for run in runs] == seeds_derive(3, 3) * 2
    bad = post_json(
        user_client,
        "/api/variants",
        {"scenario_id": small["id"], "seeds": 500, "change": {"kind": "flip", "link": "charge"}},
    )
    assert bad.status_code == 422


@pytest.mark.slow
def test_seeds_fan_out_over_real_workers_and_a_rerun_gives_the_same_numbers(
    start_worker, user_client, small
):
    start_worker()

    def finished(body: dict) -> dict:
        url = f"/api/runs/batch/{body['id']}"
        return wait_for(
            lambda: (got := user_client.get(url).json())["done"] and got,
            timeout=120,
            what="the batch to finish",
        )

    same = [small_doc(), small_doc()]
    first = finished(start(user_client, small["id"], variants=same, seed=9, seeds=6).json())
    again = finished(start(user_client, small["id"], variants=same, seed=9, seeds=6).json())
    assert first["progress"] == {"done": 12, "total": 12}
    assert all(v["seeds"]["succeeded"] == 6 for v in first["variants"])
    # A against A: every figure is the same on every seed.
    assert {row["verdict"] for row in first["diff"]} <= {"same", "n/a"}
    assert [v["stats"] for v in first["variants"]] == [v["stats"] for v in again["variants"]]
    assert first["diff"] == again["diff"]
    assert first["variants"][0]["stats"][P99]["n"] == 6


def test_an_slo_naming_a_figure_that_does_not_exist_is_422(user_client):
    doc = {
        **small_doc(),
        "slos": [{"id": "x", "metric": "services.nope.utilization", "op": "<=", "target": 1}],
    }
    response = post_json(user_client, "/api/scenarios", {"doc": doc})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == "slos[0].metric"


def test_each_variant_says_in_how_many_seeds_each_slo_held(user_client):
    slos = [
        {
            "id": "ran",
            "label": "requests arrived",
            "metric": "requests.started",
            "op": ">=",
            "target": 1,
        },
        {"id": "instant", "metric": "requests.latency_ms.p50", "op": "<=", "target": 0},
    ]
    doc = {**small_doc(), "slos": slos}
    scenario = post_json(user_client, "/api/scenarios", {"doc": doc}).json()
    batch = start(user_client, scenario["id"], variants=[doc], seeds=4).json()
    execute_all(batch["id"])
    body = user_client.get(f"/api/runs/batch/{batch['id']}").json()
    ran, instant = body["variants"][0]["slos"]
    assert (ran["id"], ran["label"], ran["met"], ran["n"], ran["share"]) == (
        "ran",
        "requests arrived",
        4,
        4,
        1.0,
    )
    assert (instant["met"], instant["n"]) == (0, 4) and instant["ci95"][1] < 0.5
    first = body["variants"][0]["result"]
    assert first["slos"][1] == {
        "id": "instant",
        "value": first["requests"]["latency_ms"]["p50"],
        "met": False,
    }


@pytest.mark.parametrize("count", [1, 7, 99, 199])
def test_workers_claim_extra_seeds_in_groups_that_shrink_towards_the_end(count):
    sizes, left = [], count
    while left:
        sizes.append(seed_claim_size(left))
        left -= sizes[-1]
    assert all(1 <= size <= 10 for size in sizes)
    assert sizes == sorted(sizes, reverse=True)  # the workers finish together
    if count >= 8:
        assert sizes[-1] == 1 and len(sizes) < count
    # Enough tasks to reach every worker of a large deployment, not one per seed.
    assert 1 <= seed_pullers(count) <= min(32, count)
    assert seed_pullers(count) == -(-count // 10) or seed_pullers(count) == 32


def extras(user_client, scenario_id: str, seeds: int, doc: dict | None = None) -> list[Run]:
    response = start(user_client, scenario_id, variants=[doc or small_doc()], seeds=seeds)
    assert response.status_code == 201, response.content
    runs = Run.objects.filter(batch_id=response.json()["id"]).order_by("created_at")
    return [run for run in runs if (run.variant or {}).get("seed_index")]


def test_a_chunk_is_claimed_together_and_a_second_delivery_runs_nothing(user_client, small):
    chunk = extras(user_client, small["id"], 5)
    run_cancel(run=chunk[1])  # cancelled while queued: the chunk leaves it alone
    run_execute_many(run_ids=[run.id for run in chunk])
    done = {run.id: run for run in Run.objects.filter(id__in=[run.id for run in chunk])}
    states = [done[run.id].state for run in chunk]
    assert states == [RunState.SUCCEEDED, RunState.CANCELLED, *[RunState.SUCCEEDED] * 2]
    assert all(done[run.id].result["seed"] == run.seed for run in chunk if run.id != chunk[1].id)
    # Claimed together: one start time for all of them.
    assert len({done[run.id].started_at for run in chunk if run.id != chunk[1].id}) == 1
    finished = {run.id: run.finished_at for run in done.values()}
    run_execute_many(run_ids=[run.id for run in chunk])  # the task delivered again
    assert {run.id: run.finished_at for run in Run.objects.filter(id__in=finished)} == finished


def test_a_chunks_runs_are_recorded_in_groups_each_with_its_own_result(
    user_client, small, monkeypatch
):
    chunk = extras(user_client, small["id"], 5)
    monkeypatch.setattr(executor, "FINISH_GROUP_S", 60.0)  # one group: the whole chunk
    run_execute_many(run_ids=[run.id for run in chunk])
    done = {run.id: run for run in Run.objects.filter(id__in=[run.id for run in chunk])}
    assert len({run.finished_at for run in done.values()}) == 1  # written together
    for run in chunk:
        ended = done[run.id]
        assert ended.state == RunState.SUCCEEDED and ended.error == ""
        alone = patterns.simulate(patterns.load(run.doc), seed=run.seed)
        assert ended.result["requests"] == alone["requests"]  # its own seed's figures
        assert ended.result["engine"]["events"] == alone["engine"]["events"]
        assert (ended.progress, ended.frame_count, ended.frame_log) == (1.0, 0, None)
        assert ended.sim_time_s == ended.result["sim_time_s"] > 0
        # Its viewers were told, last thing in its stream, and the stream will go.
        client = stream.redis_client()
        ((_, fields),) = client.xrevrange(stream.frames_key(run.id), count=1)
        kind, told = stream.entry_decode(fields)
        assert (kind, told["state"], told["id"]) == (stream.RUN, "succeeded", str(run.id))
        assert client.ttl(stream.frames_key(run.id)) > 0


def test_a_run_ended_elsewhere_before_its_group_is_written_keeps_that_end(
    user_client, small, monkeypatch
):
    chunk = extras(user_client, small["id"], 4)
    monkeypatch.setattr(executor, "FINISH_GROUP_S", 60.0)
    run_one = executor._run_one

    def reaped_after_the_second(run, pulse, loaded):
        outcome = run_one(run, pulse, loaded)
        if run.id == chunk[1].id:  # the first one's worker looked dead to the reaper
            Run.objects.filter(id=chunk[0].id).update(state=RunState.FAILED, error="reaped")
        return outcome

    monkeypatch.setattr(executor, "_run_one", reaped_after_the_second)
    run_execute_many(run_ids=[run.id for run in chunk])
    ended = {run.id: run for run in Run.objects.filter(id__in=[run.id for run in chunk])}
    assert (ended[chunk[0].id].state, ended[chunk[0].id].error) == (RunState.FAILED, "reaped")
    assert ended[chunk[0].id].result is None
    assert [ended[run.id].state for run in chunk[1:]] == [RunState.SUCCEEDED] * (len(chunk) - 1)


@pytest.mark.parametrize("group_s", [0.0, 60.0])
def test_the_pulse_keeps_a_chunks_waiting_runs_from_the_reaper(user_client, monkeypatch, group_s):
    # A first run long enough for the reaper to look several times before the second
    # starts: the second was claimed with the first, so only its pulse keeps it alive.
    # With the chunk written as one group at its end, the pulse keeps the finished runs
    # waiting to be written alive too.
    monkeypatch.setattr(executor, "FINISH_GROUP_S", group_s)
    long = {**small_doc(), "duration_s": 200}
    response = post_json(user_client, "/api/scenarios", {"doc": long})
    assert response.status_code == 201
    chunk = extras(user_client, response.json()["id"], 4, long)
    monkeypatch.setattr(executor, "HEARTBEAT_S", 0.05)
    reaped: list[str] = []
    stop = threading.Event()

    def reaper() -> None:
        try:
            while not stop.wait(0.05):
                reaped.extend(run_reap(timeout_s=0.3))
        finally:
            connection.close()

    thread = threading.Thread(target=reaper)
    thread.start()
    try:
        run_execute_many(run_ids=[run.id for run in chunk])
    finally:
        stop.set()
        thread.join()
    ended = Run.objects.filter(id__in=[run.id for run in chunk])
    assert reaped == []
    assert {run.state for run in ended} == {RunState.SUCCEEDED}
    # Long enough that, without the waiting runs' heartbeats, the reaper would have failed
    # the last: it started well after the reaper's timeout.
    assert max(run.finished_at for run in ended) - min(run.started_at for run in ended) > (
        timedelta(seconds=0.6)
    )


def test_an_unpaced_runs_frames_go_out_in_groups_and_its_log_is_what_it_streamed(
    user_client, small
):
    response = start(user_client, small["id"], variants=[small_doc()])
    assert response.status_code == 201
    (run,) = Run.objects.filter(batch_id=response.json()["id"])
    run_execute(run_id=run.id)
    run.refresh_from_db()
    streamed = list(stream.frames_all_raw(run.id))
    assert run.frame_count == len(streamed) > executor.BATCH_STEPS
    assert stream.frame_log_lines(run.frame_log, since=0, limit=None) == streamed
    assert [json.loads(line)["seq"] for line in streamed] == list(range(1, len(streamed) + 1))


def test_frames_sent_again_by_a_retried_pipeline_are_not_an_error():
    run_id = "retried-pipeline"
    client = stream.redis_client()
    client.delete(stream.frames_key(run_id))
    frames = [{"seq": seq, "t": seq / 10, "events": [], "counts": {}} for seq in (1, 2, 3)]
    first = stream.frames_publish(run_id, frames)
    assert stream.frames_publish(run_id, frames) == first  # they are there already
    assert list(stream.frames_all_raw(run_id)) == first
    client.delete(stream.frames_key(run_id))
    stream.frames_publish(run_id, frames[2:])
    with pytest.raises(redis.ResponseError):  # behind the stream's top, and never sent
        stream.frames_publish(run_id, frames[:1])
    client.delete(stream.frames_key(run_id))


def test_workers_pulling_from_one_batch_run_every_seed_once_and_a_second_delivery_nothing(
    user_client, small
):
    chunk = extras(user_client, small["id"], 30)
    run_cancel(run=chunk[3])  # cancelled while queued: nobody claims it
    batch_id = chunk[0].batch_id
    errors: list[BaseException] = []

    def pull() -> None:
        try:
            run_execute_extras(batch_id=batch_id)
        except BaseException as err:
            errors.append(err)
        finally:
            connection.close()

    pullers = [threading.Thread(target=pull) for _ in range(2)]
    for thread in pullers:
        thread.start()
    for thread in pullers:
        thread.join()
    assert errors == []
    ended = {run.id: run for run in Run.objects.filter(id__in=[run.id for run in chunk])}
    states = [ended[run.id].state for run in chunk]
    assert states.count(RunState.CANCELLED) == 1 and ended[chunk[3].id].state == "cancelled"
    assert states.count(RunState.SUCCEEDED) == len(chunk) - 1
    assert all(ended[run.id].result["seed"] == run.seed for run in chunk if run != chunk[3])
    # Claimed a few at a time, fewer towards the end.
    groups = Counter(run.started_at for run in ended.values() if run.started_at)
    sizes = [groups[at] for at in sorted(groups)]
    assert 1 < len(sizes) < len(chunk) and max(sizes) <= 10 and sizes[-1] == 1
    finished = {run.id: run.finished_at for run in ended.values()}
    run_execute_extras(batch_id=batch_id)  # a task delivered again, or one that came late
    assert {run.id: run.finished_at for run in Run.objects.filter(id__in=finished)} == finished


def test_a_batchs_extra_seeds_go_out_as_a_few_pulling_tasks(user_client, small, monkeypatch):
    sent: list = []
    monkeypatch.setattr("celery.canvas.group.apply_async", lambda self, *a, **k: sent.append(self))
    response = start(user_client, small["id"], variants=[small_doc(), small_doc()], seeds=25)
    assert response.status_code == 201
    (tasks,) = sent
    names = [task.task for task in tasks.tasks]
    assert names.count("mscomm.runs.tasks.run_execute_task") == 2  # each variant's first seed
    # 48 extra seeds: one task per ten of them, each pulling from the batch.
    pullers = [task for task in tasks.tasks if task.task.endswith("run_execute_extras_task")]
    assert len(pullers) == 5 and {tuple(task.args) for task in pullers} == {
        (response.json()["id"],)
    }
