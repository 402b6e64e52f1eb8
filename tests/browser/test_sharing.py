"""Share links and replay in a real browser against the real server.

The owner runs a lab to the end and shares it with the Share button; each test then opens
the link in a fresh browser context (a stranger, with a workspace of its own).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.pages import api, canvas_fingerprint

RUN_SPEED = 20  # simulated seconds per wall second: about 4 s for an 80 s lab


def wait_finished(page: Page, run_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = api(page, "GET", f"runs/{run_id}")
        if run["state"] not in ("queued", "running"):
            assert run["state"] == "succeeded", run
            return run
        page.wait_for_timeout(250)
    raise AssertionError(f"run {run_id} did not finish")


def all_frames(page: Page, base: str) -> list[dict]:
    frames: list[dict] = []
    since = 0
    while True:
        batch = api(page, "GET", f"{base}/frames?since={since}")
        frames += batch["frames"]
        if batch["done"]:
            return frames
        since = batch["next"]


def share_from_page(page: Page) -> str:
    """Press Share on the current page, create a link, return its path (`/s/<token>`)."""
    page.locator("#btn-share").click()
    page.locator("#share-create").click()
    url = page.locator("#share-url")
    expect(url).to_have_value(re.compile(r"/s/[A-Za-z0-9_-]{43}"))
    return re.sub(r"^https?://[^/]+", "", url.input_value())


@pytest.fixture(scope="module")
def owner(browser: Browser, live_url: str) -> Iterator[dict]:
    """The owner's finished run, shared from its run page; and a shared scenario."""
    context = browser.new_context(base_url=live_url, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(f"page error: {err}"))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/")
    slug = api(page, "GET", "library")[0]["slug"]
    scenario = api(page, "POST", f"library/{slug}/copy")
    run = api(
        page,
        "POST",
        "runs",
        {"scenario_id": scenario["id"], "seed": 3, "speed": RUN_SPEED, "mode": "live"},
    )
    wait_finished(page, run["id"])
    page.goto(f"/runs/{run['id']}/")
    # A finished run opens as a replay, at its end.
    page.wait_for_selector("#replay-seek", timeout=15_000)
    assert not errors, errors
    run_link = share_from_page(page)
    page.goto(f"/scenarios/{scenario['id']}/")
    expect(page.locator("#save-status")).to_contain_text("saved", timeout=15_000)
    scenario_link = share_from_page(page)
    frames = all_frames(page, f"runs/{run['id']}")
    yield {
        "page": page,
        "run": run,
        "scenario": scenario,
        "run_link": run_link,
        "scenario_link": scenario_link,
        "frames": frames,
    }
    context.close()


def open_replay(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("#replay-seek")).to_be_visible(timeout=15_000)
    page.wait_for_function("() => window.mscommReplay && window.mscommPlayer.state")


def shown(page: Page) -> dict:
    """What the replay shows now: clock text, frame label and the player's state time."""
    return page.evaluate(
        """() => ({
            clock: document.getElementById('replay-clock').textContent,
            frame: document.getElementById('replay-frame').textContent,
            state: window.mscommPlayer.state,
            t: window.mscommReplay.t,
            index: window.mscommReplay.index,
        })"""
    )


def test_the_owner_lists_the_links_made_with_the_share_button(owner):
    page = owner["page"]
    page.goto("/shares/")
    rows = page.locator("#shares tbody tr")
    expect(rows.first).to_be_visible()
    hints = rows.locator("code").all_text_contents()
    tokens = {owner["run_link"].split("/")[-1][:6], owner["scenario_link"].split("/")[-1][:6]}
    assert tokens <= {hint.removeprefix("/s/").removesuffix("…") for hint in hints}
    page.goto(f"/runs/{owner['run']['id']}/")
    page.locator("#btn-share").click()
    expect(page.locator("#share-list li")).to_have_count(1)


def test_a_stranger_sees_the_run_read_only(owner, watched):
    page = watched.page
    open_replay(page, owner["run_link"])
    expect(page.locator("#shared-title")).to_have_text(owner["scenario"]["name"])
    expect(page.locator("#run-state")).to_have_text("succeeded")
    nodes = page.evaluate("() => window.mscommShared.cy.nodes().length")
    assert nodes == len(owner["scenario"]["doc"]["nodes"])
    # No editing or run controls, and the graph cannot be dragged.
    for selector in ("[data-add-kind]", "#btn-stop", "#btn-pause", "#btn-inject", "#btn-share"):
        expect(page.locator(selector)).to_have_count(0)
    assert page.evaluate("() => window.mscommShared.cy.autoungrabify()") is True
    expect(page.locator("#results")).to_contain_text("Requests")
    response = page.request.get(owner["run_link"])
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "noindex" in response.headers["x-robots-tag"]
    watched.shot("shared-run")


