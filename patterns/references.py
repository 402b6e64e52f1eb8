"""Checks of the references between a scenario's parts: ids, link directions,
operations, workload entries and fault targets.

They read the raw document defensively (any part may have the wrong type), so that they
can run beside pydantic's structural checks and report every problem in one go.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from patterns.errors import Problem

CALL_STYLES = ("sync", "async", "publish", "write")
DIRECTIONS: dict[str, tuple[str, str]] = {
    "sync": ("service", "service"),
    "async": ("service", "service"),
    "publish": ("service", "topic"),
    "subscribe": ("topic", "service"),
    "write": ("service", "datastore"),
    "poll": ("datastore", "service"),
}
# The link options and the styles they mean something for (scenario-format.md, Links);
# the rest of a link's fields (id, from, to, style, label) belong to every style.
_CALLS = ("sync", "async")
OPTION_STYLES: dict[str, tuple[str, ...]] = {
    "network_ms": _CALLS,
    "timeout_ms": _CALLS,
    "retries": _CALLS,
    "backoff_ms": _CALLS,
    "backoff_multiplier": _CALLS,
    "circuit_breaker": _CALLS,
    "optional": _CALLS,
    "reply_work_ms": ("async",),
    "step": CALL_STYLES,
    "probability": CALL_STYLES,
    "interval_ms": ("poll",),
    "operation": (*_CALLS, "subscribe"),
}
# Fields a link of a style, or a fault of a mode, must have (and not null).
STYLE_REQUIRES: dict[str, tuple[str, ...]] = {"poll": ("interval_ms",)}
MODE_REQUIRES: dict[str, tuple[str, ...]] = {"timing": ("extra_ms",), "arbitrary": ("extra_ms",)}
FAULT_TARGETS: dict[str, tuple[str, ...]] = {
    "crash": ("service", "topic"),
    "omission": ("service", "link"),
    "timing": ("service", "link"),
    "response": ("service",),
    "arbitrary": ("service",),
}


class Index:
    """What the reference checks need to know of a raw document, read defensively."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.nodes: dict[str, Mapping[str, Any]] = {}
        self.links: dict[str, Mapping[str, Any]] = {}
        for item in _items(doc.get("nodes")):
            node_id = item.get("id")
            if isinstance(node_id, str) and node_id not in self.nodes:
                self.nodes[node_id] = item
        for item in _items(doc.get("links")):
            link_id = item.get("id")
            if isinstance(link_id, str) and link_id not in self.links:
                self.links[link_id] = item
        # Whether every node (link) has a readable id: only then is an id that is not
        # among them unknown (a part with a bad id is reported on that part, once).
        self.all_nodes: bool = _all_ids_read(doc.get("nodes"))
        self.all_links: bool = _all_ids_read(doc.get("links"))

    def unknown_node(self, node_id: str) -> bool:
        return node_id not in self.nodes and self.all_nodes

    def unknown_link(self, link_id: str) -> bool:
        return link_id not in self.links and self.all_links

    def kind(self, node_id: Any) -> str | None:
        node = self.nodes.get(node_id) if isinstance(node_id, str) else None
        kind = node.get("kind") if node is not None else None
        return kind if kind in ("service", "topic", "datastore") else None

    def operation_ids(self, service_id: str) -> set[str] | None:
        """Ids of a service's operations, or None when they cannot be read."""
        node = self.nodes.get(service_id)
        if node is None:
            return None
        ops = node.get("operations")
        if ops is None:
            return {"default"}
        if not isinstance(ops, list) or not ops:
            return None
        ids = [_str(op.get("id")) if isinstance(op, Mapping) else None for op in ops]
        return None if None in ids else set(ids)  # type: ignore[arg-type]


def _all_ids_read(section: Any) -> bool:
    if section is None:
        return True
    if not isinstance(section, (list, tuple)):
        return False
    return all(isinstance(item, Mapping) and isinstance(item.get("id"), str) for item in section)


def _items(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, (list, tuple)):
        return []
    return [v for v in value if isinstance(v, Mapping)]


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _enumerated(value: Any) -> list[tuple[int, Mapping[str, Any]]]:
    if not isinstance(value, (list, tuple)):
        return []
    return [(i, v) for i, v in enumerate(value) if isinstance(v, Mapping)]


