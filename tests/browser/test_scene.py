"""The run view's scene, lab by lab: each chapter-4 lesson as the canvas draws it, read
through `window.mscommScene()` (docs/front-end.md) and checked against the pixels.

Each lab runs to its end at a high speed and is then replayed at its lesson moment (a
finished run's replay can show any moment at once). Screenshots land in test-artifacts/.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.pages import api, expect_run_state

LIBRARY = Path(__file__).resolve().parents[2] / "patterns" / "library"


def lab(slug: str) -> dict:
    return json.loads((LIBRARY / f"{slug}.json").read_text())


def replay_at(watched, doc: dict, t: float, seed: int | None = None) -> dict:
    """Run `doc` to its end, open its replay paused at simulated time `t`; the scene there."""
    page = watched.page
    page.goto("/")
    scenario = api(page, "POST", "scenarios", {"doc": doc})
    # Unpaced: a batch run keeps a frame per 1/200 of the run (each frame's state is what a
    # replay shows until the next one), however busy the worker is. A live run's frames
    # are a tick of wall time apart, so a loaded machine would space them wider.
    body = {"scenario_id": scenario["id"], "seed": seed, "mode": "batch"}
    run = api(page, "POST", "runs", body)
    page.goto(f"/runs/{run['id']}/")
    expect_run_state(page, run["id"], "succeeded", timeout=90_000)
    # Replay plays from the start once its frames are in (also when the page opened on the
    # finished run's replay): wait for that, then take over.
    page.get_by_role("button", name="Replay").click()
    page.wait_for_function(
        "() => window.mscommReplay && window.mscommReplay.length > 0 && window.mscommReplay.playing"
    )
    for _ in range(10):
        # The Replay button plays from the start once its frames are in: seek until it holds.
        page.evaluate(
            "(t) => window.mscommRun.cy.scratch('sceneLayout').then(() => "
            "{ window.mscommReplay.pause(); window.mscommReplay.seek(t); })",
            t,
        )
        page.wait_for_timeout(300)  # a few animation frames at the moment
        now = page.evaluate(
            "() => [window.mscommScene() && window.mscommScene().t,"
            " window.mscommPlayer && window.mscommPlayer.state && window.mscommPlayer.state.t]"
        )
        if now[0] is not None and abs(now[0] - t) < 0.5 and now[1] is not None and now[1] > t - 2:
            break
    else:
        raise AssertionError(f"the replay would not stay at {t} s")
    assert_labels_clear_of_nodes(page)
    return scene(page)


# Each link's label box (with its background) against every node's box, in model px.
LABEL_OVERLAPS = """() => {
    const cy = window.mscommRun.cy;
    const within = (a, b) => a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;
    const out = [];
    cy.edges().forEach((e) => {
        if (!e.data('rate')) return;
        const l = e.boundingBox({includeNodes: false, includeEdges: false, includeLabels: true,
            includeMainLabels: true, includeSourceLabels: false, includeTargetLabels: false,
            includeOverlays: false, includeUnderlays: false});
        cy.nodes().forEach((n) => {
            const b = n.boundingBox({includeLabels: false, includeOverlays: false,
                includeUnderlays: false});
            if (within(l, b)) out.push([e.id(), n.id()]);
        });
    });
    return out;
}"""


def assert_labels_clear_of_nodes(page) -> None:
    """No link label lies over a node (the layout gives labels room between layers)."""
    assert page.evaluate(LABEL_OVERLAPS) == []


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


def play_until(page, condition: str, timeout_s: float = 25, speed: float = 1.0) -> dict:
    """Play the replay until `condition` (JS over the scene `s`) holds; pause there, return `s`."""
    page.evaluate(
        "(v) => { window.mscommReplay.speed(v); window.mscommReplay.play(); }",
        speed,
    )
    check = f"""() => {{
        const s = window.mscommScene();
        if (!s || !({condition})) return null;
        window.mscommReplay.pause();
        return s;
    }}"""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = page.evaluate(check)
        if found:
            return found
        page.wait_for_timeout(60)
    raise AssertionError(f"the scene never showed: {condition}")


def state(page) -> dict:
    return page.evaluate("() => window.mscommPlayer.state")


def colours_in(page, rect: dict) -> list[list[int]]:
    """Every pixel's RGBA in `rect` (CSS px) of the scene canvas."""
    return page.evaluate(
        """(r) => {
            const c = document.getElementById('particles');
            const k = c.width / c.clientWidth;
            const d = c.getContext('2d').getImageData(
                Math.round(r.x * k), Math.round(r.y * k),
                Math.max(1, Math.round(r.w * k)), Math.max(1, Math.round(r.h * k)));
            const out = [];
            for (let y = 0; y < d.height; y += 1) for (let x = 0; x < d.width; x += 1) {
                const i = 4 * (y * d.width + x);
                out.push([d.data[i], d.data[i + 1], d.data[i + 2], d.data[i + 3]]);
            }
            return out;
        }""",
        rect,
    )


