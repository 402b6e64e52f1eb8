"""The real mscomm for browser tests: daphne (HTTP + Channels websockets), a Celery worker
and Redis as separate processes over a private SQLite file, driven by Debian's Chromium.

The Redis server comes from tests/conftest.py (a private one per test session). The page
fixture fails a test on any page error or Content-Security-Policy violation, and records
every dialog (a dialog would mean user text ran as code).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from mscomm.devtools import free_port, worker_command
from tests.browser.chromium import launch_chromium

ROOT = Path(__file__).absolute().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
# The live server's log (daphne and the worker), and where it stood when a test began: a
# failing test's report shows what the server logged meanwhile (a worker's traceback).
_SERVER_LOG: dict[str, object] = {}


def _env(db_file: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=f"sqlite:///{db_file}",
        REDIS_URL=os.environ["REDIS_URL"],
        PYTHONPATH=str(ROOT),
        DEBUG="false",
        HTTPS="false",
    )
    return env


def _wait_http(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def live_url() -> Iterator[str]:
    """Base URL of a running mscomm (daphne + Celery worker), migrated from scratch."""
    folder = Path(tempfile.mkdtemp(prefix="mscomm-browser-"))
    env = _env(folder / "db.sqlite3")
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    port = free_port()
    log = (folder / "server.log").open("wb")
    _SERVER_LOG["path"] = folder / "server.log"
    server = subprocess.Popen(
        [python, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "mscomm.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        # Live runs sleep between frames, and tests leave slow ones going: room for more.
        worker_command(queues="live,batch", pool="threads", concurrency=8, loglevel="warning"),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_http(f"{url}/api/library", server)
        yield url
    finally:
        _stop(worker)
        _stop(server)
        log.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    path = _SERVER_LOG.get("path")
    if not isinstance(path, Path) or not path.exists():
        return
    if report.when == "setup":
        _SERVER_LOG[item.nodeid] = path.stat().st_size
    elif report.failed:
        with path.open("rb") as log:
            log.seek(int(_SERVER_LOG.get(item.nodeid, 0)))
            lines = log.read().decode(errors="replace").splitlines()
        shown = "\n".join(lines[-80:]) or "(nothing)"
        report.sections.append(("mscomm server log during this test (last 80 lines)", shown))


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        chromium = launch_chromium(pw)
        yield chromium
        chromium.close()


@dataclass
class Watched:
    """What a page did that a test may check: errors, CSP violations and dialogs."""

    page: Page
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def shot(self, name: str) -> Path:
        """Save a full-page screenshot under test-artifacts/ (for people to look at)."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


CSP_REPORTER = """
document.addEventListener('securitypolicyviolation', (e) => {
    console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`
        + ` at ${e.sourceFile || ''}:${e.lineNumber || ''}`);
});
"""


@pytest.fixture
def watched(browser: Browser, live_url: str) -> Iterator[Watched]:
    """A fresh browser context (so a fresh anonymous workspace) on the live server."""
    context = browser.new_context(base_url=live_url, viewport={"width": 1400, "height": 900})
    # Every CSP violation becomes a console error, which fails the test below.
    context.add_init_script(CSP_REPORTER)
    page = context.new_page()
    w = Watched(page)
    page.on("pageerror", lambda err: w.errors.append(f"page error: {err}"))
    # API errors (422, 409) are expected answers, and Chromium logs each one as a console
    # error: judge failed loads by their responses instead.
    page.on(
        "console",
        lambda msg: (
            w.errors.append(f"console: {msg.text}")
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            w.errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and "/api/" not in r.url
            else None
        ),
    )

    def on_dialog(dialog) -> None:
        w.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield w
    context.close()
    assert not w.errors, w.errors
