"""mscomm's simulation core: how microservices talk, as a discrete-event simulation.

Pure Python (pydantic is its one dependency); it never imports Django, Celery or
Channels. See docs/core-api.md.
"""

from __future__ import annotations

from patterns.engine import Control, Simulation, simulate
from patterns.errors import PatternsError, Problem, ScenarioError
from patterns.scenario import FORMAT, Scenario, json_schema, load, parse_fault

__all__ = [
    "FORMAT",
    "Control",
    "PatternsError",
    "Problem",
    "Scenario",
    "ScenarioError",
    "Simulation",
    "json_schema",
    "load",
    "parse_fault",
    "simulate",
]
