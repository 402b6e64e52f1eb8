"""Fixtures for the web tests: users, clients, scenarios and a subprocess Celery worker."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client

import patterns.library
from mscomm.accounts.services import workspace_for_user
from mscomm.devtools import processes_stop, worker_command
from mscomm.scenarios.models import Scenario

ROOT = Path(__file__).resolve().parents[2]


def lab_doc(**changes) -> dict:
    """A built-in lab's scenario, optionally with top-level fields changed."""
    labs = patterns.library.list_labs()
    lab = labs[0]
    doc = dict(lab["doc"] if isinstance(lab, dict) else lab.doc)
    doc.update(changes)
    return doc


@functools.cache
def password_hash(password: str) -> str:
    """`password` hashed as the site stores it, once per test run: hashing takes about
    0.4 s on purpose, and most tests start with a user or two."""
    return make_password(password)


def user_create(name: str, password: str):
    """A user who logs in with `password` anywhere (the hash is the site's own)."""
    return get_user_model().objects.create(username=name, password=password_hash(password))


@pytest.fixture
def user(db):
    return user_create("ada", "a-long-passphrase-1")


@pytest.fixture
def other_user(db):
    return user_create("bob", "a-long-passphrase-2")


@pytest.fixture
def user_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def other_client(other_user) -> Client:
    client = Client()
    client.force_login(other_user)
    return client


@pytest.fixture
def scenario(user) -> Scenario:
    return Scenario.objects.create(
        workspace=workspace_for_user(user=user), name=lab_doc()["name"], doc=lab_doc()
    )


def worker_env(**extra: str) -> dict[str, str]:
    """Environment for a worker process that uses this test session's DB and Redis."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{db['NAME']}"
    else:
        url = (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        )
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        REDIS_URL=os.environ["REDIS_URL"],
        DJANGO_SETTINGS_MODULE="tests.settings",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


@pytest.fixture
def start_worker(transactional_db) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start real `celery worker` processes (both queues); all are stopped afterwards."""
    started: list[subprocess.Popen] = []

    def start(**extra: str) -> subprocess.Popen:
        process = subprocess.Popen(
            worker_command(queues="live,batch", pool="threads", concurrency=4, loglevel="warning"),
            cwd=ROOT,
            env=worker_env(**extra),
        )
        started.append(process)
        return process

    yield start
    processes_stop(started)


def wait_for(predicate: Callable[[], object], *, timeout: float = 60.0, what: str = "") -> object:
    """Poll until `predicate()` is truthy (returns it) or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what or predicate}")
        time.sleep(0.1)


ORIGIN = (b"origin", b"http://testserver")


def post_json(client: Client, url: str, body: object, **extra):
    """POST `body` as JSON."""
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


def cookie_header(client: Client) -> tuple[bytes, bytes]:
    """The test client's cookies as a websocket request header (its session)."""
    cookies = "; ".join(f"{key}={morsel.value}" for key, morsel in client.cookies.items())
    return (b"cookie", cookies.encode())


class FrameCommunicator(WebsocketCommunicator):
    """A websocket test client that hands out one message per frame.

    The server sends the frames a viewer has at hand at once (a catch-up, a viewer
    behind) as one `{"type": "frames", "frames": [...]}` message; tests about order and
    content read them as the `{"type": "frame", "frame": ...}` messages they stand for.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.pending: list[dict] = []

    async def receive_json_from(self, timeout: float = 1) -> dict:
        if not self.pending:
            message = await super().receive_json_from(timeout=timeout)
            if message.get("type") != "frames":
                return message
            assert len(message["frames"]) > 1, "one frame goes as a frame message"
            self.pending = [{"type": "frame", "frame": frame} for frame in message["frames"]]
        return self.pending.pop(0)

    async def receive_nothing(self, timeout: float = 0.1, interval: float = 0.01) -> bool:
        return not self.pending and await super().receive_nothing(timeout, interval)