def amber(px: list[int]) -> bool:
    return px[3] > 0 and px[0] > 200 and 120 < px[1] < 190 and px[2] < 60


def reddish(px: list[int]) -> bool:
    return px[3] > 0 and px[0] > 150 and px[1] < 80 and px[2] < 80


def test_sync_lab_blocked_cells_at_the_caller_match_the_blocked_workers(watched):
    page = watched.page
    # Customer, the chain's last service, is down from 20 s: its callers wait on it.
    s = replay_at(watched, lab("cascade-sync"), 28.0)
    snapshot = state(page)
    blocked_total = 0
    for inst in s["instances"]:
        expected = snapshot["services"][inst["node"]]["instances"][inst["index"]]
        assert inst["cells"].count("blocked") == expected["blocked"], inst
        assert inst["cells"].count("working") == expected["working"], inst
        assert inst["queue"] == expected["queue"]
        blocked_total += expected["blocked"]
    fraud = next(i for i in s["instances"] if i["node"] == "fraud")
    assert fraud["cells"].count("blocked") >= 1
    # The blocked cells come first and are hatched amber on the canvas.
    page.wait_for_timeout(2000)  # the timeouts' bursts over the cells fade
    r = fraud["rect"]
    cell = {"x": r["first"]["x"], "y": r["first"]["y"], "w": r["cell"], "h": r["cell"]}
    pixels = colours_in(page, cell)
    # Hatched: amber with dark lines through it, so it reads in greyscale too.
    assert sum(amber(px) for px in pixels) >= len(pixels) // 5
    assert sum(px[0] < 190 and px[3] > 0 for px in pixels) >= len(pixels) // 10
    assert blocked_total > 0
    stage_shot(watched, "scene-cascade-sync-blocked")


def test_a_crashed_instance_is_drawn_down_and_crossed(watched):
    page = watched.page
    s = replay_at(watched, lab("fault-crash"), 30.0)
    down = [i for i in s["instances"] if not i["up"]]
    assert [(i["node"], i["index"]) for i in down] == [("payment", 1)]
    page.wait_for_timeout(2000)  # marks fade; the cross stays
    r = down[0]["rect"]
    # The red cross runs corner to corner (4 px in): look a quarter and three quarters of
    # the way along both diagonals (a particle may sit on one spot).
    spots = []
    for fx, fy in ((0.25, 0.25), (0.75, 0.75), (0.75, 0.25), (0.25, 0.75)):
        x = r["x"] + 4 + (r["w"] - 8) * fx
        y = r["y"] + 4 + (r["h"] - 8) * fy
        spots.append(
            any(reddish(px) for px in colours_in(page, {"x": x - 3, "y": y - 3, "w": 6, "h": 6}))
        )
    assert sum(spots) >= 3, spots
    assert isinstance(s["narration"], list)
    stage_shot(watched, "scene-fault-crash")


def test_async_lab_a_reply_lands_on_another_instance_than_the_one_that_asked(watched):
    page = watched.page
    s = replay_at(watched, lab("async-request-response"), 20.0)
    assert len([i for i in s["instances"] if i["node"] == "order"]) == 3
    queues = {q["kind"]: q for q in s["queues"]}
    assert queues["request"]["node"] == "inventory"
    assert queues["reply"]["node"] == "order"
    s = play_until(
        page,
        "s.particles.some((p) => p.kind === 'reply' && p.asked_by"
        " && p.asked_by.instance !== p.to.instance)",
        speed=0.5,
    )
    reply = next(p for p in s["particles"] if p["kind"] == "reply" and p.get("asked_by"))
    assert reply["to"]["node"] == "order" and reply["from"]["node"] == "inventory"
    assert reply["asked_by"]["instance"] != reply["to"]["instance"]
    page.evaluate("() => window.mscommReplay.speed(0.5).play()")
    s = play_until(page, "s.marks.some((m) => m.kind === 'elsewhere')", speed=0.5)
    stage_shot(watched, "scene-async-request-response")


