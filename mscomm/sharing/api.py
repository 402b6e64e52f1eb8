"""`/api/shares`: the owner's share links, and what a link's holder may do with its token.

Mounted by mscomm/api/api.py, whose session auth, CSRF check and error handlers apply.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from mscomm.accounts.services import workspace_get
from mscomm.api.schemas import ErrorOut, FramesOut, RunOut, ScenarioOut
from mscomm.runs import selectors as run_selectors
from mscomm.sharing import services
from mscomm.sharing.headers import shared_headers
from mscomm.sharing.models import ShareLink
from mscomm.sharing.ratelimit import client_ip, rate_check
from mscomm.sharing.selectors import share_get, share_list, share_resolve

FRAMES_PAGE = 500
ERRORS = {code: ErrorOut for code in (400, 404, 409, 413, 422, 429)}
# What a link's holder sees of a run: no ids that lead back to the owner's things.
PRIVATE_RUN_FIELDS = ("id", "scenario_id", "batch_id", "variant")

shares_router = Router(tags=["shares"])


class ShareIn(Schema):
    scenario_id: UUID | None = None
    run_id: UUID | None = None
    expires_at: datetime | None = None


class ShareExpiryIn(Schema):
    expires_at: datetime | None = None


class ShareOut(Schema):
    id: UUID
    kind: Literal["scenario", "run"]
    scenario_id: UUID | None
    run_id: UUID | None
    name: str
    hint: str
    created_at: datetime
    expires_at: datetime | None


class ShareCreatedOut(ShareOut):
    token: str
    url: str


class SharedRunIn(Schema):
    seed: int | None = None
    speed: float | None = None  # None: the scenario's `watch` speed, else 0.05


def share_public(share: ShareLink) -> dict[str, Any]:
    """The link as its owner sees it (never the token, which is not stored)."""
    return {
        "id": share.id,
        "kind": share.kind,
        "scenario_id": share.scenario_id,
        "run_id": share.run_id,
        "name": share.run.scenario_name if share.run_id else share.scenario.name,
        "hint": share.hint,
        "created_at": share.created_at,
        "expires_at": share.expires_at,
    }


def shared_run_public(share: ShareLink) -> dict[str, Any] | None:
    if not share.run_id:
        return None
    run = run_selectors.run_public(share.run)
    return {key: value for key, value in run.items() if key not in PRIVATE_RUN_FIELDS}


# -- the owner's links ----------------------------------------------------------------


@shares_router.post("", response={201: ShareCreatedOut, **ERRORS})
def shares_create(request: HttpRequest, body: ShareIn):
    workspace = workspace_get(request=request, create=False)
    share, token = services.share_create(
        workspace=workspace,
        scenario_id=body.scenario_id,
        run_id=body.run_id,
        expires_at=body.expires_at,
    )
    return Status(201, {**share_public(share), "token": token, "url": f"/s/{token}"})


@shares_router.get("", response=list[ShareOut])
def shares_list(request: HttpRequest, scenario_id: UUID | None = None, run_id: UUID | None = None):
    workspace = workspace_get(request=request, create=False)
    links = share_list(workspace=workspace, scenario_id=scenario_id, run_id=run_id)
    return [share_public(share) for share in links[:500]]


@shares_router.get("/{uuid:share_id}", response={200: ShareOut, **ERRORS})
def shares_detail(request: HttpRequest, share_id: UUID):
    workspace = workspace_get(request=request, create=False)
    return share_public(share_get(workspace=workspace, share_id=share_id))


@shares_router.patch("/{uuid:share_id}", response={200: ShareOut, **ERRORS})
def shares_set_expiry(request: HttpRequest, share_id: UUID, body: ShareExpiryIn):
    workspace = workspace_get(request=request, create=False)
    share = services.share_set_expiry(
        workspace=workspace, share_id=share_id, expires_at=body.expires_at
    )
    return share_public(share)


@shares_router.delete("/{uuid:share_id}", response={204: None, **ERRORS})
def shares_revoke(request: HttpRequest, share_id: UUID):
    workspace = workspace_get(request=request, create=False)
    services.share_revoke(workspace=workspace, share_id=share_id)
    return Status(204, None)


# -- a link's holder (anyone with the token) ------------------------------------------


def _resolve(token: str, response: HttpResponse) -> ShareLink:
    share = share_resolve(token=token)
    shared_headers(response)
    return share


@shares_router.get("/t/{token}", response={200: dict, **ERRORS})
def shared_detail(request: HttpRequest, token: str, response: HttpResponse):
    share = _resolve(token, response)
    return {
        "kind": share.kind,
        "name": share.run.scenario_name if share.run_id else share.scenario.name,
        "doc": services.share_doc(share),
        "run": shared_run_public(share),
        "created_at": share.created_at,
        "expires_at": share.expires_at,
    }


@shares_router.get("/t/{token}/result", response={200: dict, **ERRORS})
def shared_result(request: HttpRequest, token: str, response: HttpResponse):
    share = _resolve(token, response)
    if not share.run_id or share.run.result is None:
        raise HttpError(404, "this link has no run result")
    return share.run.result


@shares_router.get("/t/{token}/frames", response={200: FramesOut, **ERRORS})
def shared_frames(request: HttpRequest, token: str, response: HttpResponse, since: int = 0):
    share = _resolve(token, response)
    if not share.run_id:
        raise HttpError(404, "this link is to a scenario, not a run")
    return run_selectors.run_frames_page(run=share.run, since=since, limit=FRAMES_PAGE)


def _limit(request: HttpRequest, action: str, workspace_id: Any) -> None:
    rate_check(
        action=action,
        keys=[f"ip:{client_ip(request)}", f"ws:{workspace_id}"],
        limit=settings.MSCOMM_SHARE_ACTIONS_PER_WINDOW,
        window_s=settings.MSCOMM_SHARE_WINDOW_S,
    )


@shares_router.post("/t/{token}/run", response={201: RunOut, **ERRORS})
def shared_run(request: HttpRequest, token: str, body: SharedRunIn, response: HttpResponse):
    share = _resolve(token, response)
    workspace = workspace_get(request=request, create=True)
    _limit(request, "share-run", workspace.id)
    run = services.share_run_start(
        share=share, workspace=workspace, seed=body.seed, speed=body.speed
    )
    return Status(201, run_selectors.run_public(run))


@shares_router.post("/t/{token}/fork", response={201: ScenarioOut, **ERRORS})
def shared_fork(request: HttpRequest, token: str, response: HttpResponse):
    share = _resolve(token, response)
    workspace = workspace_get(request=request, create=True)
    _limit(request, "share-fork", workspace.id)
    return Status(201, services.share_fork(share=share, workspace=workspace))
