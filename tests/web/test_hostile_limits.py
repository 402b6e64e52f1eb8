"""Limits on what one workspace may start: concurrent runs, start rate; both answer 429."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from mscomm.runs.models import ACTIVE_STATES, Run
from tests.web.conftest import post_json


def start(client: Client, scenario) -> int:
    body = {"scenario_id": str(scenario.id), "speed": 1, "mode": "live"}
    return post_json(client, "/api/runs", body).status_code


@pytest.mark.django_db
def test_starts_past_the_concurrent_cap_are_429(user_client, scenario, record_figure):
    cap = settings.MSCOMM_MAX_CONCURRENT_RUNS
    statuses = [start(user_client, scenario) for _ in range(cap + 5)]
    assert statuses == [201] * cap + [429] * 5
    assert Run.objects.filter(state__in=ACTIVE_STATES).count() == cap
    record_figure("starts over the concurrent-run cap answered 429", "5/5")


@pytest.mark.django_db
def test_starting_and_cancelling_in_a_loop_meets_the_rate_limit(
    user_client, scenario, settings, record_figure
):
    settings.MSCOMM_MAX_RUN_STARTS_PER_MINUTE = 12
    statuses = []
    for _ in range(20):
        status = start(user_client, scenario)
        statuses.append(status)
        for run in Run.objects.filter(state="queued"):
            user_client.post(f"/api/runs/{run.id}/cancel")
    assert statuses == [201] * 12 + [429] * 8
    assert Run.objects.count() == 12
    record_figure("starts over the rate limit answered 429", f"{statuses.count(429)}/8")


@pytest.mark.django_db(transaction=True)
def test_racing_starts_never_pass_the_cap(user, scenario, record_figure):
    cap = settings.MSCOMM_MAX_CONCURRENT_RUNS
    statuses: list[int] = []
    barrier = threading.Barrier(12)

    def racer() -> None:
        client = Client()
        client.force_login(user)
        barrier.wait()
        try:
            statuses.append(start(client, scenario))
        finally:
            connection.close()

    threads = [threading.Thread(target=racer) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    active = Run.objects.filter(state__in=ACTIVE_STATES).count()
    record_figure("runs active after 12 racing starts (cap)", f"{active} ({cap})")
    assert sorted(statuses) == [201] * cap + [429] * (12 - cap)
    assert active == cap