def test_seeking_changes_the_time_and_the_drawn_state_at_once(owner, watched):
    page = watched.page
    frames = owner["frames"]
    open_replay(page, owner["run_link"])
    end = frames[-1]["t"]
    seen = []
    for target in (round(end * 0.25, 2), round(end * 0.6, 2), 1.0):
        # Move the slider and read the page in the same task: no waiting in between.
        now = page.evaluate(
            """(t) => {
                const seek = document.getElementById('replay-seek');
                seek.value = String(t);
                seek.dispatchEvent(new Event('input', {bubbles: true}));
                return {
                    clock: document.getElementById('replay-clock').textContent,
                    state: window.mscommPlayer.state,
                    index: window.mscommReplay.index,
                };
            }""",
            target,
        )
        assert now["clock"] == f"t = {target:.2f} s"
        frame = frames[now["index"]]
        # The drawn state is the snapshot of the last frame at or before the target.
        assert now["state"] == frame["state"] and frame["t"] <= target
        if now["index"] + 1 < len(frames):
            assert frames[now["index"] + 1]["t"] > target
        seen.append((frame["seq"], canvas_fingerprint(page)))
    assert len({seq for seq, _ in seen}) == 3
    assert len({picture for _, picture in seen}) == 3


def test_stepping_moves_one_frame_at_a_time(owner, watched):
    page = watched.page
    frames = owner["frames"]
    open_replay(page, f"{owner['run_link']}#t=2")
    start = shown(page)["index"]
    page.locator("#replay-next").click()
    after = shown(page)
    assert after["index"] == start + 1
    assert after["state"] == frames[start + 1]["state"]
    assert after["clock"] == f"t = {frames[start + 1]['t']:.2f} s"
    assert after["frame"] == f"frame {start + 2} / {len(frames)}"
    page.locator("#replay-next").click()
    page.locator("#replay-back").click()
    assert shown(page)["index"] == start + 1
    # The moment is now in the address bar, ready to be copied.
    assert re.search(r"#t=[0-9.]+$", page.url)
    # With no control focused, the arrow keys step too.
    page.evaluate("() => document.activeElement.blur()")
    page.keyboard.press("ArrowRight")
    assert shown(page)["index"] == start + 2
    # A playhead typed into the address bar moves the replay there.
    page.evaluate("() => { location.hash = 't=3'; }")
    expect(page.locator("#replay-clock")).to_have_text("t = 3.00 s")


@pytest.mark.parametrize("suffix", ["?t=12.5", "#t=12.5"])
def test_a_playhead_url_opens_at_that_moment(owner, watched, suffix):
    page = watched.page
    frames = owner["frames"]
    open_replay(page, owner["run_link"] + suffix)
    now = shown(page)
    assert now["clock"] == "t = 12.50 s" and now["t"] == 12.5
    expected = max(i for i, f in enumerate(frames) if f["t"] <= 12.5)
    assert now["index"] == expected
    assert now["state"] == frames[expected]["state"]
    assert page.locator("#replay-seek").input_value() == "12.5"
    expect(page.locator("#replay-play")).to_have_text("Play")


def test_play_advances_the_clock_and_pause_holds_it(owner, watched):
    page = watched.page
    open_replay(page, f"{owner['run_link']}#t=1")
    page.locator("#replay-speed").select_option("5")
    page.locator("#replay-play").click()
    page.wait_for_function("() => window.mscommReplay.t > 3", timeout=15_000)
    page.locator("#replay-play").click()
    held = shown(page)["t"]
    page.wait_for_timeout(400)
    assert shown(page)["t"] == held
    stats = page.evaluate("() => window.mscommPlayer.stats()")
    assert stats["spawned"] > 0


def test_a_shared_scenario_is_read_only_and_runs_as_the_strangers_own(owner, watched):
    page = watched.page
    page.goto(owner["scenario_link"])
    expect(page.locator("#shared-title")).to_have_text(owner["scenario"]["name"])
    page.wait_for_function("() => window.mscommShared")
    assert page.evaluate("() => window.mscommShared.cy.autoungrabify()") is True
    expect(page.locator("#replay")).to_be_hidden()
    watched.shot("shared-scenario")
    page.locator("#btn-run-copy").click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f-]{36}/$"))
    run_id = page.url.rstrip("/").rsplit("/", 1)[1]
    mine = api(page, "GET", f"runs/{run_id}")
    assert mine["scenario_id"] is None
    # The owner's scenario is out of reach from the copy's page.
    expect(page.locator("#link-edit")).to_be_hidden()
    expect(page.locator("#btn-rerun")).to_be_disabled()
    assert run_id != owner["run"]["id"]
    # The stranger may stop their own copy (and frees the worker for the tests after).
    assert api(page, "POST", f"runs/{run_id}/cancel")["id"] == run_id


