"""Request and response bodies of the HTTP API (docs/http-api.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

from mscomm.api.openapi import ScenarioDoc


class Problem(Schema):
    loc: str
    msg: str


class ErrorOut(Schema):
    detail: Any


class LabOut(Schema):
    slug: str
    name: str
    summary: str = ""
    description: str = ""


class LabDetailOut(LabOut):
    doc: ScenarioDoc


class ScenarioSummaryOut(Schema):
    id: UUID
    name: str
    version: int
    created_at: datetime
    updated_at: datetime


class ScenarioOut(ScenarioSummaryOut):
    doc: ScenarioDoc


class DocIn(Schema):
    doc: ScenarioDoc


class ScenarioUpdateIn(Schema):
    doc: ScenarioDoc
    version: int


class OkOut(Schema):
    ok: bool


class RunIn(Schema):
    scenario_id: UUID
    seed: int | None = None
    # None: the scenario's `watch` speed (skipping ahead to its moment), else 0.05.
    speed: float | None = None
    mode: Literal["live", "batch"] = "live"


class RunOut(Schema):
    id: UUID
    scenario_id: UUID | None
    scenario_name: str
    state: str
    mode: str
    seed: int
    speed: float
    progress: float
    sim_time_s: float
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str
    faults_injected: list[Any]
    batch_id: UUID | None = None
    variant: Any = None


class FramesOut(Schema):
    frames: list[dict]
    next: int
    done: bool


class BatchIn(Schema):
    scenario_id: UUID
    seed: int | None = None
    param: str | None = Field(None, max_length=200)
    values: list[Any] | None = None
    variants: list[dict] | None = None
    # Checked (1..MSCOMM_MAX_SEEDS, a 422 naming "seeds") by the service.
    seeds: int = 1


class BatchVariantOut(Schema):
    variant: Any
    run: RunOut
    result: dict | None
    seeds: dict
    stats: dict
    slos: list[dict]


class BatchOut(Schema):
    id: UUID
    scenario_id: UUID | None
    param: str
    created_at: datetime
    done: bool
    seeds: int
    progress: dict
    variants: list[BatchVariantOut]
    diff: list[dict] | None
