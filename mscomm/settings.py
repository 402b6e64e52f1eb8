"""Django settings for mscomm, read from the environment (see mscomm/env.py).

Development needs nothing set; production sets DEBUG=false, SECRET_KEY, ALLOWED_HOSTS,
DATABASE_URL and REDIS_URL, and then passes `manage.py check --deploy`.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import django
from django.core.exceptions import ImproperlyConfigured

from mscomm.env import database_from_url, env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)

_DEV_SECRET = "dev-only-insecure-secret-key-never-use-in-production"
SECRET_KEY = env_str("SECRET_KEY") or (_DEV_SECRET if DEBUG else None)
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false")
if not DEBUG and SECRET_KEY == _DEV_SECRET:
    raise ImproperlyConfigured("SECRET_KEY is the development key; set a real one")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # daphne first: `runserver` then serves ASGI (websockets included).
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "ninja",
    "axes",
    "mscomm.accounts",
    "mscomm.scenarios",
    "mscomm.runs",
    "mscomm.sharing",
    "mscomm.api",
    "mscomm.analysis",
]
try:  # the page views, a separate app that may not be installed yet
    import mscomm.front  # noqa: F401

    INSTALLED_APPS.append("mscomm.front")
except ImportError:
    pass

_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "mscomm.middleware.BodySizeLimitMiddleware",
    "mscomm.middleware.NulCharacterMiddleware",
    "mscomm.middleware.SecurityHeadersMiddleware",
    # Before SecurityMiddleware sees the answer: its Referrer-Policy is only a default.
    "mscomm.sharing.headers.SharedHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it answers for a locked-out log-in.
    "axes.middleware.AxesMiddleware",
]
if django.VERSION >= (6, 0):
    # Django 6 sends the policy itself; our middleware then leaves the header alone.
    from django.utils.csp import CSP  # type: ignore[import-not-found]

    MIDDLEWARE.append("django.middleware.csp.ContentSecurityPolicyMiddleware")
    SECURE_CSP = {
        "default-src": [CSP.SELF],
        "script-src": [CSP.SELF],
        "style-src": [CSP.SELF],
        "img-src": [CSP.SELF, "data:", "blob:"],
        "connect-src": [CSP.SELF],
        "object-src": [CSP.NONE],
        "frame-ancestors": [CSP.NONE],
        "base-uri": [CSP.NONE],
    }
CONTENT_SECURITY_POLICY = _CSP

ROOT_URLCONF = "mscomm.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "mscomm.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'mscomm.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Log-in lockout (django-axes): after AXES_FAILURE_LIMIT failures for one user name, or
# from one address, log-ins from it are answered 429 for the cool-off time, even with the
# right password. The first backend refuses locked-out attempts; the second checks them.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("MSCOMM_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(seconds=env_int("MSCOMM_LOGIN_COOLOFF_S", 900, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The same client address as every other limit (X-Forwarded-For only behind a proxy).
AXES_CLIENT_IP_CALLABLE = "mscomm.ratelimit.client_ip"
# Sign-ups per client address per window.
MSCOMM_SIGNUPS_PER_WINDOW = env_int("MSCOMM_SIGNUPS_PER_WINDOW", 10, minimum=1)
MSCOMM_SIGNUP_WINDOW_S = env_int("MSCOMM_SIGNUP_WINDOW_S", 3600, minimum=1)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [p for p in [BASE_DIR / "static"] if p.is_dir()]
# Browser libraries installed from npm at set-up: only their dist folders are served.
_NODE = BASE_DIR / "node_modules"
for _prefix, _dist in [
    ("vendor/cytoscape", "cytoscape/dist"),
    ("vendor/uplot", "uplot/dist"),
    ("vendor/elkjs", "elkjs/lib"),  # no dist/: lib/ has the browser builds
]:
    if (_NODE / _dist).is_dir():
        STATICFILES_DIRS.append((_prefix, _NODE / _dist))
# Single files of npm packages whose dist folders are too big to serve whole.
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "mscomm.analysis.finders.VendorFileFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Security: everything on by default outside DEBUG.
HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Redis: Celery broker and the run frame streams.
REDIS_URL = env_str("REDIS_URL") or "redis://127.0.0.1:6379/0"

# Limits on what one user may ask for.
MSCOMM_MAX_NODES = env_int("MSCOMM_MAX_NODES", 200, minimum=1)
MSCOMM_MAX_LINKS = env_int("MSCOMM_MAX_LINKS", 1000, minimum=1)
MSCOMM_MAX_EVENTS = env_int("MSCOMM_MAX_EVENTS", 5_000_000, minimum=1000)
# Request traces re-run a finished run in the web process: only runs up to this size.
MSCOMM_TRACE_MAX_EVENTS = env_int("MSCOMM_TRACE_MAX_EVENTS", 2_000_000, minimum=1000)
MSCOMM_MAX_CONCURRENT_RUNS = env_int("MSCOMM_MAX_CONCURRENT_RUNS", 5, minimum=1)
MSCOMM_MAX_RUN_STARTS_PER_MINUTE = env_int("MSCOMM_MAX_RUN_STARTS_PER_MINUTE", 60, minimum=1)
# Batch runs (compare, sweeps) queued or running at once per workspace: two full sweeps.
MSCOMM_MAX_CONCURRENT_BATCH_RUNS = env_int("MSCOMM_MAX_CONCURRENT_BATCH_RUNS", 40, minimum=1)
MSCOMM_MAX_BATCH_VARIANTS = env_int("MSCOMM_MAX_BATCH_VARIANTS", 20, minimum=1)
# Seeds per variant of a batch, and runs (variants x seeds) per batch.
MSCOMM_MAX_SEEDS = env_int("MSCOMM_MAX_SEEDS", 200, minimum=1)
MSCOMM_MAX_BATCH_RUNS = env_int("MSCOMM_MAX_BATCH_RUNS", 1000, minimum=1)
MSCOMM_MAX_BODY_BYTES = env_int("MSCOMM_MAX_BODY_BYTES", 1_000_000, minimum=1024)
# A run whose worker has not reported for this long is failed by the reaper.
MSCOMM_HEARTBEAT_TIMEOUT_S = env_int("MSCOMM_HEARTBEAT_TIMEOUT_S", 30, minimum=1)
# A queued run that no worker took within this long is failed (its task was lost).
MSCOMM_QUEUED_TIMEOUT_S = env_int("MSCOMM_QUEUED_TIMEOUT_S", 3600, minimum=10)
# The longest wall time a live run may be asked to take (duration / speed).
MSCOMM_MAX_LIVE_WALL_S = env_int("MSCOMM_MAX_LIVE_WALL_S", 6 * 3600, minimum=60)
# A paused live run ends after this long paused (it holds a worker thread meanwhile).
MSCOMM_MAX_PAUSE_S = env_int("MSCOMM_MAX_PAUSE_S", 1800, minimum=1)
# Control messages: at most this many waiting for a run's worker, and per connection a
# burst of MSCOMM_CONTROL_BURST, then MSCOMM_CONTROLS_PER_S a second.
MSCOMM_CONTROL_QUEUE_MAX = env_int("MSCOMM_CONTROL_QUEUE_MAX", 32, minimum=1)
MSCOMM_CONTROL_BURST = env_int("MSCOMM_CONTROL_BURST", 10, minimum=1)
MSCOMM_CONTROLS_PER_S = env_int("MSCOMM_CONTROLS_PER_S", 5, minimum=1)
# How long a finished run's frame stream stays in Redis (the DB keeps the log).
MSCOMM_STREAM_TTL_S = env_int("MSCOMM_STREAM_TTL_S", 3600, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = MSCOMM_MAX_BODY_BYTES
# Share links: how many a workspace may have, and how often one visitor or address may run
# or fork shared scenarios (per window).
MSCOMM_MAX_SHARES = env_int("MSCOMM_MAX_SHARES", 200, minimum=1)
MSCOMM_SHARE_ACTIONS_PER_WINDOW = env_int("MSCOMM_SHARE_ACTIONS_PER_WINDOW", 20, minimum=1)
MSCOMM_SHARE_WINDOW_S = env_int("MSCOMM_SHARE_WINDOW_S", 3600, minimum=1)
# Behind a reverse proxy, the client's address is the one it appends to X-Forwarded-For.
MSCOMM_TRUST_X_FORWARDED_FOR = env_bool("BEHIND_PROXY", False)

# Celery (namespace CELERY_): late acks with one task prefetched, so a task whose worker
# dies is redelivered, and a visibility timeout longer than the longest (live) run.
CELERY_BROKER_URL = REDIS_URL
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": MSCOMM_MAX_LIVE_WALL_S + 3600}
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "batch"
# The reaper runs on the batch workers: a crash of the live workers (the ones it must
# notice) cannot take it down with them.
CELERY_TASK_ROUTES = {"mscomm.runs.tasks.run_reap_task": {"queue": "batch"}}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "reap-stale-runs": {"task": "mscomm.runs.tasks.run_reap_task", "schedule": 10.0},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")),
    },
}
CSRF_FAILURE_VIEW = "mscomm.views.csrf_failure"
