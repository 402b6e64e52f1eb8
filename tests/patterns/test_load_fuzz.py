"""`patterns.load` on hostile input: any JSON value, and valid scenarios with one field
replaced by anything. It returns a Scenario or raises ScenarioError (with a field path),
never anything else."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import patterns
import patterns.library
from tests.json_paths import json_paths, json_replaced

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=30,
)


def lab_docs() -> list[dict]:
    return [
        lab["doc"] if isinstance(lab, dict) else lab.doc for lab in patterns.library.list_labs()
    ]


@st.composite
def mutated_labs(draw):
    doc = draw(st.sampled_from(lab_docs()))
    path = draw(st.sampled_from(list(json_paths(doc))[1:]))
    return json_replaced(doc, path, draw(json_values))


def load_or_refuse(value) -> str:
    try:
        patterns.load(value)
    except patterns.ScenarioError as err:
        assert err.problems and all(p.msg for p in err.problems)
        return "refused"
    return "loaded"


def run(strategy, examples: int) -> dict[str, int]:
    seen = {"loaded": 0, "refused": 0}

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def fuzz(value) -> None:
        seen[load_or_refuse(value)] += 1

    fuzz()
    return seen


def test_any_json_value_is_loaded_or_refused(slow, record_figure):
    seen = run(json_values, 5000 if slow else 500)
    record_figure("patterns.load on random JSON: loaded/refused, 0 crashes", seen)
    assert seen["refused"] > 0


def test_labs_with_one_field_replaced_are_loaded_or_refused(slow, record_figure):
    seen = run(mutated_labs(), 5000 if slow else 500)
    record_figure("patterns.load on mutated labs: loaded/refused, 0 crashes", seen)
    assert seen["refused"] > 0 and seen["loaded"] > 0


def test_text_and_bytes_that_are_not_scenarios_are_refused():
    for raw in ["", "{", "[" * 10_000, '{"a": NaN}', b"\xff\xfe", "null", json.dumps("x" * 10**6)]:
        assert load_or_refuse(raw) == "refused", raw[:20]
