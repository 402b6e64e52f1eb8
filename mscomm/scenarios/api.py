"""`/api/scenarios` and `/api/schema`: the caller's scenarios, and the format's schema.

Mounted by mscomm/api/api.py, whose session auth, CSRF check and error handlers apply.
"""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, JsonResponse
from ninja import Router, Status

import patterns
from mscomm.accounts.services import workspace_get
from mscomm.api import openapi
from mscomm.api.common import ERRORS, json_body, no_content
from mscomm.api.schemas import DocIn, OkOut, ScenarioOut, ScenarioSummaryOut, ScenarioUpdateIn
from mscomm.scenarios import services as scenario_services
from mscomm.scenarios.selectors import scenario_list

schema_router = Router()


@schema_router.get("/scenario", response=dict, tags=["scenarios"])
def scenario_schema(request: HttpRequest):
    return patterns.json_schema()


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


@scenarios_router.post(
    "/import", response={201: ScenarioOut, **ERRORS}, openapi_extra=openapi.SCENARIO_BODY
)
def scenarios_import(request: HttpRequest):
    doc = json_body(request)
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
    return no_content()


@scenarios_router.get("/{uuid:scenario_id}/export", response={200: openapi.ScenarioDoc, **ERRORS})
def scenarios_export(request: HttpRequest, scenario_id: UUID):
    workspace = workspace_get(request=request, create=False)
    scenario = scenario_services.scenario_get(workspace=workspace, scenario_id=scenario_id)
    response = JsonResponse(scenario.doc, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="scenario-{scenario.id}.json"'
    return response
