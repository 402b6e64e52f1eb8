"""mscomm's simulation core: how microservices talk, as a discrete-event simulation.

Pure Python (pydantic is its one dependency); it never imports Django, Celery or
Channels. See docs/core-api.md.

The engine modules may run compiled (see patterns/native): ``NATIVE`` tells whether
they do. The choice is made here, before any of them is imported.
"""

from __future__ import annotations

from patterns import native

NATIVE = native.activate(__path__)

from patterns.engine import Control, Simulation, simulate  # noqa: E402
from patterns.errors import PatternsError, Problem, ScenarioError  # noqa: E402
from patterns.scenario import FORMAT, Scenario, load, parse_fault  # noqa: E402
from patterns.schema import json_schema  # noqa: E402

__all__ = [
    "FORMAT",
    "NATIVE",
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
