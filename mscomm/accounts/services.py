"""Finding, creating and merging workspaces."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest

from mscomm.accounts.models import Workspace

SESSION_KEY = "mscomm_workspace"


def workspace_for_user(*, user) -> Workspace:
    """The signed-up user's workspace, created on first use."""
    workspace, _ = Workspace.objects.get_or_create(user=user)
    return workspace


def workspace_find(*, user: Any, session: Any) -> Workspace | None:
    """The workspace of a signed-in `user`, else of the visitor's `session`, else None.

    One rule for every way in (HTTP requests and websocket scopes alike).
    """
    if user is not None and user.is_authenticated:
        return workspace_for_user(user=user)
    workspace_id = session.get(SESSION_KEY) if session is not None else None
    if workspace_id:
        return Workspace.objects.filter(id=workspace_id, user__isnull=True).first()
    return None


def workspace_get(*, request: HttpRequest, create: bool) -> Workspace | None:
    """The caller's workspace: the user's, or the one tied to the visitor's session.

    With `create`, a visitor without one gets a new workspace (and a session if needed).
    """
    found = workspace_find(user=getattr(request, "user", None), session=request.session)
    if found is not None or not create:
        return found
    workspace = Workspace.objects.create()
    request.session[SESSION_KEY] = str(workspace.id)
    return workspace


@transaction.atomic
def workspace_claim(*, user, anonymous_id: str | None) -> Workspace:
    """Move a visitor's scenarios and runs into `user`'s workspace (on sign-up or log-in)."""
    target = workspace_for_user(user=user)
    if not anonymous_id:
        return target
    source = Workspace.objects.filter(id=anonymous_id, user__isnull=True).first()
    if source is None or source.id == target.id:
        return target
    source.scenarios.update(workspace=target)
    source.runs.update(workspace=target)
    source.batches.update(workspace=target)
    source.delete()
    return target
