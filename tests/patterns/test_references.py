"""patterns/references.py: the checks of a raw document that pydantic cannot make (ids
that must exist, link directions, fault targets, time windows)."""

from __future__ import annotations

from patterns.references import CALL_STYLES, DIRECTIONS, Index, check_fault, check_references


def doc(**extra):
    base = {
        "nodes": [
            {"id": "a", "kind": "service"},
            {"id": "b", "kind": "service", "instances": 2},
            {"id": "t", "kind": "topic"},
            {"id": "db", "kind": "datastore"},
        ],
        "links": [{"id": "ab", "from": "a", "to": "b", "style": "sync"}],
        "workload": [{"entry": "a"}],
    }
    base.update(extra)
    return base


def locs(problems):
    return [(p.loc, p.msg) for p in problems]


def test_a_consistent_document_has_no_problem():
    assert check_references(doc()) == []


def test_duplicate_ids_name_the_first_one():
    d = doc()
    d["nodes"].append({"id": "a", "kind": "service"})
    assert locs(check_references(d)) == [("nodes[4].id", 'duplicate id "a" (also nodes[0])')]


def test_a_link_must_join_nodes_of_the_kinds_its_style_needs():
    problems = check_references(doc(links=[{"id": "x", "from": "a", "to": "t", "style": "sync"}]))
    assert [p.loc for p in problems] and all(p.loc.startswith("links[0]") for p in problems)
    assert (
        check_references(doc(links=[{"id": "x", "from": "a", "to": "t", "style": "publish"}])) == []
    )
    assert set(CALL_STYLES) <= set(DIRECTIONS)


def test_a_workload_entry_must_be_a_service():
    problems = check_references(doc(workload=[{"entry": "t"}]))
    assert [p.loc for p in problems] == ["workload[0].entry"]


def test_a_fault_must_target_what_its_mode_applies_to():
    index = Index(doc())
    assert check_fault({"target": "b", "mode": "crash", "instance": 1}, "f", index) == []
    assert locs(check_fault({"target": "nope", "mode": "crash"}, "f", index)) == [
        ("f.target", 'unknown node or link "nope"')
    ]
    assert locs(check_fault({"target": "ab", "mode": "crash"}, "f", index)) == [
        ("f.mode", "crash applies to a service or topic, not a link")
    ]
    assert locs(check_fault({"target": "b", "mode": "crash", "instance": 2}, "f", index)) == [
        ("f.instance", 'must be < 2 (service "b" has 2 instances)')
    ]
    assert locs(check_fault({"target": "b", "mode": "timing"}, "f", index)) == [
        ("f.extra_ms", "required for mode timing")
    ]


def test_the_index_reads_a_broken_document_without_failing():
    index = Index({"nodes": [{"id": 3}, "junk", {"id": "s", "kind": "service"}], "links": 7})
    assert index.kind("s") == "service" and index.kind(3) is None
    assert index.operation_ids("s") == {"default"}
    assert index.operation_ids("nope") is None
    assert check_references({"nodes": "junk", "links": None, "faults": [1]}) == []


def test_warmup_must_end_before_the_run():
    assert locs(check_references(doc(duration_s=10, warmup_s=10))) == [
        ("warmup_s", "must be < duration_s")
    ]
