"""The JSON API under /api/ (docs/http-api.md): thin views over services and selectors."""

from __future__ import annotations

import json
import logging
from uuid import UUID

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from ninja import NinjaAPI, Router, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.utils import check_csrf

import patterns
from mscomm.accounts.services import workspace_get
from mscomm.api import library
from mscomm.api.schemas import (
    BatchIn,
    BatchOut,
    DocIn,
    ErrorOut,
    FramesOut,
    LabDetailOut,
    LabOut,
    OkOut,
    RunIn,
    RunOut,
    ScenarioOut,
    ScenarioSummaryOut,
    ScenarioUpdateIn,
)
from mscomm.errors import ServiceError
from mscomm.runs import selectors as run_selectors
from mscomm.runs import services as run_services
from mscomm.runs.models import Run
from mscomm.scenarios import services as scenario_services
from mscomm.scenarios.selectors import scenario_list
from mscomm.sharing.api import shares_router

log = logging.getLogger(__name__)

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
FRAMES_PAGE = 500
ERRORS = {
    400: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    413: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}


class CsrfFailed(Exception):
    pass


def session_csrf(request: HttpRequest) -> bool:
    """Session callers (users and visitors): unsafe methods must carry the CSRF token."""
    if request.method in UNSAFE:
        if check_csrf(request) is not None:
            raise CsrfFailed()
    else:
        # Any read hands out the csrftoken cookie, so API-only clients can get one.
        get_token(request)
    return True


api = NinjaAPI(
    title="mscomm",
    version="1",
    description="Scenarios, runs and the built-in labs of mscomm.",
    auth=session_csrf,
    urls_namespace="api",
)


def _error(status: int, detail: object) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


@api.exception_handler(ServiceError)
def _service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    return _error(exc.status, exc.detail)


@api.exception_handler(CsrfFailed)
def _csrf_failed(request: HttpRequest, exc: CsrfFailed) -> HttpResponse:
    return _error(403, "CSRF check failed: send the csrftoken cookie's value in X-CSRFToken")


