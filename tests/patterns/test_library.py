"""patterns/library: the built-in chapter-4 labs load, draw sensibly and teach their lesson."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

import patterns
from patterns.library import Lab, get_lab, list_labs

REQUIRED = [
    "sync-chain",
    "sync-chain-restructured",
    "temporal-coupling",
    "cascade-sync",
    "cascade-async",
    "long-running-async",
    "async-request-response",
    "order-placed-event",
    "common-data",
    "mixed-styles",
    "poison-forever",
    "poison-dlq",
    "resilience",
    "retry-storm",
    "fault-crash",
    "fault-omission",
    "fault-timing",
    "fault-response",
    "fault-arbitrary",
]
SLUGS = [lab.slug for lab in list_labs()]
ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def test_the_library_has_every_required_lab_in_order() -> None:
    assert [s for s in SLUGS if s in REQUIRED] == REQUIRED
    assert len(SLUGS) == len(set(SLUGS))


def test_every_json_file_in_the_package_is_listed_and_every_listed_lab_has_a_file() -> None:
    files = {
        p.name.removesuffix(".json")
        for p in resources.files("patterns.library").iterdir()
        if p.name.endswith(".json") and p.name != "index.json"
    }
    assert files == set(SLUGS)


@pytest.mark.parametrize("slug", SLUGS)
def test_lab_is_a_valid_scenario(slug: str) -> None:
    lab = get_lab(slug)
    scenario = patterns.load(lab.doc)
    assert ID.match(lab.slug)
    assert scenario.name == lab.name
    assert 30 <= scenario.duration_s <= 120


@pytest.mark.parametrize("slug", SLUGS)
def test_lab_tells_the_learner_what_to_watch(slug: str) -> None:
    lab = get_lab(slug)
    assert lab.description == lab.doc["description"]
    assert 200 <= len(lab.description) <= 4000
    assert "Watch" in lab.description or "watch" in lab.description
    # One sentence: a single full stop, at the end.
    assert lab.summary.endswith(".") and lab.summary.count(". ") == 0
    assert len(lab.summary) <= 160


@pytest.mark.parametrize("slug", SLUGS)
def test_lab_layout_places_every_node_apart(slug: str) -> None:
    doc = get_lab(slug).doc
    layout = doc["layout"]
    assert set(layout) == {n["id"] for n in doc["nodes"]}
    points = [(p["x"], p["y"]) for p in layout.values()]
    for i, (x1, y1) in enumerate(points):
        for x2, y2 in points[i + 1 :]:
            assert max(abs(x1 - x2), abs(y1 - y2)) >= 120, (x1, y1, x2, y2)


@pytest.mark.parametrize("slug", SLUGS)
def test_lab_flows_left_to_right(slug: str) -> None:
    doc = get_lab(slug).doc
    x = {node: p["x"] for node, p in doc["layout"].items()}
    for link in doc["links"]:
        assert x[link["from"]] < x[link["to"]], link["id"]


def test_get_lab_returns_an_independent_copy_each_time() -> None:
    first = get_lab("sync-chain")
    first.doc["nodes"].clear()
    assert get_lab("sync-chain").doc["nodes"]


def test_get_lab_refuses_an_unknown_or_path_like_slug() -> None:
    for slug in ("no-such-lab", "index", "../pyproject", ""):
        with pytest.raises(KeyError):
            get_lab(slug)


def test_list_labs_gives_lab_records() -> None:
    labs = list_labs()
    assert all(isinstance(lab, Lab) for lab in labs)
    assert json.loads(json.dumps([lab.doc for lab in labs])) == [lab.doc for lab in labs]