def check_references(doc: Mapping[str, Any]) -> list[Problem]:
    index = Index(doc)
    problems: list[Problem] = []
    problems += _check_duplicates(doc.get("nodes"), "nodes")
    problems += _check_duplicates(doc.get("links"), "links")
    problems += _check_links(doc, index)
    problems += _check_operations(doc, index)
    problems += _check_workload(doc, index)
    for i, fault in _enumerated(doc.get("faults")):
        problems += check_fault(fault, f"faults[{i}]", index)
    problems += _check_times(doc)
    return problems


def _check_duplicates(items: Any, loc: str) -> list[Problem]:
    seen: dict[str, int] = {}
    problems = []
    for i, item in _enumerated(items):
        item_id = item.get("id")
        if not isinstance(item_id, str):
            continue
        if item_id in seen:
            problems.append(
                Problem(f"{loc}[{i}].id", f'duplicate id "{item_id}" (also {loc}[{seen[item_id]}])')
            )
        else:
            seen[item_id] = i
    return problems


def _check_links(doc: Mapping[str, Any], index: Index) -> list[Problem]:
    problems: list[Problem] = []
    subscriptions: dict[tuple[str, str], int] = {}
    for i, link in _enumerated(doc.get("links")):
        loc = f"links[{i}]"
        ends = {}
        for end in ("from", "to"):
            node_id = link.get(end)
            if isinstance(node_id, str) and index.unknown_node(node_id):
                problems.append(Problem(f"{loc}.{end}", f'unknown node "{node_id}"'))
            ends[end] = index.kind(node_id)
        style = _str(link.get("style"))
        if style in DIRECTIONS and ends["from"] and ends["to"]:
            want = DIRECTIONS[style]
            if (ends["from"], ends["to"]) != want:
                problems.append(
                    Problem(
                        loc,
                        f"style {style} goes {want[0]} -> {want[1]}, "
                        f"not {ends['from']} -> {ends['to']}",
                    )
                )
            elif style in ("sync", "async", "subscribe"):
                problems += _check_link_operation(link, loc, index)
        if style in DIRECTIONS:
            problems += _check_style_fields(link, style, loc)
        topic, subscriber = _str(link.get("from")), _str(link.get("to"))
        if style == "subscribe" and topic and subscriber:
            first = subscriptions.setdefault((topic, subscriber), i)
            if first != i:
                problems.append(
                    Problem(
                        loc,
                        f'service "{subscriber}" already subscribes to topic "{topic}" '
                        f"(links[{first}])",
                    )
                )
    return problems


def _check_style_fields(link: Mapping[str, Any], style: str, loc: str) -> list[Problem]:
    problems = []
    for key in link:
        styles = OPTION_STYLES.get(key)
        if styles is not None and style not in styles:
            problems.append(Problem(f"{loc}.{key}", f"applies to {_either(styles)} links only"))
    for key in STYLE_REQUIRES.get(style, ()):
        if link.get(key) is None:
            problems.append(Problem(f"{loc}.{key}", f"required for style {style}"))
    return problems


