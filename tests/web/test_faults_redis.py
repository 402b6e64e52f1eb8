"""Redis restarted under live runs and their viewers (daphne, a Celery worker, beat).

Redis runs with its append-only file, as docker-compose.yml runs it, and is stopped
cleanly and started again on the same port while runs stream. Every run reaches a final
state, every viewer (reconnecting from its last frame, as the page does) sees every
frame once and in order, and what was stored before stays as it was.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from mscomm.runs.models import Run, RunState
from tests.web.conftest import cookie_header, wait_for
from tests.web.processes import (  # noqa: F401 (fixtures)
    Processes,
    Viewer,
    assert_run_unchanged,
    chain_doc,
    create_scenario,
    gaps,
    own_redis,
    processes,
    run_finished,
    start_run,
    watch,
)

pytestmark = [
    pytest.mark.any_database,
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.timeout(600),
]


def test_runs_and_viewers_live_through_a_redis_restart(
    own_redis,  # noqa: F811
    processes: Processes,  # noqa: F811
    user_client,
    slow,
    record_figure,
):
    count = 10 if slow else 3
    url = processes.daphne()
    processes.worker("live", queues="live", concurrency=count + 2)
    processes.worker("batch", queues="batch", concurrency=1)
    processes.beat()
    scenario_id = create_scenario(user_client, chain_doc())
    kept = run_finished(user_client, scenario_id)

    # About 20 s of wall time each: the restart falls in the middle.
    run_ids = [start_run(user_client, scenario_id, speed=65 / 20) for _ in range(count)]
    cookie = cookie_header(user_client)[1].decode()
    viewers = [Viewer() for _ in run_ids]

    def follow() -> None:
        async def all_viewers() -> None:
            await asyncio.gather(
                *(
                    watch(url, run_id, cookie=cookie, viewer=viewer, timeout_s=150)
                    for run_id, viewer in zip(run_ids, viewers, strict=True)
                )
            )

        asyncio.run(all_viewers())

    thread = threading.Thread(target=follow)
    thread.start()
    wait_for(lambda: all(len(v.seqs) >= 20 for v in viewers), timeout=120, what="frames to flow")
    restarted_at = time.monotonic()
    own_redis.restart(down_s=1.0)
    down_s = time.monotonic() - restarted_at
    thread.join(timeout=200)
    assert not thread.is_alive(), "viewers did not see their runs end"

    finals = Run.objects.filter(id__in=run_ids)
    by_state = {s: sum(r.state == s for r in finals) for s in {r.state for r in finals}}
    record_figure(
        f"Redis restart ({down_s:.1f} s down) under {count} live runs: final states",
        by_state,
    )
    reconnects = sum(v.connects - 1 for v in viewers)
    record_figure("Redis restart: viewer reconnects (page-style, from last seq)", reconnects)
    problems = []
    for run_id, viewer in zip(run_ids, viewers, strict=True):
        run = Run.objects.get(id=run_id)
        missing, duplicated, out_of_order = gaps(viewer.seqs)
        if run.state != RunState.SUCCEEDED:
            problems.append(f"{run_id}: {run.state} {run.error}")
        if viewer.final != run.state:
            problems.append(f"{run_id}: the viewer saw {viewer.final}, the run is {run.state}")
        if (missing, duplicated, out_of_order) != (0, 0, 0):
            problems.append(f"{run_id}: missing/dup/disorder {missing, duplicated, out_of_order}")
        if run.frame_count != len(viewer.seqs):
            problems.append(f"{run_id}: stored {run.frame_count}, viewed {len(viewer.seqs)}")
    record_figure("Redis restart: runs with a problem", f"{len(problems)}/{count}")
    assert not problems, problems
    assert_run_unchanged(kept)
