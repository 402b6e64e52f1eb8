"""Creating, changing and revoking share links, and what a link's holder may do with it."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from mscomm.accounts.models import Workspace
from mscomm.errors import Invalid, LimitExceeded
from mscomm.runs import selectors as run_selectors
from mscomm.runs import services as run_services
from mscomm.runs.models import Run
from mscomm.scenarios import services as scenario_services
from mscomm.scenarios.models import Scenario
from mscomm.sharing.models import ShareLink
from mscomm.sharing.selectors import share_get, share_list, token_hash

TOKEN_BYTES = 32  # 256 bits from the OS's CSPRNG


def _check_expiry(expires_at: datetime | None) -> datetime | None:
    if expires_at is None:
        return None
    if timezone.is_naive(expires_at):
        raise Invalid([{"loc": "expires_at", "msg": "give a time zone (e.g. a trailing Z)"}])
    if expires_at <= timezone.now():
        raise Invalid([{"loc": "expires_at", "msg": "must be in the future"}])
    return expires_at


def share_create(
    *,
    workspace: Workspace | None,
    scenario_id: Any = None,
    run_id: Any = None,
    expires_at: datetime | None = None,
) -> tuple[ShareLink, str]:
    """A new link to one of the workspace's scenarios or runs; returns (link, token).

    The token is shown once: only its hash is kept.
    """
    if (scenario_id is None) == (run_id is None):
        raise Invalid([{"loc": "scenario_id", "msg": "give either scenario_id or run_id"}])
    expires_at = _check_expiry(expires_at)
    scenario = run = None
    if scenario_id is not None:
        scenario = scenario_services.scenario_get(workspace=workspace, scenario_id=scenario_id)
    else:
        run = run_selectors.run_get(workspace=workspace, run_id=run_id)
    limit = settings.MSCOMM_MAX_SHARES
    if share_list(workspace=workspace).count() >= limit:
        raise LimitExceeded(f"at most {limit} share links per workspace; revoke some first")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    share = ShareLink.objects.create(
        scenario=scenario,
        run=run,
        token_hash=token_hash(token),
        hint=token[:6],
        expires_at=expires_at,
    )
    return share, token


def share_set_expiry(
    *, workspace: Workspace | None, share_id: Any, expires_at: datetime | None
) -> ShareLink:
    """Change when the workspace's link stops working (None: never)."""
    share = share_get(workspace=workspace, share_id=share_id)
    share.expires_at = _check_expiry(expires_at)
    share.save(update_fields=["expires_at"])
    return share


def share_revoke(*, workspace: Workspace | None, share_id: Any) -> None:
    """Delete the workspace's link: from now on its token answers 404."""
    share_get(workspace=workspace, share_id=share_id).delete()


def share_doc(share: ShareLink) -> dict:
    """The scenario document the link shows: the scenario now, or the run's snapshot."""
    return share.run.doc if share.run_id else share.scenario.doc


def share_fork(*, share: ShareLink, workspace: Workspace) -> Scenario:
    """Copy the shared scenario into `workspace` (the caller's own) as a new scenario."""
    return scenario_services.scenario_create(workspace=workspace, doc=share_doc(share))


def share_run_start(
    *, share: ShareLink, workspace: Workspace, seed: int | None, speed: float | None
) -> Run:
    """Start a live run of the shared scenario in `workspace` (the caller's own).

    The run is the caller's and points at no scenario: the owner's stays out of reach.
    A shared run runs again with its own seed unless another is given.
    """
    if seed is None and share.run_id:
        seed = share.run.seed
    return run_services.run_start(
        scenario=None,
        doc=share_doc(share),
        seed=seed,
        speed=speed,
        mode="live",
        workspace=workspace,
    )
