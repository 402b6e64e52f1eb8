"""The scenario format as JSON Schema (draft 2020-12), published for editors and clients.

The models in `patterns.scenario` give the structure; the rules that depend on another
field of the same object (a link's style, a fault's mode) are added here from the tables
in `patterns.references`, which the server's own checks read too. What JSON Schema cannot
say (references between ids, uniqueness, one number against another) is listed in
docs/scenario-format.md, "Rules beyond the schema".
"""

from __future__ import annotations

from typing import Any

from patterns.references import DIRECTIONS, MODE_REQUIRES, OPTION_STYLES, STYLE_REQUIRES
from patterns.scenario import FORMAT, Scenario

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "https://mscomm.invalid/schema/scenario-1.json"


def json_schema() -> dict[str, Any]:
    """The scenario format as JSON Schema (draft 2020-12), for editors and clients."""
    schema = {
        "$schema": DIALECT,
        "$id": SCHEMA_ID,
        **Scenario.model_json_schema(by_alias=True),
        "title": f"mscomm scenario, format {FORMAT}",
    }
    schema = _standard_bounds(schema)
    defs = schema["$defs"]
    defs["Link"]["allOf"] = [_when("style", style, _style_rules(style)) for style in DIRECTIONS]
    defs["Fault"]["allOf"] = [
        _when("mode", mode, _required(fields)) for mode, fields in MODE_REQUIRES.items()
    ]
    return schema


# pydantic writes a nullable field's bounds (`x: int | None = Field(ge=0)`) under its own
# names, which JSON Schema ignores: spell them as JSON Schema's.
_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def _standard_bounds(schema: Any) -> Any:
    if isinstance(schema, dict):
        numeric = schema.get("type") in ("integer", "number")
        return {
            (_BOUNDS.get(key, key) if numeric else key): _standard_bounds(value)
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_standard_bounds(value) for value in schema]
    return schema


def _style_rules(style: str) -> dict[str, Any]:
    rules = _required(STYLE_REQUIRES.get(style, ()))
    banned = {key: False for key, styles in OPTION_STYLES.items() if style not in styles}
    rules["properties"] = {**rules.get("properties", {}), **banned}
    return rules


def _required(fields: tuple[str, ...]) -> dict[str, Any]:
    """Each of `fields` present and not null."""
    if not fields:
        return {}
    return {
        "required": list(fields),
        "properties": {field: {"not": {"type": "null"}} for field in fields},
    }


def _when(field: str, value: str, then: dict[str, Any]) -> dict[str, Any]:
    return {"if": {"properties": {field: {"const": value}}, "required": [field]}, "then": then}
