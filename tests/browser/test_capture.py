"""Take it with you: the replay as a WebM video and the moment as a PNG, made in the
browser from the composited stage (graph and particles in one picture). The files are
downloaded as a user would get them and decoded by ffprobe and ffmpeg (the pages' CSP
keeps `blob:` media out, so the page's own <video> is not used for the check)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.pages import api
from tests.browser.test_follow import finished  # noqa: F401  (the module's finished run)


def tool(name: str) -> str:
    """Where ffprobe or ffmpeg is, or a failure that says how to get it."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: install Debian's ffmpeg (scripts/test does, as root)")
    return path


ARTIFACTS = Path(__file__).absolute().parents[2] / "test-artifacts"


ENTRIES = "stream=codec_name,codec_type,width,height"


def streams(path: Path) -> list[dict]:
    """ffprobe's view of the file's streams (video first): codec, type and size."""
    probe = subprocess.run(
        [tool("ffprobe"), "-v", "error", "-of", "json", "-show_entries", ENTRIES, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(probe.stdout)["streams"]


def first_frame_rgb(path: Path) -> tuple[int, int, bytes]:
    """Width, height and RGB bytes of the file's first video frame (or its picture)."""
    stream = streams(path)[0]
    raw = subprocess.run(
        [
            tool("ffmpeg"),
            "-v",
            "error",
            "-i",
            str(path),
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    assert len(raw) == stream["width"] * stream["height"] * 3
    return stream["width"], stream["height"], raw


def not_white(raw: bytes) -> int:
    return sum(1 for i in range(0, len(raw), 3) if raw[i] + raw[i + 1] + raw[i + 2] < 600)


def open_replay(finished: dict, t: float) -> Page:  # noqa: F811
    page = finished["context"].new_page()
    page.goto(f"/runs/{finished['run']}/#t={t}")
    page.wait_for_function("() => window.mscommReplay && window.mscommReplay.length > 0")
    page.evaluate("(t) => window.mscommReplay.pause().speed(1).seek(t)", t)
    return page


def test_the_replay_records_as_a_webm_whose_first_frame_shows_the_graph(finished):  # noqa: F811
    page = open_replay(finished, 3.0)
    with page.expect_download(timeout=60_000) as download:
        page.locator("#btn-video").click()
        page.wait_for_timeout(2500)  # record a few seconds of playback
        page.locator("#btn-video").click()
    path = ARTIFACTS / "replay.webm"
    ARTIFACTS.mkdir(exist_ok=True)
    download.value.save_as(path)
    assert download.value.suggested_filename.endswith(".webm")
    codecs = {s["codec_name"] for s in streams(path) if s["codec_type"] == "video"}
    assert codecs & {"vp8", "vp9"}, codecs
    width, height, raw = first_frame_rgb(path)
    box = page.locator(".graph-stage").bounding_box()
    assert abs(width - box["width"]) <= 2 and abs(height - box["height"]) <= 2
    # The graph is in the picture: boxes, edges and labels, not a blank frame.
    assert not_white(raw) > 0.01 * width * height
    page.close()


def test_the_moment_saves_as_a_png_with_the_graph_and_the_particles(finished):  # noqa: F811
    page = open_replay(finished, 3.0)
    # Messages are in flight at the playhead: the particle layer has something on it.
    assert page.evaluate("() => window.mscommPlayer.stats().particles") > 0
    page.evaluate("() => window.mscommFollow.pick(window.mscommFollow.flying()[0])")
    page.wait_for_timeout(300)
    with page.expect_download() as download:
        page.locator("#btn-png").click()
    path = ARTIFACTS / "moment.png"
    download.value.save_as(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, raw = first_frame_rgb(path)
    ratio = page.evaluate("() => window.devicePixelRatio")
    box = page.locator(".graph-stage").bounding_box()
    assert abs(width - box["width"] * ratio) <= 2
    # The followed request's marker (drawn near black over the graph) and the graph itself.
    dark = sum(1 for i in range(0, len(raw), 3) if max(raw[i], raw[i + 1], raw[i + 2]) < 40)
    assert dark > 20
    assert not_white(raw) > 0.01 * width * height
    # The same pixels as the stage's layers composited now: one picture, every layer in it.
    layers = page.evaluate("() => [...document.querySelectorAll('.graph-stage canvas')].length")
    assert layers >= 3  # cytoscape's layers, the particles and the follow layer
    page.close()


@pytest.mark.parametrize("selector", ["#btn-video", "#btn-png"])
def test_the_shared_page_offers_the_same_exports(finished, selector):  # noqa: F811
    share = api(finished["page"], "POST", "shares", {"run_id": finished["run"]})
    # A stranger with the link: another browser context, so another workspace.
    stranger = finished["context"].browser.new_context(base_url=finished["base"])
    try:
        visitor = stranger.new_page()
        visitor.goto(share["url"])
        visitor.wait_for_selector("#replay-seek", timeout=20_000)
        # At the run's own 20x the replay would end (and so end the video) within a second.
        visitor.evaluate("() => window.mscommReplay.pause().speed(1).seek(1)")
        with visitor.expect_download(timeout=60_000) as download:
            visitor.locator(selector).click()
            if selector == "#btn-video":
                visitor.wait_for_timeout(1200)
                visitor.locator(selector).click()
        path = ARTIFACTS / f"shared{Path(download.value.suggested_filename).suffix}"
        download.value.save_as(path)
        width, height, raw = first_frame_rgb(path)
        assert width > 100 and not_white(raw) > 0.01 * width * height
    finally:
        stranger.close()
