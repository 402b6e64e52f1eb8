"""`/api/library`: the built-in labs from `patterns.library`, in the API's shape."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

import patterns.library
from mscomm.accounts.services import workspace_get
from mscomm.api.common import ERRORS
from mscomm.api.schemas import ErrorOut, LabDetailOut, LabOut, ScenarioOut
from mscomm.errors import NotFound
from mscomm.scenarios import services as scenario_services


def _field(lab: Any, name: str, default: Any = "") -> Any:
    # Labs may be mappings or objects with attributes; read both.
    if isinstance(lab, dict):
        return lab.get(name, default)
    return getattr(lab, name, default)


def lab_get(slug: str) -> Any:
    """The lab called `slug`, or `NotFound`."""
    try:
        lab = patterns.library.get_lab(slug)
    except (KeyError, LookupError, ValueError):
        lab = None
    if lab is None:
        raise NotFound(f"lab {slug!r} not found")
    return lab


def lab_summary(lab: Any) -> dict:
    return {
        "slug": _field(lab, "slug"),
        "name": _field(lab, "name"),
        "summary": _field(lab, "summary") or "",
        "description": _field(lab, "description") or "",
    }


def lab_detail(lab: Any) -> dict:
    return {**lab_summary(lab), "doc": _field(lab, "doc", None)}


library_router = Router(tags=["library"])


@library_router.get("", response=list[LabOut])
def library_list(request: HttpRequest):
    return [lab_summary(lab) for lab in patterns.library.list_labs()]


@library_router.get("/{slug}", response={200: LabDetailOut, 404: ErrorOut})
def library_detail(request: HttpRequest, slug: str):
    return lab_detail(lab_get(slug))


@library_router.post("/{slug}/copy", response={201: ScenarioOut, **ERRORS})
def library_copy(request: HttpRequest, slug: str):
    lab = lab_detail(lab_get(slug))
    workspace = workspace_get(request=request, create=True)
    return Status(201, scenario_services.scenario_create(workspace=workspace, doc=lab["doc"]))
