"""Walking and editing JSON values by path (for tests that mutate documents)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any


def json_paths(value: Any, prefix: tuple = (), *, items: int = 3) -> Iterator[tuple]:
    """Every path into a JSON value: objects' keys, and the first `items` of each list."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from json_paths(item, (*prefix, key), items=items)
    elif isinstance(value, list):
        for index, item in enumerate(value[:items]):
            yield from json_paths(item, (*prefix, index), items=items)


def json_at(value: Any, path: tuple) -> Any:
    """The item at `path` in a JSON value."""
    for part in path:
        value = value[part]
    return value


def json_replaced(value: Any, path: tuple, new: Any) -> Any:
    """A copy of `value` with the item at `path` replaced by `new`."""
    if not path:
        return new
    copied = copy.deepcopy(value)
    target = copied
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = new
    return copied
