"""The run view's scene, lab by lab: each chapter-4 lesson as the canvas draws it, read
through `window.mscommScene()` (docs/front-end.md) and checked against the pixels.

Each lab runs to its end at a high speed and is then replayed at its lesson moment (a
finished run's replay can show any moment at once). Screenshots land in test-artifacts/.
"""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.browser.pages import api

LIBRARY = Path(__file__).resolve().parents[2] / "patterns" / "library"


def lab(slug: str) -> dict:
    return json.loads((LIBRARY / f"{slug}.json").read_text())


def replay_at(watched, doc: dict, t: float, seed: int | None = None) -> dict:
    """Run `doc` to its end, open its replay paused at simulated time `t`; the scene there."""
    page = watched.page
    page.goto("/")
    scenario = api(page, "POST", "scenarios", {"doc": doc})
    body = {"scenario_id": scenario["id"], "seed": seed, "speed": 100, "mode": "live"}
    run = api(page, "POST", "runs", body)
    page.goto(f"/runs/{run['id']}/")
    expect(page.locator("#run-state")).to_have_text("succeeded", timeout=90_000)
    replay = page.get_by_role("button", name="Replay")
    if replay.is_enabled():
        replay.click()
    page.wait_for_function("() => window.mscommReplay && window.mscommReplay.length > 0")
    page.evaluate(
        "(t) => window.mscommRun.cy.scratch('sceneLayout').then(() => "
        "{ window.mscommReplay.pause(); window.mscommReplay.seek(t); })",
        t,
    )
    page.wait_for_timeout(300)  # a few animation frames at the moment
    return scene(page)


def stage_shot(watched, name: str) -> Path:
    """Save the stage (graph and scene) with the toolbar and live numbers under test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    box = watched.page.locator(".graph-stage").bounding_box()
    assert box is not None
    clip = {"x": 0, "y": 0, "width": 1400, "height": box["y"] + box["height"] + 4}
    watched.page.screenshot(path=str(path), clip=clip)
    return path


def scene(page) -> dict:
    return page.evaluate("() => window.mscommScene()")


def pixel(page, x: float, y: float) -> list[int]:
    """RGBA of the scene canvas at CSS pixel (x, y)."""
    return page.evaluate(
        """([x, y]) => {
            const c = document.getElementById('particles');
            const r = c.width / c.clientWidth;
            const at = [Math.round(x * r), Math.round(y * r)];
            return [...c.getContext('2d').getImageData(at[0], at[1], 1, 1).data];
        }""",
        [x, y],
    )


def test_async_lab_a_reply_lands_on_another_instance_than_the_one_that_asked(watched):
    s = replay_at(watched, lab("async-request-response"), 20.0)
    order = [i for i in s["instances"] if i["node"] == "order"]
    assert len(order) == 3
    kinds = {q["kind"] for q in s["queues"]}
    assert {"request", "reply"} <= kinds
    stage_shot(watched, "scene-async-request-response")
