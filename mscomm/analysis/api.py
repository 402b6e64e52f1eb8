"""The analysis endpoints under /api/ (docs/http-api.md, "Analysis"): thin views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal
from uuid import UUID

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from mscomm.accounts.services import workspace_get
from mscomm.analysis import batches, services
from mscomm.api import openapi
from mscomm.api.common import errors, own_run
from mscomm.api.schemas import BatchOut, ErrorOut
from mscomm.runs import selectors as run_selectors
from mscomm.scenarios import services as scenario_services

ERRORS = errors(404, 422, 429)
EXPORTS = ("scenario.json", "result.json", "result.csv", "timeline.csv")

router = Router(tags=["analysis"])


def _download(body: str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


async def _rerun(request: HttpRequest, run_id: UUID, fn: Callable[..., Any], **kwargs: Any) -> Any:
    """`fn(run=..., **kwargs)` on the caller's run, off the request thread.

    Traces re-run the whole simulation (seconds of CPU for a big run). Under ASGI every
    sync view shares one thread, so a sync view would stall all the others meanwhile.
    """
    run = await sync_to_async(own_run)(request, run_id)
    return await sync_to_async(fn, thread_sensitive=False)(run=run, **kwargs)


@router.get("/runs/{uuid:run_id}/requests", response={200: dict, **ERRORS})
async def requests_sample(
    request: HttpRequest, run_id: UUID, size: int = Query(50, ge=1, le=services.SAMPLE_MAX)
):
    """A sample of the run's requests (at most 200), failed first, then the slowest."""
    return await _rerun(request, run_id, services.run_requests, size=size)


@router.get("/runs/{uuid:run_id}/requests/{corr}", response={200: dict, **ERRORS})
async def request_trace(request: HttpRequest, run_id: UUID, corr: str):
    """One request's spans and phases."""
    return await _rerun(request, run_id, services.run_trace, corr=corr)


@router.get("/runs/{uuid:run_id}/requests/{corr}/events", response={200: dict, **ERRORS})
async def request_events(request: HttpRequest, run_id: UUID, corr: str):
    """One request's trace events (what the run view's sequence diagram is drawn from)."""
    return await _rerun(request, run_id, services.run_request_events, corr=corr)


@router.get("/runs/{uuid:run_id}/requests/{corr}/otlp", response={200: dict, **ERRORS})
async def request_otlp(request: HttpRequest, run_id: UUID, corr: str):
    """The request's trace as an OTLP JSON download (opens in Jaeger)."""
    doc = await _rerun(request, run_id, services.run_trace_otlp, corr=corr)
    response = JsonResponse(doc)
    response["Content-Disposition"] = f'attachment; filename="trace-{run_id}-{corr}.otlp.json"'
    return response


@router.get(
    "/runs/{uuid:run_id}/requests/{corr}/mermaid",
    response={200: None, **ERRORS},
    openapi_extra=openapi.download(("text/plain", openapi.TEXT)),
)
async def request_mermaid(request: HttpRequest, run_id: UUID, corr: str):
    """The request's trace as a Mermaid sequence diagram."""
    text = await _rerun(request, run_id, services.run_trace_mermaid, corr=corr)
    return _download(text, "text/plain", f"trace-{run_id}-{corr}.mmd")


@router.get(
    "/runs/{uuid:run_id}/export/{what}",
    response={200: None, **ERRORS},
    openapi_extra=openapi.download(("application/json", {}), ("text/csv", openapi.TEXT)),
)
def run_export(request: HttpRequest, run_id: UUID, what: str):
    """`scenario.json`, `result.json`, `result.csv` or `timeline.csv` as a download."""
    return _download(*services.run_export(run=own_run(request, run_id), what=what))


@router.get("/compare/{uuid:run_a}/{uuid:run_b}", response={200: dict, **ERRORS})
def compare(request: HttpRequest, run_a: UUID, run_b: UUID):
    """Two of the caller's runs side by side: states, metric differences, timelines."""
    return services.runs_compare(run_a=own_run(request, run_a), run_b=own_run(request, run_b))


class Change(Schema):
    kind: Literal["flip", "toggle"]
    link: str | None = Field(None, max_length=40)
    to: str | None = Field(None, max_length=10)
    target: str | None = Field(None, max_length=40)
    setting: str | None = Field(None, max_length=40)


class VariantIn(Schema):
    run_id: UUID | None = None
    scenario_id: UUID | None = None
    seed: int | None = None
    seeds: int = 1
    change: Change


@router.post("/variants", response={201: BatchOut, 400: ErrorOut, **ERRORS})
def variant_start(request: HttpRequest, body: VariantIn):
    """A scenario (or a run's snapshot) and a variant with one change, run as a batch."""
    workspace = workspace_get(request=request, create=False)
    change: dict[str, Any] = body.change.dict()
    if body.run_id is not None:
        run = run_selectors.run_get(workspace=workspace, run_id=body.run_id)
        scenario, doc = run.scenario, run.doc
        seed = run.seed if body.seed is None else body.seed
    elif body.scenario_id is not None:
        scenario = scenario_services.scenario_get(workspace=workspace, scenario_id=body.scenario_id)
        doc, seed = scenario.doc, body.seed
    else:
        return Status(422, {"detail": [{"loc": "run_id", "msg": "give run_id or scenario_id"}]})
    batch = services.variant_start(
        workspace=workspace, scenario=scenario, doc=doc, change=change, seed=seed, seeds=body.seeds
    )
    return Status(201, batches.batch_public(batch))


@router.get("/runs/batch/{uuid:batch_id}/values", response={200: dict, **ERRORS})
def batch_values(request: HttpRequest, batch_id: UUID, key: str = ""):
    """One figure of every variant, seed by seed (for its distribution). `key` is checked
    after the batch is found, so a stranger gets 404 whatever the query."""
    workspace = workspace_get(request=request, create=False)
    batch = run_selectors.batch_get(workspace=workspace, batch_id=batch_id)
    return batches.batch_values(batch=batch, key=key)
