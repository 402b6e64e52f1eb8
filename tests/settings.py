"""Settings for the test run: production-like (DEBUG off) with a test secret, over plain HTTP.

Only environment defaults are set here, so worker processes started by tests (which
inherit the environment) configure themselves the same way from mscomm.settings.
"""

from __future__ import annotations

import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-only-" + "k3y" * 20)
os.environ.setdefault("HTTPS", "false")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
# In-process websocket tests send no Host header: their Origin is trusted by name.
os.environ.setdefault("CSRF_TRUSTED_ORIGINS", "http://testserver")

from mscomm.settings import *  # noqa: F403

# Serve static files from the app folders (no collectstatic needed for a test run).
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Connections opened in helper threads (websocket consumers, workers run in a thread) must
# not outlive their work, or PostgreSQL refuses to drop the test database at the end.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
