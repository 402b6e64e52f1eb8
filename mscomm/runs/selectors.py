"""Read-only queries and the public shape of a run."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from mscomm.accounts.models import Workspace
from mscomm.accounts.selectors import owned_get
from mscomm.runs import stream
from mscomm.runs.models import Batch, Run


def run_public(run: Run) -> dict[str, Any]:
    """The run as the API and the websocket show it (docs/http-api.md)."""
    return {
        "id": str(run.id),
        "scenario_id": str(run.scenario_id) if run.scenario_id else None,
        "scenario_name": run.scenario_name,
        "state": run.state,
        "mode": run.mode,
        "seed": run.seed,
        "speed": run.speed,
        "progress": run.progress,
        "sim_time_s": run.sim_time_s,
        "created_at": _iso(run.created_at),
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "error": run.error,
        "faults_injected": run.faults_injected,
        "batch_id": str(run.batch_id) if run.batch_id else None,
        "variant": run.variant,
    }


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def run_list(*, workspace: Workspace | None) -> QuerySet[Run]:
    """The workspace's runs, newest first, without their heavy columns; a batch's extra
    seeds are left out (a hundred of them would bury every other run)."""
    if workspace is None:
        return Run.objects.none()
    runs = Run.objects.filter(workspace=workspace).exclude(variant__has_key="seed_index")
    return runs.defer("doc", "result", "frame_log")


def run_get(*, workspace: Workspace | None, run_id: Any, defer: tuple[str, ...] = ()) -> Run:
    """The workspace's run, or `NotFound` (also for someone else's).

    The one ownership rule for runs: the API and the run websocket both ask here.
    `defer` leaves heavy columns unloaded.
    """
    return owned_get(Run.objects.defer(*defer), workspace=workspace, pk=run_id, what="run")


SEQ_MAX = 2**53


def run_frames(*, run: Run, since: int, limit: int) -> list[dict]:
    """Frames with seq > since: from the stored log once finished, else from Redis."""
    if run.finished and run.frame_log is not None:
        return stream.frame_log_slice(run.frame_log, since=since, limit=limit)
    return stream.frames_read(run.id, since=since, limit=limit)


def run_frames_page(*, run: Run, since: int, limit: int) -> dict[str, Any]:
    """One page of the frames API: `{"frames", "next", "done"}` (docs/http-api.md)."""
    # Past any real seq, and small enough for a Redis stream id (a larger one is a 500).
    since = min(max(0, since), SEQ_MAX)
    frames = run_frames(run=run, since=since, limit=limit)
    last = frames[-1]["seq"] if frames else since
    return {"frames": frames, "next": last, "done": run.finished and last >= run.frame_count}


def batch_get(*, workspace: Workspace | None, batch_id: Any) -> Batch:
    """The workspace's batch, or `NotFound`."""
    return owned_get(Batch.objects.all(), workspace=workspace, pk=batch_id, what="batch")
