"""The editor in a real browser against the real server: building, saving, errors, undo."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from tests.browser.pages import api, drag, element_xy, set_field, wait_saved

XSS = "<img src=x onerror=alert(1)>"


def open_new_editor(watched) -> str:
    page = watched.page
    page.goto("/scenarios/new")
    wait_saved(page)
    page.wait_for_url(re.compile(r"/scenarios/[0-9a-f-]{36}/$"))
    return page.url.rstrip("/").rsplit("/", 1)[1]


def node_xy(page, node_id):
    return element_xy(page, "mscommEditor", node_id)


def build_chain(watched) -> str:
    """Three services in a sync chain, by clicking the palette and dragging on the graph."""
    page = watched.page
    scenario_id = open_new_editor(watched)
    for _ in range(3):
        page.get_by_role("button", name="+ Service").click()
    box = page.locator("#graph").bounding_box()
    targets = {
        "service-1": (box["x"] + 200, box["y"] + 200),
        "service-2": (box["x"] + 450, box["y"] + 200),
        "service-3": (box["x"] + 700, box["y"] + 200),
    }
    for node_id, target in targets.items():
        drag(page, node_xy(page, node_id), target)
    page.locator('[data-link-style="sync"]').click()
    for src, dst in (("service-1", "service-2"), ("service-2", "service-3")):
        page.mouse.click(*node_xy(page, src))
        page.mouse.click(*node_xy(page, dst))
        expect(page.locator("#hint")).to_contain_text(f"Linked {src} → {dst} as sync")
    page.keyboard.press("Escape")
    return scenario_id


def test_a_three_service_chain_is_built_by_clicking_and_dragging(watched):
    page = watched.page
    scenario_id = build_chain(watched)
    wait_saved(page)
    stored = api(page, "GET", f"scenarios/{scenario_id}")["doc"]
    assert [n["id"] for n in stored["nodes"]] == ["service-1", "service-2", "service-3"]
    assert [(k["from"], k["to"], k["style"]) for k in stored["links"]] == [
        ("service-1", "service-2", "sync"),
        ("service-2", "service-3", "sync"),
    ]
    # The drags were stored: left to right, roughly 250 px apart at zoom 1 or less.
    xs = [stored["layout"][f"service-{i}"]["x"] for i in (1, 2, 3)]
    assert xs[0] < xs[1] < xs[2]
    watched.shot("editor-chain")


def test_a_bad_value_shows_the_servers_error_on_the_field_and_the_node(watched):
    page = watched.page
    open_new_editor(watched)
    page.get_by_role("button", name="+ Service").click()
    wait_saved(page)
    set_field(page, "nodes[0].workers", "0")
    field = page.locator('.field.invalid[data-path="nodes[0].workers"]')
    expect(field.locator(".error")).to_contain_text("must be >= 1")
    expect(page.locator("#save-status")).to_contain_text("not saved")
    assert page.evaluate("mscommEditor.cy.getElementById('service-1').hasClass('has-error')")
    watched.shot("editor-field-error")
    # From the scenario's view, the problem list leads back to the element.
    page.locator("#graph").click(position={"x": 15, "y": 15})
    page.get_by_role("button", name="nodes[0].workers: must be >= 1").click()
    expect(page.locator('#panel input[data-path="nodes[0].workers"]')).to_have_value("0")
    # Fixing it saves again and clears the marks.
    set_field(page, "nodes[0].workers", "4")
    wait_saved(page)
    assert not page.evaluate("mscommEditor.cy.getElementById('service-1').hasClass('has-error')")


def test_labels_that_look_like_html_show_literally_and_never_run(watched):
    page = watched.page
    scenario_id = open_new_editor(watched)
    page.get_by_role("button", name="+ Service").click()
    set_field(page, "nodes[0].label", XSS)
    wait_saved(page)
    assert page.evaluate("mscommEditor.cy.getElementById('service-1').data('label')") == XSS
    page.mouse.click(*node_xy(page, "service-1"))  # deselect-select: panel shows the scenario
    page.keyboard.press("Escape")
    set_field(page, "name", XSS)
    wait_saved(page)
    expect(page.locator("#scenario-title")).to_have_text(XSS)
    page.goto("/")
    expect(page.locator(f'#scenarios li[data-id="{scenario_id}"] a')).to_have_text(XSS)
    assert page.locator('img[src="x"]').count() == 0
    watched.shot("gallery-literal-label")
    assert watched.dialogs == []


def test_undo_redo_and_delete_from_the_keyboard(watched):
    page = watched.page
    open_new_editor(watched)
    page.locator("#graph").click(position={"x": 20, "y": 20})
    count = "mscommEditor.model.doc.nodes.length"
    for key in ("s", "s", "t"):
        page.keyboard.press(key)
    assert page.evaluate(count) == 3
    page.keyboard.press("Control+z")
    assert page.evaluate(count) == 2
    page.keyboard.press("Control+Shift+Z")
    assert page.evaluate(count) == 3
    page.mouse.click(*node_xy(page, "topic-1"))
    page.keyboard.press("Delete")
    assert page.evaluate("mscommEditor.model.doc.nodes.map(n => n.id)") == [
        "service-1",
        "service-2",
    ]
    wait_saved(page)


def test_a_save_in_between_is_a_conflict_the_user_resolves(watched):
    page = watched.page
    scenario_id = open_new_editor(watched)
    stored = api(page, "GET", f"scenarios/{scenario_id}")
    api(
        page,
        "PUT",
        f"scenarios/{scenario_id}",
        {"doc": {**stored["doc"], "name": "Saved elsewhere"}, "version": stored["version"]},
    )
    set_field(page, "name", "Saved here")
    expect(page.locator("#conflict")).to_be_visible()
    page.get_by_role("button", name="Keep mine (overwrite)").click()
    wait_saved(page)
    assert api(page, "GET", f"scenarios/{scenario_id}")["doc"]["name"] == "Saved here"


def test_operations_name_the_calls_they_make(watched):
    page = watched.page
    scenario_id = build_chain(watched)
    page.mouse.click(*node_xy(page, "service-2"))
    page.get_by_role("button", name="Add operation").click()
    call = page.locator('#panel input[data-call="service-2-service-3-1"]')
    expect(call).to_be_checked()
    call.uncheck()
    wait_saved(page)
    node = api(page, "GET", f"scenarios/{scenario_id}")["doc"]["nodes"][1]
    assert node["operations"] == [{"id": "default", "calls": []}]
    watched.shot("editor-operations")


def test_export_then_import_round_trips_the_scenario(watched, tmp_path):
    page = watched.page
    build_chain(watched)
    wait_saved(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Export JSON").click()
    exported = json.loads(download.value.path().read_text())
    assert [n["id"] for n in exported["nodes"]] == ["service-1", "service-2", "service-3"]

    scenario_id = open_new_editor(watched)
    source = tmp_path / "chain.json"
    source.write_text(json.dumps({**exported, "name": "Imported chain"}))
    page.locator("#import-file").set_input_files(str(source))
    expect(page.locator("#scenario-title")).to_have_text("Imported chain")
    wait_saved(page)
    stored = api(page, "GET", f"scenarios/{scenario_id}")["doc"]
    assert len(stored["links"]) == 2
    page.keyboard.press("Control+z")  # the import is one undoable step
    assert page.evaluate("mscommEditor.model.doc.nodes.length") == 0


def test_a_sweep_compares_the_scenario_across_values(watched):
    page = watched.page
    build_chain(watched)
    page.mouse.click(*node_xy(page, "service-3"))
    set_field(page, "nodes[2].workers", "4")
    page.locator("#graph").click(position={"x": 15, "y": 15})
    page.get_by_role("button", name="Add workload").click()
    wait_saved(page)
    page.locator("#sweep summary").click()
    page.locator('#panel input[data-path="workload[0].arrival.rate_per_s"]').focus()
    expect(page.locator("#sweep-param")).to_have_value("workload[0].arrival.rate_per_s")
    page.locator("#sweep-values").fill("10, 50, 200")
    page.get_by_role("button", name="Run the sweep").click()
    page.wait_for_url("**/batches/*/")
    expect(page.locator("#batch-state")).to_have_text("done", timeout=90_000)
    rows = page.locator("#variants tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first.locator("td").first).to_have_text("workload[0].arrival.rate_per_s = 10")
    expect(page.locator("#compare-charts .chart")).to_have_count(2)
    watched.shot("compare-sweep")
    # Each variant opens as a run with its result.
    rows.first.locator("a").click()
    page.wait_for_url("**/runs/*/")
    expect(page.locator("#results caption").first).to_have_text("Requests", timeout=15_000)


def test_a_link_is_drawn_by_dragging_from_source_to_target(watched):
    page = watched.page
    scenario_id = open_new_editor(watched)
    page.get_by_role("button", name="+ Service").click()
    page.get_by_role("button", name="+ Topic").click()
    page.locator('[data-link-style="publish"]').click()
    before = page.evaluate("mscommEditor.model.doc.layout['service-1']")
    drag(page, node_xy(page, "service-1"), node_xy(page, "topic-1"))
    expect(page.locator("#hint")).to_contain_text("Linked service-1 → topic-1 as publish")
    # The nodes stayed where they were: the drag drew a link, it did not move a node.
    wait_saved(page)
    doc = api(page, "GET", f"scenarios/{scenario_id}")["doc"]
    assert [(k["from"], k["to"], k["style"]) for k in doc["links"]] == [
        ("service-1", "topic-1", "publish")
    ]
    assert doc["layout"]["service-1"] == before


def test_a_fault_is_scheduled_by_clicking_the_timeline(watched):
    page = watched.page
    scenario_id = build_chain(watched)
    page.mouse.click(*node_xy(page, "service-3"))
    box = page.locator("#timeline").bounding_box()
    # A quarter of the way along the default 90 s (60 s + 30 s drain).
    page.mouse.click(box["x"] + box["width"] / 4, box["y"] + box["height"] / 2)
    expect(page.locator("#timeline .fault")).to_have_count(1)
    expect(page.locator("#hint")).to_contain_text("Scheduled: crash on service-3")
    wait_saved(page)
    (fault,) = api(page, "GET", f"scenarios/{scenario_id}")["doc"]["faults"]
    assert fault["target"] == "service-3" and fault["mode"] == "crash"
    assert 20 <= fault["from_s"] <= 25 and fault["to_s"] > fault["from_s"]


def test_edits_made_just_before_leaving_the_page_are_saved(watched):
    page = watched.page
    scenario_id = open_new_editor(watched)
    set_field(page, "name", "Edited just before leaving")
    # Gone before the autosave's wait is over: the edit travels with the page.
    page.goto("/")
    for _ in range(50):
        if api(page, "GET", f"scenarios/{scenario_id}")["doc"]["name"] != "Untitled scenario":
            break
        page.wait_for_timeout(100)
    assert api(page, "GET", f"scenarios/{scenario_id}")["doc"]["name"] == (
        "Edited just before leaving"
    )


def test_a_new_link_style_drops_the_options_of_the_old_one(watched):
    page = watched.page
    scenario_id = build_chain(watched)
    page.mouse.click(*element_xy(page, "mscommEditor", "link:service-1-service-2-1"))
    page.locator("#f-link-style").select_option("async")
    set_field(page, "links[0].reply_work_ms", "3")
    wait_saved(page)
    link = api(page, "GET", f"scenarios/{scenario_id}")["doc"]["links"][0]
    assert (link["style"], link["reply_work_ms"]) == ("async", 3)
    # reply_work_ms is an async option only: the server would refuse it on a sync link.
    page.locator("#f-link-style").select_option("sync")
    wait_saved(page)
    link = api(page, "GET", f"scenarios/{scenario_id}")["doc"]["links"][0]
    assert link["style"] == "sync" and "reply_work_ms" not in link
    expect(page.locator("#problem-list")).to_have_count(0)
