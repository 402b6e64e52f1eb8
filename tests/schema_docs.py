"""Scenario documents generated from the published JSON Schema (hypothesis-jsonschema),
and the rules beyond the schema as docs/scenario-format.md lists them.

Generation works from a copy of the schema that accepts fewer documents, so that it is
quick: lists and strings capped at `cap`, references inlined, the `if`/`then` rules
spelled out as one branch per style or mode, `oneOf` read as `anyOf` (its branches are
disjoint). Tests check every generated document with the real, published schema
(`jsonschema.Draft202012Validator`), so the copy decides only what gets tried.
"""

from __future__ import annotations

import copy
import re
import types
from pathlib import Path
from typing import Any

import hypothesis.internal.conjecture.utils as conjecture_utils
import hypothesis_jsonschema._from_schema as hypothesis_jsonschema_internals
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from patterns.references import DIRECTIONS, FAULT_TARGETS, OPTION_STYLES

DOCS = Path(__file__).resolve().parents[1] / "docs" / "scenario-format.md"


class _LoopingMany(conjecture_utils.many):
    """`many()` with the `while elements.more():` loop hypothesis-jsonschema 0.23 uses,
    on top of the `with ... for _ in elements:` form later Hypothesis versions have."""

    def more(self) -> bool:
        if not hasattr(self, "_loop"):
            self.__enter__()
            self._loop = iter(self)
        try:
            next(self._loop)
        except StopIteration:
            self.__exit__(None)
            return False
        return True


hypothesis_jsonschema_internals.cu = types.SimpleNamespace(
    **{**vars(conjecture_utils), "many": _LoopingMany}
)


# -- the generation schema -------------------------------------------------------------


def _capped(schema: Any, cap: int) -> Any:
    if isinstance(schema, dict):
        out = {key: _capped(value, cap) for key, value in schema.items()}
        for key in ("maxItems", "maxLength", "maxProperties"):
            if key in out:
                out[key] = min(out[key], cap)
        return out
    if isinstance(schema, list):
        return [_capped(value, cap) for value in schema]
    return schema


def _inlined(schema: Any, defs: dict[str, Any]) -> Any:
    if isinstance(schema, dict):
        if "$ref" in schema:
            target = _inlined(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
            rest = {k: _inlined(v, defs) for k, v in schema.items() if k != "$ref"}
            return {**target, **rest}
        return {k: _inlined(v, defs) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_inlined(value, defs) for value in schema]
    return schema


def _branched(definition: dict[str, Any]) -> dict[str, Any]:
    """`allOf: [{if: {field: const v}, then: ...}]` as `anyOf` one branch per value of field."""
    rules = definition.get("allOf")
    if not rules:
        return definition
    base = {k: v for k, v in definition.items() if k != "allOf"}
    field = rules[0]["if"]["required"][0]
    thens = {rule["if"]["properties"][field]["const"]: rule["then"] for rule in rules}
    branches = []
    for value in base["properties"][field]["enum"]:
        branch = copy.deepcopy(base)
        branch["properties"][field] = {"const": value}
        then = thens.get(value, {})
        for key, sub in then.get("properties", {}).items():
            if sub is False:
                branch["properties"].pop(key, None)
            else:
                branch["properties"][key] = {"allOf": [branch["properties"][key], sub]}
        branch["required"] = sorted({*branch.get("required", []), *then.get("required", [])})
        branches.append(branch)
    return {"anyOf": branches}


def _any_of(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {("anyOf" if k == "oneOf" else k): _any_of(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_any_of(value) for value in schema]
    return schema


def generated_docs(schema: dict[str, Any], *, cap: int) -> st.SearchStrategy[dict[str, Any]]:
    """Documents drawn from a narrower copy of `schema`, their ids then fixed up."""
    defs = {name: _branched(d) for name, d in _capped(schema["$defs"], cap).items()}
    top = {k: v for k, v in schema.items() if k not in ("$defs", "$schema", "$id")}
    narrow = _any_of(_inlined(_capped(top, cap), defs))
    return from_schema(narrow).map(with_ids_fixed)


# -- fixing ids up so that references resolve ------------------------------------------


def with_ids_fixed(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with unique ids, links between nodes of the kinds their style joins,
    calls, entries and fault targets naming parts that exist (where there are any)."""
    doc = copy.deepcopy(doc)
    nodes, links = doc.get("nodes", []), doc.get("links", [])
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for i, node in enumerate(nodes):
        node["id"] = f"n{i}"
        by_kind.setdefault(node["kind"], []).append(node)
        for j, op in enumerate(node.get("operations") or []):
            op["id"] = "default" if j == 0 else f"op{j}"
            op["calls"] = []

    def pick(kind: str, i: int) -> dict[str, Any] | None:
        group = by_kind.get(kind)
        return group[i % len(group)] if group else None

    def op_of(service: dict[str, Any] | None, i: int) -> str:
        ops = (service or {}).get("operations") or [{"id": "default"}]
        return ops[i % len(ops)]["id"]

    for i, link in enumerate(links):
        link["id"] = f"l{i}"
        start, end = (pick(kind, i) for kind in DIRECTIONS[link["style"]])
        if start is not None and end is not None:
            link["from"], link["to"] = start["id"], end["id"]
            if "operation" in link:
                link["operation"] = op_of(end, i)
    call_styles = {s for key in ("step", "probability") for s in OPTION_STYLES[key]}
    for link in links:
        caller = next((n for n in nodes if n["id"] == link["from"]), None)
        if caller and caller.get("operations") and link["style"] in call_styles:
            caller["operations"][0]["calls"].append(link["id"])
    for i, item in enumerate(doc.get("workload", [])):
        entry = pick("service", i)
        if entry is not None:
            item["entry"] = entry["id"]
            item["operation"] = op_of(entry, i)
    for i, fault in enumerate(doc.get("faults", [])):
        kinds = FAULT_TARGETS[fault["mode"]]
        kind = "service" if fault.get("instance") is not None else kinds[i % len(kinds)]
        target = {"id": links[i % len(links)]["id"]} if kind == "link" and links else pick(kind, i)
        if target is not None:
            fault["target"] = target["id"]
            if fault.get("instance") is not None and kind == "service":
                fault["instance"] = fault["instance"] % target.get("instances", 1)
    return doc


# -- the rules beyond the schema, as the docs list them ---------------------------------


def documented_rules() -> list[re.Pattern[str]]:
    """The messages of docs/scenario-format.md's "Rules beyond the schema", as patterns."""
    text = DOCS.read_text()
    section = text.split("#### Rules beyond the schema", 1)[1].split("\n#", 1)[0]
    messages = re.findall(r"\| `([^`|]+)` \|$", section, flags=re.M)
    return [re.compile(".+".join(map(re.escape, m.split("…")))) for m in dict.fromkeys(messages)]


def beyond_the_schema(message: str, rules: list[re.Pattern[str]]) -> bool:
    return any(rule.fullmatch(message) for rule in rules)
