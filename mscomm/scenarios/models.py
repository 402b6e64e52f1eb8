"""Saved scenarios: a validated scenario document with an optimistic version number."""

from __future__ import annotations

import uuid

from django.db import models


class Scenario(models.Model):
    """A scenario document in a workspace; `doc` always passed `patterns.load`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="scenarios"
    )
    name = models.CharField(max_length=120)
    doc = models.JSONField()
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["workspace", "-updated_at"])]

    def __str__(self) -> str:
        return self.name
