"""Helpers shared by the browser tests: the API through the page's own session, graph
positions in page pixels, waiting on the player's state, chart lines read off the canvas."""

from __future__ import annotations

import itertools
import json
from typing import Any

from playwright.sync_api import Locator, Page, expect


def api(page: Page, method: str, path: str, body: Any = None) -> Any:
    """Call `/api/<path>` with the page's cookies (same workspace) and CSRF token."""
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    headers = {"X-CSRFToken": cookies.get("csrftoken", ""), "Content-Type": "application/json"}
    response = page.request.fetch(
        f"/api/{path}",
        method=method,
        headers=headers,
        data=None if body is None else json.dumps(body),
    )
    assert response.ok, f"{method} {path}: {response.status} {response.text()}"
    return response.json() if response.status != 204 else None


def expect_run_state(page: Page, run_id: str, state: str, timeout: float) -> None:
    """Wait until the page's run badge reads `state`; if it does not, the failure says
    what the server holds of the run too (page or worker: which one stalled)."""
    try:
        expect(page.locator("#run-state")).to_have_text(state, timeout=timeout)
    except AssertionError as err:
        held = api(page, "GET", f"runs/{run_id}")
        keep = ("state", "progress", "sim_time_s", "started_at", "finished_at", "error")
        seen = {key: held.get(key) for key in keep}
        raise AssertionError(f"{err}\nthe server's view of run {run_id}: {seen}") from None


def element_xy(page: Page, global_name: str, element_id: str) -> tuple[float, float]:
    """Page coordinates of a graph element's centre (`global_name` holds `{cy}`)."""
    box = page.locator("#graph").bounding_box()
    assert box is not None
    pos = page.evaluate(
        """([name, id]) => {
            const ele = window[name].cy.getElementById(id);
            return ele.isEdge() ? ele.renderedMidpoint() : ele.renderedPosition();
        }""",
        [global_name, element_id],
    )
    return box["x"] + pos["x"], box["y"] + pos["y"]


def drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Press, move in steps and release, as a person drags."""
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=12)
    page.mouse.up()


def player_stats(page: Page) -> dict:
    return page.evaluate("window.mscommPlayer ? window.mscommPlayer.stats() : null")


# A digest of the particle canvas's pixels: it changes when anything on it moves.
FINGERPRINT = """() => {
    const c = document.getElementById('particles');
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let h = 0, lit = 0;
    for (let i = 3; i < data.length; i += 4) {
        if (data[i]) { lit += 1; h = (h * 31 + i + data[i - 1]) >>> 0; }
    }
    return `${lit}:${h}`;
}"""


def canvas_fingerprint(page: Page) -> str:
    """A digest of the particle canvas's pixels (changes when anything moves)."""
    return page.evaluate(FINGERPRINT)


def wait_canvas_change(page: Page, before: str, timeout: float = 20_000) -> None:
    """Wait until the particle canvas shows something other than `before`."""
    page.wait_for_function(f"(before) => ({FINGERPRINT})() !== before", arg=before, timeout=timeout)


def set_field(page: Page, path: str, value: str) -> None:
    """Type into the side panel's field for `path` and commit it (a change event)."""
    field = page.locator(f'#panel :is(input, select, textarea)[data-path="{path}"]').first
    field.fill(value)
    field.dispatch_event("change")


def wait_saved(page: Page) -> None:
    page.wait_for_function(
        "() => document.getElementById('save-status').textContent.startsWith('saved')",
        timeout=15_000,
    )


# The chart lines' colours: the run view's p50 and p99, the compare page's A and B.
BLUE = (37, 99, 235)
RED = (220, 38, 38)

# Page x of every canvas column with an opaque pixel near one of the colours given.
LINE_COLUMNS = """(canvas, lines) => {
    const {data, width, height} = canvas.getContext('2d')
        .getImageData(0, 0, canvas.width, canvas.height);
    const rect = canvas.getBoundingClientRect();
    const out = [];
    for (let x = 0; x < width; x += 1) {
        for (let y = 0; y < height; y += 1) {
            const i = (y * width + x) * 4;
            const near = lines.some(([r, g, b]) => data[i + 3] > 200 && Math.abs(data[i] - r) < 40
                && Math.abs(data[i + 1] - g) < 40 && Math.abs(data[i + 2] - b) < 40);
            if (near) { out.push(rect.left + x * rect.width / width); break; }
        }
    }
    return out;
}"""


def line_columns(chart: Locator, *colours: tuple[int, int, int]) -> list[float]:
    """Page x of every column of `chart`'s canvas where a line of one of `colours` is drawn."""
    return chart.locator("canvas").evaluate(LINE_COLUMNS, [list(c) for c in colours])


def assert_line_breaks_over(columns: list[float], band: Locator) -> None:
    """The line drawn at `columns` stops at `band` and starts again after it."""
    box = band.bounding_box()
    assert box is not None
    left, right = box["x"], box["x"] + box["width"]
    assert not [x for x in columns if left + 2 < x < right - 2], "a line crosses the outage"
    assert any(x < left for x in columns) and any(x > right for x in columns)
    pieces = 1 + sum(1 for a, b in itertools.pairwise(columns) if b - a > 3)
    assert pieces >= 2
