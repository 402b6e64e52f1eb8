"""Frames per second of the run view's particle layer in headless Chromium, and how the
editor copes with big topologies.

Loads `static/bench/particles.html`, which feeds the real player synthetic frames so that
500 to 20,000 particles are in flight, and prints the frame rate and the milliseconds of
script per frame measured by the page (12 services with the run view's scene: instance
boxes, brokers, ELK's layout); then the scene's targets: 150 services with 10,000
particles, and how long a 500-service topology takes to open (navigation to its first
frame drawn), to be laid out by ELK (in a web worker, the page live meanwhile), and its
frame rate once laid out; then `static/bench/editor.html` with 100 to 400
services. Run: `python bench/browser_fps.py` (needs `npm install` and /usr/bin/chromium).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser.chromium import launch_chromium  # noqa: E402
from tests.browser.static_server import static_server  # noqa: E402

COUNTS = (500, 2000, 5000, 10000, 20000)
# (services, particles): the scene's targets, instance boxes and ELK's layout on.
SCENES = ((150, 10000), (500, 2000))
EDITOR_SIZES = (100, 200, 400)
ARTIFACTS = ROOT / "test-artifacts"


def measure(page, base: str, n: int, name: str = "particles", query: str = "") -> dict:
    """Open bench page `name` with `?n=` (and `query`) and wait for its result."""
    page.goto(f"{base}/static/bench/{name}.html?n={n}{query}")
    page.wait_for_function("window.benchResult !== undefined", timeout=60_000)
    return page.evaluate("window.benchResult")


def main() -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with static_server() as base, sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        print(f"{'particles':>10} {'drawn/frame':>12} {'fps':>7} {'ms/frame':>9}")
        for n in COUNTS:
            result = measure(page, base, n)
            print(
                f"{n:>10} {result['meanDrawn']:>12.0f} {result['fps']:>7.1f}"
                f" {result['tickMs']:>9.2f}"
            )
        page.screenshot(path=str(ARTIFACTS / "bench-particles.png"))
        head = ("services", "particles", "open ms", "laid out ms", "fps", "ms/frame")
        print("\n{:>10} {:>10} {:>8} {:>12} {:>7} {:>9}".format(*head))
        for nodes, n in SCENES:
            r = measure(page, base, n, query=f"&nodes={nodes}")
            print(
                f"{nodes:>10} {n:>10} {r['openMs']:>8.0f} {r['laidOutMs']:>12.0f}"
                f" {r['fps']:>7.1f} {r['tickMs']:>9.2f}"
            )
            page.screenshot(path=str(ARTIFACTS / f"bench-scene-{nodes}.png"))
        head = ("services", "links", "draw ms", "edit ms", "add ms", "layout ms")
        print("\n{:>10} {:>6} {:>8} {:>8} {:>7} {:>10}".format(*head))
        for n in EDITOR_SIZES:
            r = measure(page, base, n, "editor")
            print(
                f"{r['n']:>10} {r['links']:>6} {r['drawMs']:>8.0f} {r['editMs']:>8.1f}"
                f" {r['addMs']:>7.1f} {r['layoutMs']:>10.0f}"
            )
        browser.close()


if __name__ == "__main__":
    main()
