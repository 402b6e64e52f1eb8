"""The built-in labs from `patterns.library`, in the API's shape."""

from __future__ import annotations

from typing import Any

import patterns.library
from mscomm.errors import NotFound


def _field(lab: Any, name: str, default: Any = "") -> Any:
    # Labs may be mappings or objects with attributes; read both.
    if isinstance(lab, dict):
        return lab.get(name, default)
    return getattr(lab, name, default)


def lab_get(slug: str) -> Any:
    """The lab called `slug`, or `NotFound`."""
    try:
        lab = patterns.library.get_lab(slug)
    except (KeyError, LookupError, ValueError):
        lab = None
    if lab is None:
        raise NotFound(f"lab {slug!r} not found")
    return lab


def lab_summary(lab: Any) -> dict:
    return {
        "slug": _field(lab, "slug"),
        "name": _field(lab, "name"),
        "summary": _field(lab, "summary") or "",
        "description": _field(lab, "description") or "",
    }


def lab_detail(lab: Any) -> dict:
    return {**lab_summary(lab), "doc": _field(lab, "doc", None)}
