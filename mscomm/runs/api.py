"""`/api/runs`: the caller's runs and batches.

Mounted by mscomm/api/api.py, whose session auth, CSRF check and error handlers apply.
"""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Status
from ninja.errors import HttpError

from mscomm.accounts.services import workspace_get
from mscomm.analysis import batches
from mscomm.api import openapi
from mscomm.api.common import ERRORS, FRAMES_PAGE, own_run
from mscomm.api.schemas import BatchIn, BatchOut, FramesOut, RunIn, RunOut
from mscomm.runs import selectors as run_selectors
from mscomm.runs import services as run_services
from mscomm.scenarios import services as scenario_services

runs_router = Router(tags=["runs"])


@runs_router.post("", response={201: RunOut, **ERRORS})
def runs_start(request: HttpRequest, body: RunIn):
    workspace = workspace_get(request=request, create=False)
    scenario = scenario_services.scenario_get(workspace=workspace, scenario_id=body.scenario_id)
    run = run_services.run_start(
        scenario=scenario,
        seed=body.seed,
        speed=body.speed,
        mode=body.mode,
        workspace=workspace,
    )
    return Status(201, run_selectors.run_public(run))


@runs_router.get("", response=list[RunOut])
def runs_list(request: HttpRequest):
    workspace = workspace_get(request=request, create=False)
    return [
        run_selectors.run_public(run) for run in run_selectors.run_list(workspace=workspace)[:200]
    ]


@runs_router.post("/batch", response={201: BatchOut, **ERRORS})
def batches_start(request: HttpRequest, body: BatchIn):
    workspace = workspace_get(request=request, create=False)
    scenario = scenario_services.scenario_get(workspace=workspace, scenario_id=body.scenario_id)
    batch = run_services.batch_start(
        scenario=scenario,
        workspace=workspace,
        seed=body.seed,
        param=body.param,
        values=body.values,
        variants=body.variants,
        seeds=body.seeds,
    )
    return Status(201, batches.batch_public(batch))


@runs_router.get("/batch/{uuid:batch_id}", response={200: BatchOut, **ERRORS})
def batches_detail(request: HttpRequest, batch_id: UUID):
    workspace = workspace_get(request=request, create=False)
    return batches.batch_public(run_selectors.batch_get(workspace=workspace, batch_id=batch_id))


@runs_router.get("/{uuid:run_id}", response={200: RunOut, **ERRORS})
def runs_detail(request: HttpRequest, run_id: UUID):
    return run_selectors.run_public(own_run(request, run_id))


@runs_router.post("/{uuid:run_id}/cancel", response={200: RunOut, **ERRORS})
def runs_cancel(request: HttpRequest, run_id: UUID):
    return run_selectors.run_public(run_services.run_cancel(run=own_run(request, run_id)))


@runs_router.get("/{uuid:run_id}/result", response={200: dict, **ERRORS})
def runs_result(request: HttpRequest, run_id: UUID):
    run = own_run(request, run_id)
    if run.result is None:
        raise HttpError(404, f"run {run.id} has no result yet (it is {run.state})")
    return run.result


@runs_router.get("/{uuid:run_id}/frames", response={200: FramesOut, **ERRORS})
def runs_frames(request: HttpRequest, run_id: UUID, since: int = 0):
    run = own_run(request, run_id)
    return run_selectors.run_frames_page(run=run, since=since, limit=FRAMES_PAGE)


@runs_router.get("/{uuid:run_id}/scenario", response={200: openapi.ScenarioDoc, **ERRORS})
def runs_scenario(request: HttpRequest, run_id: UUID):
    return own_run(request, run_id).doc
