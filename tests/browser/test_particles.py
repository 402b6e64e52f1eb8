"""The particle layer on its own (the static bench page, no server): what it draws."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.static_server import static_server


@pytest.fixture(scope="module")
def bench_url() -> Iterator[str]:
    with static_server() as base:
        yield f"{base}/static/bench/particles.html"


def test_the_layer_draws_every_particle_in_flight(browser, bench_url):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(f"{bench_url}?n=800&ms=500")
    page.wait_for_function("() => window.benchResult !== undefined", timeout=30_000)
    result = page.evaluate("window.benchResult")
    stats = page.evaluate("window.mscommPlayer.stats()")
    page.close()
    assert errors == []
    # Arrivals are random, so the count in flight wobbles around the target.
    assert 600 < result["meanDrawn"] < 1000
    assert stats["dropped"] == 0
    assert stats["seen"]["send"] == stats["spawned"]
