"""Read-only queries over scenarios."""

from __future__ import annotations

from django.db.models import QuerySet

from mscomm.accounts.models import Workspace
from mscomm.scenarios.models import Scenario


def scenario_list(*, workspace: Workspace | None) -> QuerySet[Scenario]:
    """The workspace's scenarios, most recently changed first (none without a workspace)."""
    if workspace is None:
        return Scenario.objects.none()
    return Scenario.objects.filter(workspace=workspace).defer("doc")
