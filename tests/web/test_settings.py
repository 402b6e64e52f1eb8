"""Settings: production passes `check --deploy`; bad environment values are refused."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from mscomm.env import database_from_url, env_bool, env_int

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    skip = {"DEBUG", "HTTPS", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in skip}
    clean.update(DJANGO_SETTINGS_MODULE="mscomm.settings", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
    )


def test_production_settings_pass_check_deploy_without_warnings():
    done = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="p" + "r0duct10n-s3cret-" * 4,
        ALLOWED_HOSTS="mscomm.example.org",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_production_refuses_to_start_without_a_secret():
    done = manage("check", DEBUG="false")
    assert done.returncode != 0
    assert "SECRET_KEY must be set" in done.stderr


def test_log_level_names_are_taken_in_any_case():
    done = manage("check", LOG_LEVEL="warning")
    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout


def test_a_bad_log_level_is_refused_in_one_clear_line():
    done = manage("check", LOG_LEVEL="loud")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "LOG_LEVEL" in lines[0] and "'loud'" in lines[0] and "WARNING" in lines[0]


def test_env_bool_refuses_nonsense(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env_bool("X_FLAG", False)
    monkeypatch.setenv("X_FLAG", "Yes")
    assert env_bool("X_FLAG", False) is True


def test_env_int_checks_its_range(monkeypatch):
    monkeypatch.setenv("X_LIMIT", "0")
    with pytest.raises(ImproperlyConfigured, match=">= 1"):
        env_int("X_LIMIT", 5, minimum=1)
    monkeypatch.setenv("X_LIMIT", "ten")
    with pytest.raises(ImproperlyConfigured, match="integer"):
        env_int("X_LIMIT", 5)


def test_database_urls_are_parsed():
    pg = database_from_url("postgres://u:p%40ss@db.internal:5433/mscomm")
    assert (pg["NAME"], pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"]) == (
        "mscomm",
        "u",
        "p@ss",
        "db.internal",
        "5433",
    )
    lite = database_from_url("sqlite:////var/lib/mscomm/db.sqlite3")
    assert lite["NAME"] == "/var/lib/mscomm/db.sqlite3"
    with pytest.raises(ImproperlyConfigured, match="mysql"):
        database_from_url("mysql://x/y")


def test_the_web_process_is_tuned_for_fan_out():
    # What daphne loads: the collector's thresholds raised, start-up frozen out of every
    # collection, autobahn's per-message colouring off, TCP writes sent at once
    # (mscomm.serving; the 500-viewer class in docs/hardening.md).
    probe = (
        "import gc, json; before = gc.get_threshold(); import mscomm.asgi, autobahn.util; "
        "from twisted.internet import tcp; "
        "print(json.dumps([before, gc.get_threshold(), gc.get_freeze_count(), "
        "autobahn.util._HAS_CLICK, autobahn.util.hl('x'), "
        "getattr(tcp.Server.write, 'eager', False)]))"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(DJANGO_SETTINGS_MODULE="mscomm.settings", DEBUG="true")
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    before, after, frozen, colours, highlighted, eager = json.loads(done.stdout)
    assert after == [50_000, 20, 10] != before  # before: 700 (or 2000 on 3.13+), 10, 10
    assert frozen > 10_000  # Django, Channels and the app: tens of thousands of objects
    assert (colours, highlighted) == (False, "x")
    assert eager is True  # Twisted's TCP writes (the test below)


def _eager_probe(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "tests.web.eager_writes_probe", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_web_process_sends_a_tcp_write_at_once_and_keeps_twisteds_order_and_losses():
    # mscomm.serving.eager_tcp_writes on a real reactor and sockets: a write with nothing
    # buffered before it is sent without registering the socket for writing; a 4 MB write
    # between small ones still arrives whole and in order; a peer's reset still ends the
    # connection as Twisted ends it, nothing logged as an error.
    eager, buffered = _eager_probe(), _eager_probe("--buffered")
    assert (eager["eager"], buffered["eager"]) == (True, False)
    assert eager["registered_after_small_write"] is False
    assert buffered["registered_after_small_write"] is True  # Twisted's own way
    for probe in (eager, buffered):
        assert probe["stream_intact"] is True
        assert probe["stream_bytes"] == 4_280_614
        assert probe["hangup_lost"] == "ConnectionLost"
        assert probe["errors"] == []


@pytest.mark.parametrize("signal_name", ["worker_process_init", "worker_ready"])
def test_a_worker_keeps_what_it_loaded_out_of_the_collectors_full_passes(signal_name):
    import celery.signals

    import mscomm.celery  # noqa: F401  (connects the handlers)

    gc.unfreeze()
    try:
        getattr(celery.signals, signal_name).send(sender=None)
        assert gc.get_freeze_count() > 10_000  # Django, Celery and the engine, loaded
    finally:
        gc.unfreeze()
