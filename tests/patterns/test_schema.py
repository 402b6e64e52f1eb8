"""patterns/schema.py: the published JSON Schema and the server agree.

Documents generated from the schema load unless they break a rule docs/scenario-format.md
lists as beyond the schema; built-in labs with one field replaced by any JSON value are
refused by the server whenever the schema (jsonschema's Draft 2020-12 validator) refuses
them, and refused by the schema whenever the server refuses them for a rule it carries.
"""

from __future__ import annotations

import json

import jsonschema
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import patterns
from patterns.references import OPTION_STYLES
from tests.json_paths import json_paths, json_replaced
from tests.patterns.test_load_fuzz import lab_docs
from tests.schema_docs import beyond_the_schema, documented_rules, generated_docs

SCHEMA = patterns.json_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
RULES = documented_rules()

# JSON values only (no NaN or infinity, which JSON cannot write): what a client may send.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([0, 1, 2.0, -1, 0.5, 100.0, "sync", "poll", "timing", "a", ""])
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def server_problems(doc) -> list[patterns.Problem]:
    try:
        patterns.load(doc)
    except patterns.ScenarioError as err:
        return err.problems
    return []


def outside_the_documented_rules(problems) -> list[str]:
    return [str(p) for p in problems if not beyond_the_schema(p.msg, RULES)]


def test_the_schema_names_its_dialect_and_itself():
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["$id"].endswith("/scenario-1.json")
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    json.dumps(SCHEMA)


def test_the_docs_list_the_rules_beyond_the_schema():
    for message in [
        'duplicate id "a" (also nodes[0])',
        'link "a" does not start at service "b"',
        "max must be >= min",
        "min_calls must be <= window",
        "must be < duration_s",
        "must be <= duration_s",
        "to_s must be > from_s",
        'must be < 2 (service "a" has 2 instances)',
    ]:
        assert beyond_the_schema(message, RULES), message
    assert not beyond_the_schema("must be >= 0", RULES)
    assert not beyond_the_schema("applies to sync and async links only", RULES)


def test_every_lab_is_valid_under_the_schema():
    for doc in lab_docs():
        assert not list(VALIDATOR.iter_errors(doc))


@pytest.mark.parametrize(
    ("change", "loc", "msg"),
    [
        ({"style": "publish", "to": "placed", "timeout_ms": 100}, "links[0].timeout_ms", None),
        ({"style": "sync", "reply_work_ms": 2}, "links[0].reply_work_ms", None),
        ({"style": "poll"}, "links[0].interval_ms", "required for style poll"),
        ({"style": "poll", "interval_ms": None}, "links[0].interval_ms", None),
    ],
)
def test_the_options_of_a_link_style_are_rules_of_schema_and_server(change, loc, msg):
    doc = _small_doc()
    doc["links"][0].update(change)
    assert list(VALIDATOR.iter_errors(doc))
    problems = server_problems(doc)
    assert [p.loc for p in problems if p.loc == loc] == [loc], problems
    if msg:
        assert msg in [p.msg for p in problems]


def test_timing_and_arbitrary_faults_need_extra_ms_in_schema_and_server():
    for mode in ("timing", "arbitrary"):
        doc = _small_doc()
        doc["faults"] = [{"target": "a", "mode": mode}]
        assert list(VALIDATOR.iter_errors(doc))
        assert [str(p) for p in server_problems(doc)] == [
            f"faults[0].extra_ms: required for mode {mode}"
        ]
        doc["faults"][0]["extra_ms"] = 5
        assert not list(VALIDATOR.iter_errors(doc)) and not server_problems(doc)


def _small_doc() -> dict:
    return {
        "format": "mscomm.scenario/1",
        "name": "two services",
        "nodes": [
            {"id": "a", "kind": "service"},
            {"id": "b", "kind": "service"},
            {"id": "placed", "kind": "topic"},
        ],
        "links": [{"id": "ab", "from": "a", "to": "b", "style": "sync"}],
    }


