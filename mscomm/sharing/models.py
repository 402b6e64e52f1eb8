"""Share links: an unguessable token that opens one scenario or one run read-only."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q


class ShareLink(models.Model):
    """A link to a scenario or a run (exactly one). Only the token's SHA-256 is stored.

    The owner is whoever owns the target (its workspace), so links follow a visitor's work
    into their account when they sign up, and go with the target when it is deleted.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    scenario = models.ForeignKey(
        "scenarios.Scenario",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="share_links",
    )
    run = models.ForeignKey(
        "runs.Run", null=True, blank=True, on_delete=models.CASCADE, related_name="share_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    # The token's first characters: enough for the owner to tell links apart, useless to
    # anyone else (the rest carries well over 128 bits).
    hint = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scenario__isnull=False, run__isnull=True)
                | Q(scenario__isnull=True, run__isnull=False),
                name="sharelink_one_target",
            )
        ]

    def __str__(self) -> str:
        return f"share {self.hint}… of {self.kind} {self.scenario_id or self.run_id}"

    @property
    def kind(self) -> str:
        return "run" if self.run_id else "scenario"