def _either(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _check_link_operation(link: Mapping[str, Any], loc: str, index: Index) -> list[Problem]:
    op = link.get("operation")
    target = link.get("to")
    if not isinstance(target, str) or (op is not None and not isinstance(op, str)):
        return []
    ops = index.operation_ids(target)
    wanted = op if isinstance(op, str) else "default"
    if ops is not None and wanted not in ops:
        where = f"{loc}.operation" if isinstance(op, str) else loc
        hint = "" if isinstance(op, str) else ' (name one in "operation")'
        return [Problem(where, f'service "{target}" has no operation "{wanted}"{hint}')]
    return []


def _check_operations(doc: Mapping[str, Any], index: Index) -> list[Problem]:
    problems: list[Problem] = []
    for i, node in _enumerated(doc.get("nodes")):
        ops = node.get("operations")
        if node.get("kind") != "service" or not isinstance(ops, list):
            continue
        problems += _check_duplicates(ops, f"nodes[{i}].operations")
        for j, op in _enumerated(ops):
            calls = op.get("calls")
            for k, call in enumerate(calls if isinstance(calls, list) else []):
                if not isinstance(call, str):
                    continue
                loc = f"nodes[{i}].operations[{j}].calls[{k}]"
                msg = _call_problem(call, node.get("id"), index)
                if msg:
                    problems.append(Problem(loc, msg))
    return problems


def _call_problem(call: str, service_id: Any, index: Index) -> str | None:
    """What is wrong with `call` in an operation of `service_id`, if anything."""
    link = index.links.get(call)
    if link is None:
        return f'unknown link "{call}"' if index.unknown_link(call) else None
    start, style = _str(link.get("from")), _str(link.get("style"))
    if start is None or style not in DIRECTIONS:
        return None  # the link's own bad `from` or `style` is reported on the link
    if start != service_id:
        return f'link "{call}" does not start at service "{service_id}"'
    if style not in CALL_STYLES:
        return (
            f'link "{call}" is a {style} link; operations make sync, async, publish and write calls'
        )
    return None


def _check_workload(doc: Mapping[str, Any], index: Index) -> list[Problem]:
    problems: list[Problem] = []
    duration = doc.get("duration_s", 60.0)
    for i, item in _enumerated(doc.get("workload")):
        loc = f"workload[{i}]"
        entry = item.get("entry")
        if isinstance(entry, str):
            kind = index.kind(entry)
            op = item.get("operation")
            if index.unknown_node(entry):
                problems.append(Problem(f"{loc}.entry", f'unknown node "{entry}"'))
            elif kind is None or (op is not None and not isinstance(op, str)):
                pass  # a bad kind or operation is reported there
            elif kind != "service":
                problems.append(Problem(f"{loc}.entry", f'"{entry}" is a {kind}, not a service'))
            else:
                wanted = op if isinstance(op, str) else "default"
                ops = index.operation_ids(entry)
                if ops is not None and wanted not in ops:
                    problems.append(
                        Problem(
                            f"{loc}.operation", f'service "{entry}" has no operation "{wanted}"'
                        )
                    )
        start, end = item.get("from_s", 0.0), item.get("to_s")
        if _is_number(duration) and _is_number(start) and start >= duration:
            problems.append(Problem(f"{loc}.from_s", "must be < duration_s"))
        if _is_number(duration) and _is_number(end) and end > duration:
            problems.append(Problem(f"{loc}.to_s", "must be <= duration_s"))
        if _is_number(start) and _is_number(end) and end <= start:
            problems.append(Problem(f"{loc}.to_s", "must be > from_s"))
    return problems


def check_fault(fault: Mapping[str, Any], loc: str, index: Index) -> list[Problem]:
    mode = _str(fault.get("mode"))
    problems = _check_fault_target(fault, mode, loc, index)
    for key in MODE_REQUIRES.get(mode, ()) if mode else ():
        if fault.get(key) is None:
            problems.append(Problem(f"{loc}.{key}", f"required for mode {mode}"))
    return problems


def _check_fault_target(
    fault: Mapping[str, Any], mode: str | None, loc: str, index: Index
) -> list[Problem]:
    target = fault.get("target")
    if not isinstance(target, str):
        return []
    is_node, is_link = target in index.nodes, target in index.links
    if not is_node and not is_link:
        if not (index.all_nodes and index.all_links):
            return []
        return [Problem(f"{loc}.target", f'unknown node or link "{target}"')]
    if is_node and is_link:
        return [Problem(f"{loc}.target", f'"{target}" names both a node and a link')]
    kind = index.kind(target) if is_node else "link"
    problems: list[Problem] = []
    if kind is None:
        return problems  # the node's bad kind is reported on the node
    allowed = FAULT_TARGETS.get(mode) if mode else None
    if allowed is not None and kind not in allowed:
        problems.append(
            Problem(f"{loc}.mode", f"{mode} applies to a {' or '.join(allowed)}, not a {kind}")
        )
    instance = fault.get("instance")
    if instance is not None and _is_number(instance):
        if kind != "service":
            problems.append(Problem(f"{loc}.instance", "applies to services only"))
        else:
            count = index.nodes[target].get("instances", 1)
            if _is_number(count) and instance >= count:
                problems.append(
                    Problem(
                        f"{loc}.instance",
                        f'must be < {count} (service "{target}" has {count} instances)',
                    )
                )
    return problems


def _check_times(doc: Mapping[str, Any]) -> list[Problem]:
    duration, warmup = doc.get("duration_s", 60.0), doc.get("warmup_s", 0.0)
    if _is_number(duration) and _is_number(warmup) and warmup >= duration:
        return [Problem("warmup_s", "must be < duration_s")]
    return []


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
