"""Validating and storing scenarios; nothing that fails `patterns.load` is stored."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

import patterns
from mscomm.accounts.models import Workspace
from mscomm.accounts.selectors import owned_get
from mscomm.errors import Conflict, Invalid
from mscomm.scenarios.models import Scenario


def scenario_validate(*, doc: Any) -> dict:
    """Return `doc` if it is a valid scenario within the limits, else raise `Invalid`."""
    if not isinstance(doc, dict):
        raise Invalid([{"loc": "", "msg": "a scenario must be a JSON object"}])
    problems = []
    for key, limit in (
        ("nodes", settings.MSCOMM_MAX_NODES),
        ("links", settings.MSCOMM_MAX_LINKS),
    ):
        items = doc.get(key)
        if isinstance(items, list) and len(items) > limit:
            problems.append({"loc": key, "msg": f"at most {limit} {key} are allowed here"})
    if problems:
        raise Invalid(problems)
    try:
        patterns.load(doc)
    except patterns.ScenarioError as err:
        raise Invalid([{"loc": p.loc, "msg": p.msg} for p in err.problems]) from None
    return doc


def scenario_create(*, workspace: Workspace, doc: Any) -> Scenario:
    """Store a new scenario (version 1) after validating it."""
    doc = scenario_validate(doc=doc)
    return Scenario.objects.create(workspace=workspace, name=doc["name"], doc=doc)


def scenario_get(*, workspace: Workspace | None, scenario_id: Any) -> Scenario:
    """The workspace's scenario, or `NotFound` (also for someone else's)."""
    return owned_get(Scenario.objects.all(), workspace=workspace, pk=scenario_id, what="scenario")


def scenario_update(*, workspace: Workspace, scenario_id: Any, doc: Any, version: int) -> Scenario:
    """Replace the doc if the stored version is `version` (else `Conflict`); bumps it."""
    doc = scenario_validate(doc=doc)
    with transaction.atomic():
        scenario = scenario_get(workspace=workspace, scenario_id=scenario_id)
        # One conditional UPDATE: two saves of the same version cannot both win.
        updated = Scenario.objects.filter(id=scenario.id, version=version).update(
            doc=doc, name=doc["name"], version=version + 1, updated_at=timezone.now()
        )
        if not updated:
            raise Conflict(
                f"scenario {scenario.id} is at version {scenario.version}, not {version}"
            )
    scenario.refresh_from_db()
    return scenario


def scenario_delete(*, workspace: Workspace | None, scenario_id: Any) -> None:
    """Delete the workspace's scenario (its runs keep their snapshot)."""
    scenario_get(workspace=workspace, scenario_id=scenario_id).delete()
