"""What the OpenAPI document says beyond what django-ninja derives from the views.

The scenario format's own JSON Schema (patterns.json_schema) goes into the components,
so that `doc` bodies and downloads refer to it; every unsafe operation declares the 403
of the CSRF check, which the API's auth gives before any view runs.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import WithJsonSchema

import patterns

SCENARIO_REF = "#/components/schemas/Scenario"
UNSAFE_METHODS = ("post", "put", "patch", "delete")

# A scenario document: a dict to the views, the format's schema to clients. pydantic
# resolves every `$ref` it writes, so it writes a mark that `describe` makes the `$ref`.
_MARK = "x-mscomm-scenario"
ScenarioDoc = Annotated[dict, WithJsonSchema({_MARK: True})]

SCENARIO_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": SCENARIO_REF}}},
    }
}


def download(*types: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """`openapi_extra` for a 200 that is a download of one of `types` ((media type, schema))."""
    return {"responses": {200: {"content": {name: {"schema": schema} for name, schema in types}}}}


TEXT = {"type": "string"}


def describe(document: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with the scenario schema and the CSRF answers added."""
    document = _marks_referenced(document)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in _scenario_components().items():
        if name in schemas:
            raise ValueError(f"the scenario schema's {name!r} clashes with an API schema")
        schemas[name] = schema
    csrf = {
        "description": "Forbidden: the CSRF check failed",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
    }
    for methods in document["paths"].values():
        for method, operation in methods.items():
            if method in UNSAFE_METHODS:
                operation["responses"].setdefault(403, csrf)
    return document


def _marks_referenced(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(_MARK):
            rest = {k: v for k, v in value.items() if k != _MARK}
            return {"$ref": SCENARIO_REF, **rest}
        return {key: _marks_referenced(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_marks_referenced(item) for item in value]
    return value


def _scenario_components() -> dict[str, Any]:
    schema = patterns.json_schema()
    defs = schema.pop("$defs")
    # Inside the OpenAPI document the schema has no `$id` of its own (it would become the
    # base of its references), and its definitions sit beside the API's.
    schema = {k: v for k, v in schema.items() if k not in ("$schema", "$id")}
    return {name: _rebased(value) for name, value in {"Scenario": schema, **defs}.items()}


def _rebased(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {
            key: value.replace("#/$defs/", "#/components/schemas/")
            if key == "$ref"
            else _rebased(value)
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_rebased(value) for value in schema]
    return schema
