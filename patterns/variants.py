"""Variants of a scenario: the book's "what changes if this call is async?" in one call.

Each function takes a scenario document (a dict in the format) and returns a new,
validated document; the original is never changed. They work on documents rather than
models so that everything the user wrote (layout, labels, unset defaults) is kept.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from patterns.errors import Problem, ScenarioError
from patterns.references import OPTION_STYLES
from patterns.scenario import load

TOGGLES = ("timeout", "retries", "circuit_breaker", "health_checks", "dead_letter")
DEFAULT_TIMEOUT_MS = 1000.0
DEFAULT_RETRIES = 2
DEFAULT_BREAKER = {"failure_rate": 0.5, "window": 20, "min_calls": 10, "open_ms": 5000}


def flip_link(doc: Mapping[str, Any], link_id: str, to: str) -> dict[str, Any]:
    """The scenario with link `link_id` made `to` (`sync`, `async` or `event`).

    `event` turns a call into an event: the caller publishes to a new topic that the
    callee subscribes to (with the operation the call used), so the caller no longer
    waits or knows who consumes it.
    """
    new = copy.deepcopy(dict(doc))
    link = _find(new, "links", link_id)
    style = link.get("style")
    if style not in ("sync", "async"):
        raise ScenarioError(
            [Problem("link", f'link "{link_id}" is a {style} link; only sync and async calls flip')]
        )
    if to in ("sync", "async"):
        link["style"] = to
        _drop_options_of_other_styles(link)
    elif to == "event":
        _call_to_event(new, link)
    else:
        raise ScenarioError([Problem("to", "must be 'sync', 'async' or 'event'")])
    new["name"] = _suffixed(new.get("name", ""), f"{link_id} as {to}")
    load(new)
    return new


def toggle(doc: Mapping[str, Any], target: str, setting: str) -> dict[str, Any]:
    """The scenario with one resilience setting switched on (or off, if it was on).

    `timeout`, `retries` and `circuit_breaker` apply to a sync or async link;
    `health_checks` to a service; `dead_letter` (a finite `max_deliveries`) to a topic.
    """
    new = copy.deepcopy(dict(doc))
    if setting in ("timeout", "retries", "circuit_breaker"):
        item = _find(new, "links", target)
        if item.get("style") not in ("sync", "async"):
            raise ScenarioError([Problem("target", f'"{target}" is not a sync or async link')])
        key, on = {
            "timeout": ("timeout_ms", DEFAULT_TIMEOUT_MS),
            "retries": ("retries", DEFAULT_RETRIES),
            "circuit_breaker": ("circuit_breaker", DEFAULT_BREAKER),
        }[setting]
        if item.get(key):
            item.pop(key)
        else:
            item[key] = copy.deepcopy(on)
    elif setting == "health_checks":
        item = _find_kind(new, target, "service")
        item["health_checks"] = not item.get("health_checks", False)
    elif setting == "dead_letter":
        item = _find_kind(new, target, "topic")
        item["max_deliveries"] = 5 if item.get("max_deliveries", 5) is None else None
    else:
        raise ScenarioError([Problem("setting", f"must be one of {', '.join(TOGGLES)}")])
    new["name"] = _suffixed(new.get("name", ""), f"{setting} toggled on {target}")
    load(new)
    return new


_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[([^\]]+)\]|\.")


def set_param(doc: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    """The scenario with the field at `path` set to `value`, for parameter sweeps.

    `path` is a field path as errors name them (`links[0].timeout_ms`,
    `workload[0].arrival.rate_per_s`); a list index may also be an id
    (`links[pay].timeout_ms`, `nodes[payment].instances`).
    """
    steps = _parse_path(path)
    new = copy.deepcopy(dict(doc))
    parent: Any = new
    for i, step in enumerate(steps[:-1]):
        parent = _descend(parent, step, path, steps[i + 1])
    last = steps[-1]
    if isinstance(parent, list):
        parent[_index(parent, last, path)] = value
    elif isinstance(parent, dict) and isinstance(last, str):
        parent[last] = value
    else:
        raise ScenarioError([Problem("param", f'"{path}" does not name a field')])
    load(new)
    return new


def _parse_path(path: str) -> list[str | int]:
    steps: list[str | int] = []
    pos = 0
    while pos < len(path):
        match = _STEP.match(path, pos)
        if match is None:
            raise ScenarioError([Problem("param", f'"{path}" is not a field path')])
        name, index = match.groups()
        if name is not None:
            steps.append(name)
        elif index is not None:
            steps.append(int(index) if index.isdigit() else f"[{index}]")
        pos = match.end()
    if not steps or not isinstance(steps[0], str) or len(path) > 200:
        raise ScenarioError([Problem("param", f'"{path}" is not a field path')])
    return steps


def _descend(parent: Any, step: str | int, path: str, following: str | int) -> Any:
    if isinstance(parent, list):
        return parent[_index(parent, step, path)]
    if isinstance(parent, dict) and isinstance(step, str) and not step.startswith("["):
        if step not in parent:
            parent[step] = [] if isinstance(following, int) else {}
        return parent[step]
    raise ScenarioError([Problem("param", f'"{path}" does not name a field')])


def _index(items: list[Any], step: str | int, path: str) -> int:
    if isinstance(step, int):
        if 0 <= step < len(items):
            return step
    elif step.startswith("["):
        wanted = step[1:-1]
        for i, item in enumerate(items):
            if isinstance(item, Mapping) and item.get("id") == wanted:
                return i
    shown = f"[{step}]" if isinstance(step, int) else step
    raise ScenarioError([Problem("param", f'"{path}": no item {shown} there')])


def _find(doc: dict[str, Any], section: str, item_id: str) -> dict[str, Any]:
    for item in doc.get(section) or []:
        if isinstance(item, dict) and item.get("id") == item_id:
            return item
    what = "link" if section == "links" else "node"
    raise ScenarioError([Problem("target", f'unknown {what} "{item_id}"')])


def _find_kind(doc: dict[str, Any], item_id: str, kind: str) -> dict[str, Any]:
    item = _find(doc, "nodes", item_id)
    if item.get("kind") != kind:
        raise ScenarioError([Problem("target", f'"{item_id}" is not a {kind}')])
    return item


def _call_to_event(doc: dict[str, Any], link: dict[str, Any]) -> None:
    topic_id = _free_id(doc, f"{link['id']}-events")
    sub_id = _free_id(doc, f"{link['id']}-sub")
    caller, callee = link["from"], link["to"]
    operation = link.get("operation")
    link["style"] = "publish"
    _drop_options_of_other_styles(link)
    link["to"] = topic_id
    doc.setdefault("nodes", []).append(
        {"id": topic_id, "kind": "topic", "label": f"{link.get('label') or link['id']} events"}
    )
    subscription = {"id": sub_id, "from": topic_id, "to": callee, "style": "subscribe"}
    if operation:
        subscription["operation"] = operation
    doc.setdefault("links", []).append(subscription)
    layout = doc.get("layout")
    if isinstance(layout, dict) and caller in layout and callee in layout:
        a, b = layout[caller], layout[callee]
        layout[topic_id] = {"x": (a["x"] + b["x"]) / 2, "y": (a["y"] + b["y"]) / 2 + 60}


def _drop_options_of_other_styles(link: dict[str, Any]) -> None:
    for key in [
        key for key in link if link["style"] not in OPTION_STYLES.get(key, (link["style"],))
    ]:
        del link[key]


def _free_id(doc: Mapping[str, Any], wanted: str) -> str:
    taken = {
        item.get("id")
        for section in ("nodes", "links")
        for item in doc.get(section) or []
        if isinstance(item, Mapping)
    }
    base = wanted[:36]
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _suffixed(name: str, what: str) -> str:
    return f"{name} ({what})"[:120]
