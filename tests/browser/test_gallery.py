"""The gallery: the chapter-4 labs with pictures, opening one in the editor."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.pages import api


def test_every_lab_has_a_card_with_a_picture_of_its_topology(watched):
    page = watched.page
    page.goto("/")
    labs = api(page, "GET", "library")
    assert labs, "the library is empty"
    cards = page.locator("#labs article.card")
    expect(cards).to_have_count(len(labs))
    first = cards.first
    expect(first.locator("h3")).to_have_text(labs[0]["name"])
    doc = api(page, "GET", f"library/{labs[0]['slug']}")["doc"]
    expect(first.locator("svg.thumb rect")).to_have_count(len(doc["nodes"]))
    watched.shot("gallery")


def test_opening_a_lab_copies_it_into_the_editor(watched):
    page = watched.page
    page.goto("/")
    lab = api(page, "GET", "library")[0]
    doc = api(page, "GET", f"library/{lab['slug']}")["doc"]
    page.locator(f'article[data-slug="{lab["slug"]}"]').get_by_role(
        "button", name="Open in editor"
    ).click()
    page.wait_for_url("**/scenarios/*/")
    expect(page.locator("#save-status")).to_contain_text("saved")
    ids = page.evaluate("mscommEditor.cy.nodes().map(n => n.id())")
    assert sorted(ids) == sorted(n["id"] for n in doc["nodes"])
    page.goto("/")
    expect(page.locator("#scenarios li a").first).to_have_text(doc["name"])