def test_documents_the_schema_accepts_load_but_for_the_rules_beyond_it(slow, record_figure):
    """The schema's promise, checked on generated documents: the server refuses one only
    for a rule docs/scenario-format.md lists as beyond the schema."""
    seen = {"generated": 0, "loaded": 0, "refused beyond the schema": 0}

    @settings(
        # About a second per generated document at full size (cap 8): 100 of them are
        # the larger part of the --slow pass's budget already.
        max_examples=100 if slow else 20,
        # Shrinking a generated scenario takes minutes; the failure shows the document.
        phases=[Phase.explicit, Phase.generate],
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(generated_docs(SCHEMA, cap=8 if slow else 4))
    def check(doc) -> None:
        if not VALIDATOR.is_valid(doc):
            return  # the generation copy let through something the schema refuses
        seen["generated"] += 1
        problems = server_problems(doc)
        seen["loaded" if not problems else "refused beyond the schema"] += 1
        surprises = outside_the_documented_rules(problems)
        assert not surprises, (surprises[:3], json.dumps(doc)[:3000])

    check()
    record_figure("schema-generated scenarios: valid / loaded / refused by documented rules", seen)
    assert seen["loaded"] > 0 and seen["generated"] >= 10, seen


def test_what_the_schema_refuses_the_server_refuses_on_mutated_labs(slow, record_figure):
    """Built-in labs with one field replaced by any JSON value: the schema and the server
    agree, apart from the rules beyond the schema (which only the server can check)."""
    labs = lab_docs()
    seen = {"both accept": 0, "both refuse": 0, "only the server refuses (documented)": 0}

    @st.composite
    def mutated(draw):
        doc = draw(st.sampled_from(labs))
        path = draw(st.sampled_from(list(json_paths(doc))[1:]))
        old = doc
        for part in path:
            old = old[part]
        # Now and then the value as it was, or an integer written as a float.
        kept = [old, float(old)] if type(old) is int else [old]
        return json_replaced(doc, path, draw(json_values | st.sampled_from(kept)))

    @settings(
        max_examples=2000 if slow else 300,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(mutated())
    def check(doc) -> None:
        schema_errors = [e.message for e in VALIDATOR.iter_errors(doc)]
        problems = server_problems(doc)
        if schema_errors:
            assert problems, ("the schema refuses, the server accepts", schema_errors[:3])
            seen["both refuse"] += 1
        elif problems:
            assert not outside_the_documented_rules(problems), problems
            seen["only the server refuses (documented)"] += 1
        else:
            seen["both accept"] += 1

    check()
    record_figure("mutated labs: schema vs server", seen)
    assert seen["both refuse"] > 0 and seen["both accept"] > 0, seen


# --- one bad field, one line: for every field the schema lists ---------------------------


def _rich_doc() -> dict:
    """A valid document with an object of every definition of the schema."""
    from tests.patterns.test_scenario import base_doc

    doc = base_doc()
    doc["links"].append({"id": "ask", "from": "order", "to": "payment", "style": "async"})
    doc["nodes"][0]["operations"][0]["calls"].append("ask")
    doc["nodes"][1]["restart_ms"] = 10
    return doc


# Where an object of each definition is in `_rich_doc()`; unreferenced ones for ids.
WHERE = {
    "Scenario": (),
    "Service": ("nodes", 1),
    "Operation": ("nodes", 0, "operations", 1),
    "Topic": ("nodes", 2),
    "Datastore": ("nodes", 4),
    "Link": ("links", 0),
    "Breaker": ("links", 0, "circuit_breaker"),
    "Workload": ("workload", 0),
    "Arrival": ("workload", 0, "arrival"),
    "Fault": ("faults", 2),
    "Point": ("layout", "order"),
    "Exponential": ("nodes", 0, "operations", 1, "work_ms"),
    "Uniform": ("nodes", 1, "work_ms"),
}
SCHEMA_TYPES = {
    (name, field): spec.get("type")
    for name, definition in [("Scenario", SCHEMA), *SCHEMA["$defs"].items()]
    for field, spec in definition.get("properties", {}).items()
}
LINK_OF_STYLE = {"sync": 0, "async": 5, "poll": 4, "subscribe": 2}


def _fields():
    for name, where in WHERE.items():
        definition = SCHEMA if name == "Scenario" else SCHEMA["$defs"][name]
        for field in definition["properties"]:
            yield pytest.param(name, where, field, id=f"{name}.{field}")


def _loc(path: tuple) -> str:
    from patterns.validation import format_loc

    return format_loc(path)


@pytest.mark.parametrize(("definition", "where", "field"), list(_fields()))
def test_one_bad_field_is_one_line(definition, where, field):
    doc = _rich_doc()
    if field == "id" and definition in ("Service", "Link"):
        # An id others refer to would also break the references: take a fresh one.
        fresh = {"id": "spare", "kind": "service"} if definition == "Service" else None
        fresh = fresh or {"id": "spare", "from": "order", "to": "loyalty", "style": "sync"}
        section = "nodes" if definition == "Service" else "links"
        doc[section].append(fresh)
        where = (section, len(doc[section]) - 1)
    if definition == "Link":
        styles = OPTION_STYLES.get(field)
        if styles:
            where = ("links", LINK_OF_STYLE[next(s for s in styles if s in LINK_OF_STYLE)])
    target = doc
    for part in where:
        target = target[part]
    kind = SCHEMA_TYPES.get((definition, field))
    bad = "x" if kind == "array" else []
    target[field] = bad
    problems = [str(p) for p in server_problems(doc)]
    assert len(problems) == 1, problems
    assert problems[0].startswith(_loc(where)), problems
    assert list(VALIDATOR.iter_errors(doc)), "the schema refuses it too"