def test_event_lab_one_queue_per_subscriber_and_the_fan_out(watched):
    page = watched.page
    s = replay_at(watched, lab("order-placed-event"), 20.0)
    subscribers = sorted(q["node"] for q in s["queues"] if q["kind"] == "subscriber")
    assert subscribers == ["loyalty", "notifications", "warehouse"]
    assert [q["node"] for q in s["queues"] if q["kind"] == "dead_letter"] == ["order-placed"]
    # One published event goes out to every subscriber: deliveries to all three at once.
    s = play_until(
        page,
        "new Set(s.particles.filter((p) => p.kind === 'event' && p.from"
        " && p.from.node === 'order-placed').map((p) => p.to.node)).size === 3",
        speed=0.25,
    )
    stage_shot(watched, "scene-order-placed-event")


def test_resilience_lab_the_breaker_opens_and_calls_fail_at_once(watched):
    page = watched.page
    s = replay_at(watched, lab("resilience"), 19.5)
    assert [b["state"] for b in s["breakers"]] == ["closed"]
    s = play_until(page, "s.breakers.some((b) => b.state === 'open')", speed=2)
    at = s["breakers"][0]["at"]
    badge = {"x": at["x"] - 10, "y": at["y"] - 6, "w": 20, "h": 12}
    assert any(reddish(px) for px in colours_in(page, badge))
    stage_shot(watched, "scene-resilience-breaker-open")


def test_poison_lab_redeliveries_and_a_dead_letter(watched):
    page = watched.page
    replay_at(watched, lab("poison-dlq"), 5.0)
    s = play_until(
        page,
        "s.particles.some((p) => p.kind === 'retry' && p.from && p.from.node === 'order-placed')",
        speed=2,
        timeout_s=40,
    )
    s = play_until(
        page,
        "s.queues.some((q) => q.kind === 'dead_letter' && q.depth > 0)",
        speed=2,
        timeout_s=40,
    )
    dead = next(q for q in s["queues"] if q["kind"] == "dead_letter")
    assert dead["node"] == "order-placed" and dead["depth"] >= 1
    stage_shot(watched, "scene-poison-dlq")


@pytest.mark.parametrize(
    ("slug", "t", "condition"),
    [
        (
            "fault-omission",
            10.0,
            "s.particles.some((p) => p.lost) || s.marks.some((m) => m.kind === 'lost')",
        ),
        (
            "fault-timing",
            10.0,
            "s.particles.some((p) => p.slow) || s.marks.some((m) => m.kind === 'slow')",
        ),
        (
            "fault-response",
            10.0,
            "s.particles.some((p) => p.wrong) || s.marks.some((m) => m.kind === 'wrong')",
        ),
        ("fault-crash", 19.8, "s.marks.some((m) => m.kind === 'crash')"),
        (
            "fault-arbitrary",
            10.0,
            "s.marks.some((m) => ['lost', 'slow', 'wrong'].includes(m.kind))",
        ),
    ],
)
def test_each_failure_mode_is_drawn_as_itself(watched, slug, t, condition):
    page = watched.page
    replay_at(watched, lab(slug), t)
    s = play_until(page, condition, speed=0.5)
    assert s["instances"]
    stage_shot(watched, f"scene-{slug}")


def test_common_data_lab_shows_how_far_behind_the_reader_is(watched):
    page = watched.page
    s = replay_at(watched, lab("common-data"), 35.0)
    readers = s["readers"]
    assert [r["node"] for r in readers] == ["reporting"]
    behind = state(page)["datastores"]["lake"]["behind"]["reporting"]
    assert readers[0]["behind"] == behind
    stage_shot(watched, "scene-common-data")


def test_the_shared_page_reports_its_scene_too(watched):
    page = watched.page
    replay_at(watched, lab("async-request-response"), 10.0)
    run_id = page.evaluate("() => document.getElementById('main').dataset.runId")
    link = api(page, "POST", "shares", {"run_id": run_id})
    page.goto(link["url"])
    page.wait_for_function("() => window.mscommReplay && window.mscommReplay.length > 0")
    page.evaluate("() => { window.mscommReplay.pause(); window.mscommReplay.seek(10); }")
    page.wait_for_timeout(300)
    s = scene(page)
    assert [i["node"] for i in s["instances"]] == ["order"] * 3 + ["inventory"] * 2
    assert {q["kind"] for q in s["queues"]} == {"request", "reply"}
