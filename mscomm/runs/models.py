"""Runs of a scenario snapshot, and batches of runs (compare, parameter sweeps)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class RunState(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_STATES = (RunState.QUEUED, RunState.RUNNING)


class RunMode(models.TextChoices):
    LIVE = "live"
    BATCH = "batch"


class Batch(models.Model):
    """Several runs started together: variants of one scenario or a parameter sweep."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="batches"
    )
    scenario = models.ForeignKey(
        "scenarios.Scenario", null=True, blank=True, on_delete=models.SET_NULL
    )
    param = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)


class Run(models.Model):
    """One run: the scenario as it was (`doc`), its settings, progress and outcome."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="runs"
    )
    scenario = models.ForeignKey(
        "scenarios.Scenario",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="runs",
    )
    scenario_name = models.CharField(max_length=120)
    doc = models.JSONField()
    seed = models.BigIntegerField()
    speed = models.FloatField(default=1.0)
    mode = models.CharField(max_length=8, choices=RunMode.choices, default=RunMode.LIVE)
    state = models.CharField(
        max_length=12, choices=RunState.choices, default=RunState.QUEUED, db_index=True
    )
    progress = models.FloatField(default=0.0)
    sim_time_s = models.FloatField(default=0.0)
    # A default rather than auto_now_add: a batch sets its runs' times itself, one
    # microsecond apart, so that they keep the order they were made in.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    faults_injected = models.JSONField(default=list, blank=True)
    # The finished run's frames: zlib-compressed JSON lines, one frame a line.
    frame_log = models.BinaryField(null=True, blank=True)
    frame_count = models.PositiveIntegerField(default=0)
    batch = models.ForeignKey(
        Batch, null=True, blank=True, on_delete=models.CASCADE, related_name="runs"
    )
    variant = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["workspace", "-created_at"]),
            models.Index(fields=["state", "heartbeat_at"]),
        ]

    def __str__(self) -> str:
        return f"run {self.id} of {self.scenario_name} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state not in ACTIVE_STATES
