"""Workspaces: what owns scenarios and runs, for a signed-up user or a visitor's session."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Workspace(models.Model):
    """A user's workspace, or (user null) an anonymous visitor's, found from their session."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="workspace",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"workspace of {self.user}" if self.user_id else f"visitor workspace {self.id}"
