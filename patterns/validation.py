"""Turn pydantic's validation errors into mscomm's field-path problems."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from patterns.errors import Problem

# Tags of tagged unions: pydantic puts them in the error location, a user never wrote them.
_TAGS = frozenset(
    {"service", "topic", "datastore", "constant", "exponential", "uniform", "normal", "lognormal"}
)

_EXPECTED_TAGS = {"kind": "'service', 'topic', 'datastore'"}

_ID_MSG = (
    "must be an id: lowercase letters, digits, '_' and '-', starting with a letter or "
    "digit, at most 40 characters"
)


def format_loc(parts: Iterable[Any], prefix: str = "") -> str:
    """`("links", 3, "timeout_ms")` -> `links[3].timeout_ms`."""
    out = prefix
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def problems_from_pydantic(exc: ValidationError, *, prefix: str = "") -> list[Problem]:
    """One `Problem` per pydantic error, with a path and a short message."""
    problems = []
    for error in exc.errors(include_url=False):
        if _counts_failed_items(error):
            continue
        parts = _strip_tags(error["loc"])
        loc, msg = _message(error, parts, prefix)
        problems.append(Problem(loc, msg))
    return problems


def _counts_failed_items(error: Any) -> bool:
    """True for pydantic's "too short after validation" on a tuple whose items failed.

    A tuple's minimum length is checked on the items that validated, so one bad item
    in a one-item list also reports the list as too short; its own error says it all.
    """
    if error["type"] != "too_short":
        return False
    given = error.get("input")
    wanted = (error.get("ctx") or {}).get("min_length", 0)
    return isinstance(given, (list, tuple)) and len(given) >= wanted


def _strip_tags(loc: tuple[Any, ...]) -> list[Any]:
    # A tag follows the field (or index) it discriminates, so drop a tag only there.
    parts: list[Any] = []
    for i, part in enumerate(loc):
        if i > 0 and isinstance(part, str) and part in _TAGS:
            continue
        parts.append(part)
    return parts


def _message(error: Any, parts: list[Any], prefix: str) -> tuple[str, str]:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    loc = format_loc(parts, prefix)
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        field = str(ctx.get("discriminator", "kind")).strip("'")
        expected = ctx.get("expected_tags") or _EXPECTED_TAGS.get(field, "")
        if kind == "union_tag_not_found":
            return format_loc([*parts, field], prefix), f"required (one of {expected})"
        return format_loc([*parts, field], prefix), f"must be one of {expected}"
    simple = {
        "missing": "required",
        "extra_forbidden": "unknown field",
        "int_type": "must be an integer",
        "int_parsing": "must be an integer",
        "int_from_float": "must be an integer",
        "float_type": "must be a number",
        "float_parsing": "must be a number",
        "finite_number": "must be a finite number",
        "bool_type": "must be true or false",
        "bool_parsing": "must be true or false",
        "string_type": "must be a string",
        "tuple_type": "must be a list",
        "list_type": "must be a list",
        "model_type": "must be an object",
        "model_attributes_type": "must be an object",
        "dict_type": "must be an object",
        "string_pattern_mismatch": _ID_MSG,
    }
    if kind in simple:
        return loc, simple[kind]
    bounds = {
        "greater_than": ("gt", ">"),
        "greater_than_equal": ("ge", ">="),
        "less_than": ("lt", "<"),
        "less_than_equal": ("le", "<="),
    }
    if kind in bounds:
        key, op = bounds[kind]
        return loc, f"must be {op} {_num(ctx.get(key))}"
    if kind == "literal_error":
        return loc, f"must be {ctx.get('expected')}"
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        return loc, "must not be empty" if n == 1 else f"must be at least {n} characters"
    if kind == "string_too_long":
        return loc, f"must be at most {ctx.get('max_length')} characters"
    if kind == "too_long":
        return loc, f"must have at most {ctx.get('max_length')} items"
    if kind == "too_short":
        n = ctx.get("min_length")
        return loc, f"must have at least {n} item{'' if n == 1 else 's'}"
    if kind == "value_error":
        return loc, str(error["msg"]).removeprefix("Value error, ")
    msg = str(error["msg"])
    return loc, msg[:1].lower() + msg[1:]


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
