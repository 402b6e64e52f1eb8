"""patterns/validation.py: pydantic's errors as mscomm's field-path problems."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from patterns.errors import Problem
from patterns.validation import format_loc, problems_from_pydantic


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    id: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,39}$")
    size: int = Field(ge=1, le=10)
    mode: Literal["a", "b"] = "a"


class Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str = Field(min_length=1, max_length=5)
    items: list[Item] = Field(default_factory=list, max_length=2)


def problems(data, prefix=""):
    with pytest.raises(ValidationError) as err:
        Doc.model_validate(data)
    return problems_from_pydantic(err.value, prefix=prefix)


def test_a_location_reads_like_a_field_path():
    assert format_loc(("links", 3, "timeout_ms")) == "links[3].timeout_ms"
    assert format_loc((0, "id"), "faults") == "faults[0].id"
    assert format_loc(()) == ""


def test_each_error_becomes_one_problem_with_a_short_message():
    found = problems({"name": "", "items": [{"id": "Bad", "size": 0, "mode": "c", "x": 1}]})
    assert sorted(found) == sorted(
        [
            Problem("name", "must not be empty"),
            Problem(
                "items[0].id",
                "must be an id: lowercase letters, digits, '_' and '-', starting with a letter "
                "or digit, at most 40 characters",
            ),
            Problem("items[0].size", "must be >= 1"),
            Problem("items[0].mode", "must be 'a' or 'b'"),
            Problem("items[0].x", "unknown field"),
        ]
    )


def test_types_limits_and_missing_fields_are_named():
    found = problems({"name": "toolong", "items": [{"size": 2.5}, {"id": "a", "size": 1}, 3]})
    assert Problem("name", "must be at most 5 characters") in found
    assert Problem("items", "must have at most 2 items") in found
    found = problems({"items": [{"id": "a", "size": "2"}]})
    assert Problem("name", "required") in found
    assert Problem("items[0].size", "must be an integer") in found


def test_a_prefix_roots_the_paths():
    assert problems({"name": 1}, prefix="fault") == [Problem("fault.name", "must be a string")]
