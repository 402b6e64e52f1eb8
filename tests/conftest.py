"""Shared test set-up: a private Redis, spawn for child processes, a real Celery worker."""

from __future__ import annotations

import atexit
import multiprocessing
import os
import tempfile
from pathlib import Path

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