@api.exception_handler(ValidationError)
def _malformed(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = [
        {
            "loc": ".".join(str(part) for part in err.get("loc", ())),
            "msg": err.get("msg", ""),
        }
        for err in exc.errors
    ]
    return _error(400, problems)


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _error(413, "request body too large")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(404, "not found")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(exc.status_code, str(exc))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(401, "not signed in")


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("API error on %s %s", request.method, request.path)
    return _error(500, "internal error")


def _json_body(request: HttpRequest) -> object:
    try:
        return json.loads(request.body)
    except (ValueError, RecursionError):  # RecursionError: nested too deeply to parse
        raise HttpError(400, "the body is not JSON") from None


# -- library --------------------------------------------------------------------------

library_router = Router(tags=["library"])


@library_router.get("", response=list[LabOut])
def library_list(request: HttpRequest):
    return [library.lab_summary(lab) for lab in patterns.library.list_labs()]


@library_router.get("/{slug}", response={200: LabDetailOut, 404: ErrorOut})
def library_detail(request: HttpRequest, slug: str):
    return library.lab_detail(library.lab_get(slug))


@library_router.post("/{slug}/copy", response={201: ScenarioOut, **ERRORS})
def library_copy(request: HttpRequest, slug: str):
    lab = library.lab_detail(library.lab_get(slug))
    workspace = workspace_get(request=request, create=True)
    return Status(201, scenario_services.scenario_create(workspace=workspace, doc=lab["doc"]))


# -- scenarios ------------------------------------------------------------------------

scenarios_router = Router(tags=["scenarios"])


@scenarios_router.get("", response=list[ScenarioSummaryOut])
def scenarios_list(request: HttpRequest):
    return list(scenario_list(workspace=workspace_get(request=request, create=False)))


@scenarios_router.post("", response={201: ScenarioOut, **ERRORS})
def scenarios_create(request: HttpRequest, body: DocIn):
    workspace = workspace_get(request=request, create=True)
    return Status(201, scenario_services.scenario_create(workspace=workspace, doc=body.doc))


@scenarios_router.post("/validate", response={200: OkOut, **ERRORS})
def scenarios_validate(request: HttpRequest, body: DocIn):
    scenario_services.scenario_validate(doc=body.doc)
    return {"ok": True}


@scenarios_router.post("/import", response={201: ScenarioOut, **ERRORS})
def scenarios_import(request: HttpRequest):
    doc = _json_body(request)
    workspace = workspace_get(request=request, create=True)
    return Status(201, scenario_services.scenario_create(workspace=workspace, doc=doc))


@scenarios_router.get("/{uuid:scenario_id}", response={200: ScenarioOut, **ERRORS})
def scenarios_detail(request: HttpRequest, scenario_id: UUID):
    workspace = workspace_get(request=request, create=False)
    return scenario_services.scenario_get(workspace=workspace, scenario_id=scenario_id)


@scenarios_router.put("/{uuid:scenario_id}", response={200: ScenarioOut, **ERRORS})
def scenarios_update(request: HttpRequest, scenario_id: UUID, body: ScenarioUpdateIn):
    workspace = workspace_get(request=request, create=False)
    scenario_services.scenario_get(workspace=workspace, scenario_id=scenario_id)
    return scenario_services.scenario_update(
        workspace=workspace, scenario_id=scenario_id, doc=body.doc, version=body.version
    )


@scenarios_router.delete("/{uuid:scenario_id}", response={204: None, **ERRORS})
def scenarios_delete(request: HttpRequest, scenario_id: UUID):
    workspace = workspace_get(request=request, create=False)
    scenario_services.scenario_delete(workspace=workspace, scenario_id=scenario_id)
    return Status(204, None)


@scenarios_router.get("/{uuid:scenario_id}/export", response={200: dict, **ERRORS})
def scenarios_export(request: HttpRequest, scenario_id: UUID):
    workspace = workspace_get(request=request, create=False)
    scenario = scenario_services.scenario_get(workspace=workspace, scenario_id=scenario_id)
    response = JsonResponse(scenario.doc, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="scenario-{scenario.id}.json"'
    return response


# -- runs -----------------------------------------------------------------------------

runs_router = Router(tags=["runs"])


def _run_out(run: Run) -> dict:
    return run_selectors.run_public(run)


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
    return Status(201, _run_out(run))


@runs_router.get("", response=list[RunOut])
def runs_list(request: HttpRequest):
    workspace = workspace_get(request=request, create=False)
    return [_run_out(run) for run in run_selectors.run_list(workspace=workspace)[:200]]


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
    return Status(201, _batch_out(batch))


@runs_router.get("/batch/{uuid:batch_id}", response={200: BatchOut, **ERRORS})
def batches_detail(request: HttpRequest, batch_id: UUID):
    workspace = workspace_get(request=request, create=False)
    return _batch_out(run_selectors.batch_get(workspace=workspace, batch_id=batch_id))


def _batch_out(batch) -> dict:
    from mscomm.analysis.batches import batch_public

    return batch_public(batch)


def _own_run(request: HttpRequest, run_id: UUID) -> Run:
    workspace = workspace_get(request=request, create=False)
    return run_selectors.run_get(workspace=workspace, run_id=run_id)


@runs_router.get("/{uuid:run_id}", response={200: RunOut, **ERRORS})
def runs_detail(request: HttpRequest, run_id: UUID):
    return _run_out(_own_run(request, run_id))


@runs_router.post("/{uuid:run_id}/cancel", response={200: RunOut, **ERRORS})
def runs_cancel(request: HttpRequest, run_id: UUID):
    return _run_out(run_services.run_cancel(run=_own_run(request, run_id)))


@runs_router.get("/{uuid:run_id}/result", response={200: dict, **ERRORS})
def runs_result(request: HttpRequest, run_id: UUID):
    run = _own_run(request, run_id)
    if run.result is None:
        raise HttpError(404, f"run {run.id} has no result yet (it is {run.state})")
    return run.result


@runs_router.get("/{uuid:run_id}/frames", response={200: FramesOut, **ERRORS})
def runs_frames(request: HttpRequest, run_id: UUID, since: int = 0):
    run = _own_run(request, run_id)
    return run_selectors.run_frames_page(run=run, since=since, limit=FRAMES_PAGE)


@runs_router.get("/{uuid:run_id}/scenario", response={200: dict, **ERRORS})
def runs_scenario(request: HttpRequest, run_id: UUID):
    return _own_run(request, run_id).doc


# -- schema ---------------------------------------------------------------------------


@api.get("/schema/scenario", response=dict, tags=["scenarios"])
def scenario_schema(request: HttpRequest):
    return patterns.json_schema()


api.add_router("/library", library_router)
api.add_router("/scenarios", scenarios_router)
api.add_router("/runs", runs_router)
api.add_router("/shares", shares_router)

# Compare, variants, request traces and exports (mscomm.analysis).
from mscomm.analysis.api import router as analysis_router  # noqa: E402

api.add_router("", analysis_router)
