"""Launching Debian's Chromium for Playwright (its own browser download does not work here)."""

from __future__ import annotations

from playwright.sync_api import Browser, Playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def launch_chromium(pw: Playwright) -> Browser:
    """A headless Chromium from /usr/bin/chromium with the flags this machine needs."""
    return pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
