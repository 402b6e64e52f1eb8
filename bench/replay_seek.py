"""Milliseconds per replay seek in headless Chromium (no re-simulation: frames in memory).

Loads `static/bench/particles.html?bench=replay`, which indexes synthetic frame logs of
several sizes and times random seeks and frame steps through the real replay and player
modules, each call including the redraw. Run: `python bench/replay_seek.py` (needs `npm install` and
/usr/bin/chromium).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser.chromium import launch_chromium  # noqa: E402
from tests.browser.static_server import static_server  # noqa: E402

# (frames, message events per frame): a 100 s run at 20 frames/s up to a half-hour one.
SIZES = ((2000, 50), (2000, 300), (10000, 100), (36000, 50))


def main() -> None:
    with static_server() as base, sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        print(
            f"{'frames':>7} {'events/frame':>13} {'index ms':>9} "
            f"{'seek p50':>9} {'seek p95':>9} {'seek max':>9} {'step p50':>9} {'step p95':>9}"
        )
        for frames, events in SIZES:
            page.goto(
                f"{base}/static/bench/particles.html?bench=replay&frames={frames}&events={events}"
            )
            page.wait_for_function("window.benchResult !== undefined", timeout=120_000)
            r = page.evaluate("window.benchResult")
            print(
                f"{frames:>7} {events:>13} {r['indexMs']:>9.2f} "
                f"{r['seek']['median']:>9.2f} {r['seek']['p95']:>9.2f} {r['seek']['max']:>9.2f} "
                f"{r['step']['median']:>9.2f} {r['step']['p95']:>9.2f}"
            )
        browser.close()


if __name__ == "__main__":
    main()
