"""The built-in chapter-4 labs: scenario documents that each show one lesson.

Each lab is a plain scenario file (``<slug>.json``, runnable as it is) in this package;
``index.json`` gives their order and one-sentence summaries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["Lab", "get_lab", "list_labs"]


@dataclass(frozen=True)
class Lab:
    """One built-in scenario: ``doc`` is the scenario document (a fresh copy per call)."""

    slug: str
    name: str
    summary: str
    description: str
    doc: dict[str, Any]


def list_labs() -> list[Lab]:
    """Every lab, in the order a learner should meet them."""
    return [get_lab(entry["slug"]) for entry in _index()]


def get_lab(slug: str) -> Lab:
    """The lab named ``slug``; raises ``KeyError`` if there is none."""
    summaries = {entry["slug"]: entry["summary"] for entry in _index()}
    if slug not in summaries:
        raise KeyError(f"no lab named {slug!r}")
    # Parse on every call so callers may change their copy without touching anyone else's.
    doc = json.loads(_read(f"{slug}.json"))
    return Lab(
        slug=slug,
        name=doc["name"],
        summary=summaries[slug],
        description=doc.get("description", ""),
        doc=doc,
    )


def _index() -> list[dict[str, str]]:
    return json.loads(_read("index.json"))


@cache
def _read(filename: str) -> str:
    # importlib.resources finds the files in a source tree, a wheel or a zip alike.
    return resources.files(__name__).joinpath(filename).read_text(encoding="utf-8")