def test_a_stranger_forks_after_logging_in(owner, watched):
    page = watched.page
    page.goto("/accounts/signup/")
    page.locator("#id_username").fill("forker")
    page.locator("#id_password1").fill("a-long-passphrase-9")
    page.locator("#id_password2").fill("a-long-passphrase-9")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(re.compile(r"/$"))
    open_replay(page, owner["run_link"])
    page.locator("#btn-fork").click()
    page.wait_for_url(re.compile(r"/scenarios/[0-9a-f-]{36}/$"))
    expect(page.locator("#save-status")).to_contain_text("saved", timeout=15_000)
    mine = api(page, "GET", "scenarios")
    assert [s["name"] for s in mine] == [owner["scenario"]["name"]]
    assert mine[0]["id"] != owner["scenario"]["id"]


def test_a_revoked_link_stops_opening(owner, browser, live_url):
    page = owner["page"]
    page.goto("/")
    link = share_link_via_api(page, owner["scenario"]["id"])
    stranger = browser.new_context(base_url=live_url)
    try:
        assert stranger.request.get(link["url"]).status == 200
        api(page, "DELETE", f"shares/{link['id']}")
        assert stranger.request.get(link["url"]).status == 404
    finally:
        stranger.close()


def share_link_via_api(page: Page, scenario_id: str) -> dict:
    return api(page, "POST", "shares", {"scenario_id": scenario_id})


def test_a_stranger_watches_a_live_run_then_replays_it(owner, watched):
    page = owner["page"]
    page.goto("/")
    run = api(
        page,
        "POST",
        "runs",
        {"scenario_id": owner["scenario"]["id"], "seed": 4, "speed": 8, "mode": "live"},
    )
    link = api(page, "POST", "shares", {"run_id": run["id"]})
    stranger = watched.page
    stranger.goto(link["url"])
    # Live through the link's own websocket: frames arrive while the run is running.
    stranger.wait_for_function(
        "() => window.mscommPlayer && window.mscommPlayer.stats().frames > 3", timeout=30_000
    )
    assert stranger.evaluate("() => window.mscommReplay === undefined")
    expect(stranger.locator("#run-state")).to_have_text("running")
    # When the run ends the page turns into its replay.
    expect(stranger.locator("#replay-seek")).to_be_visible(timeout=60_000)
    expect(stranger.locator("#run-state")).to_have_text("succeeded")
    frames = all_frames(page, f"runs/{run['id']}")
    expect(stranger.locator("#replay-frame")).to_have_text(f"frame {len(frames)} / {len(frames)}")


def test_the_owner_shares_a_moment_of_the_run(owner, watched):
    page = owner["page"]
    page.goto("/")
    # The owner's own run view opens at a playhead too.
    open_replay(page, f"/runs/{owner['run']['id']}/#t=5")
    assert shown(page)["clock"] == "t = 5.00 s"
    page.locator("#btn-share").click()
    page.locator("#share-at-moment").check()
    page.locator("#share-create").click()
    url = page.locator("#share-url")
    expect(url).to_have_value(re.compile(r"/s/[A-Za-z0-9_-]{43}#t=5$"))
    stranger = watched.page
    open_replay(stranger, re.sub(r"^https?://[^/]+", "", url.input_value()))
    assert shown(stranger)["clock"] == "t = 5.00 s"
    expect(stranger.locator("#charts .chart")).to_have_count(4)
    watched.shot("shared-run-at-5s")


def test_the_shared_run_tells_what_happened_and_a_sentence_seeks_the_replay(owner, watched):
    page = watched.page
    open_replay(page, owner["run_link"])
    token = owner["run_link"].rsplit("/", 1)[-1]
    told = api(page, "GET", f"shares/t/{token}/result")["incidents"]
    assert told, "the lab tells at least its first request"
    log = page.get_by_role("log", name="What happened, as the run goes on")
    # The replay opens at the end: everything is told.
    expect(log.get_by_role("button")).to_have_count(len(told))
    expect(log.get_by_role("button").first).to_contain_text(told[0]["text"])
    log.get_by_role("button").first.click()
    page.wait_for_function(f"() => Math.abs(window.mscommReplay.t - {told[0]['t']}) < 1e-6")
    expect(log.get_by_role("button")).to_have_count(
        len([i for i in told if i["t"] <= told[0]["t"]])
    )
