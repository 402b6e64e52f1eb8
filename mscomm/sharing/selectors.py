"""Finding share links: the owner's (by workspace) and anyone's (by token)."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from mscomm.accounts.models import Workspace
from mscomm.errors import NotFound
from mscomm.sharing.models import ShareLink

# What a link's holder sees of a run: no ids that lead back to the owner's things.
PRIVATE_RUN_FIELDS = ("id", "scenario_id", "batch_id", "variant")
# secrets.token_urlsafe(32) gives 43 characters; anything unlike a token is not looked up.
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{32,128}")


def token_hash(token: str) -> str:
    """The stored form of a token: its SHA-256 in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def share_list(
    *, workspace: Workspace | None, scenario_id: Any = None, run_id: Any = None
) -> QuerySet[ShareLink]:
    """The workspace's links (of the scenarios and runs it owns), newest first."""
    if workspace is None:
        return ShareLink.objects.none()
    links = ShareLink.objects.filter(
        Q(scenario__workspace=workspace) | Q(run__workspace=workspace)
    ).select_related("scenario", "run")
    if scenario_id is not None:
        links = links.filter(scenario_id=scenario_id)
    if run_id is not None:
        links = links.filter(run_id=run_id)
    return links.defer("scenario__doc", "run__doc", "run__result", "run__frame_log")


def share_get(*, workspace: Workspace | None, share_id: Any) -> ShareLink:
    """One of the workspace's links, or `NotFound` (the same for someone else's)."""
    found = share_list(workspace=workspace).filter(id=share_id).first()
    if found is None:
        raise NotFound(f"share {share_id} not found")
    return found


def share_resolve(*, token: str, defer: tuple[str, ...] = ()) -> ShareLink:
    """The live link for `token` with its target; `NotFound` if unknown, revoked or expired.

    `defer` leaves more of the target's columns unloaded (`"run__doc"`, ...).
    """
    missing = NotFound("this link does not exist, was revoked or has expired")
    if not isinstance(token, str) or not TOKEN_RE.fullmatch(token):
        raise missing
    digest = token_hash(token)
    share = (
        ShareLink.objects.filter(token_hash=digest)
        .select_related("scenario", "run")
        .defer("run__frame_log", *defer)
        .first()
    )
    # The lookup is by hash (no timing signal about the token); compare in constant time
    # all the same, so no future change of lookup can leak one.
    if share is None or not hmac.compare_digest(share.token_hash, digest):
        raise missing
    if share.expires_at is not None and share.expires_at <= timezone.now():
        raise missing
    return share


def run_for_holder(run: dict[str, Any]) -> dict[str, Any]:
    """A run as `run_public` shows it, without the owner's ids (API and websocket alike)."""
    return {key: value for key, value in run.items() if key not in PRIVATE_RUN_FIELDS}
