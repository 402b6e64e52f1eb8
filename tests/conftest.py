"""Shared test set-up: a private Redis, spawn for child processes, a real Celery worker."""

from __future__ import annotations

import atexit
import multiprocessing
import os
import tempfile
from pathlib import Path

import pytest

# The live server is started in a child process; forking after async tests hangs it.
multiprocessing.set_start_method("spawn", force=True)
# Playwright's sync API runs inside Django tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

if not os.environ.get("REDIS_URL"):
    # Run on our own Redis (never a shared one): start a private server for this session.
    from mscomm.devtools import redis_start

    _redis_process, _redis_url = redis_start(Path(tempfile.mkdtemp(prefix="mscomm-redis-")))
    os.environ["REDIS_URL"] = _redis_url

    def _stop_redis() -> None:
        _redis_process.terminate()
        _redis_process.wait(timeout=10)

    atexit.register(_stop_redis)

from django.conf import settings  # noqa: E402

# Settings may have been read before this file ran (pytest-django sets Django up early).
settings.REDIS_URL = os.environ["REDIS_URL"]
settings.CELERY_BROKER_URL = os.environ["REDIS_URL"]

from mscomm.celery import app as celery_app  # noqa: E402

celery_app.conf.broker_url = os.environ["REDIS_URL"]


# -- the --slow flag and measured figures ----------------------------------------------
# Hardening tests run a quick version by default and the full-size one with --slow (CI).
# Each prints what it measured into one table at the end of the session.

_FIGURES: list[tuple[str, str, str]] = []


def pytest_addoption(parser) -> None:
    parser.addoption(
        "--slow",
        action="store_true",
        default=False,
        help="run the full-size fault, load and fuzzing checks (CI sets this)",
    )


@pytest.fixture(scope="session")
def slow(request) -> bool:
    """True under --slow: tests then use their full-size counts."""
    return bool(request.config.getoption("--slow"))


@pytest.fixture
def record_figure(request):
    """`record_figure(name, value, unit="")`: a measured figure for the session's table."""

    def record(name: str, value: object, unit: str = "") -> None:
        _FIGURES.append((name, f"{value}", unit))

    return record


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not _FIGURES:
        return
    terminalreporter.section("mscomm figures")
    width = max(len(name) for name, _, _ in _FIGURES)
    for name, value, unit in _FIGURES:
        terminalreporter.write_line(f"{name:<{width}}  {value} {unit}".rstrip())
