"""Ownership: every object a caller reaches by id goes through `owned_get`."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from mscomm.accounts.models import Workspace
from mscomm.errors import NotFound

M = TypeVar("M", bound=Model)


def owned_get(queryset: QuerySet[M], *, workspace: Workspace | None, pk: Any, what: str) -> M:
    """The object `pk` of `workspace`, or `NotFound` (the same for someone else's)."""
    found = queryset.filter(workspace=workspace, id=pk).first() if workspace else None
    if found is None:
        raise NotFound(f"{what} {pk} not found")
    return found
