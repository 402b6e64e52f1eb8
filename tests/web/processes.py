"""Real processes for the fault tests: a Redis of the test's own (that it may restart or
kill), daphne, Celery workers and beat, all on loopback ports picked at run time, and
websocket viewers that reconnect from their last frame as the browser does."""

from __future__ import annotations

import asyncio
import itertools
import json
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

import psutil
import pytest
import websockets
from django.test import Client

from mscomm.celery import app as celery_app
from mscomm.devtools import (
    _ping,
    daphne_args,
    free_port,
    redis_binary,
    webserve_args,
    worker_command,
)
from mscomm.runs.models import Run, RunState
from tests.web.conftest import ROOT, post_json, wait_for, worker_env


class RedisServer:
    """A redis-server with an append-only file (as docker-compose.yml runs it), so that a
    restart keeps the streams and the broker's queues; it comes back on the same port."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="mscomm-fault-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                redis_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--dir",
                str(self.dir),
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while not _ping(self.port):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        """A clean shutdown (SIGTERM: Redis flushes its append-only file first)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)

    def restart(self, down_s: float = 0.5) -> None:
        self.stop()
        time.sleep(down_s)
        self.start()


@pytest.fixture
def own_redis(settings) -> Iterator[RedisServer]:
    """This test's own Redis; the test process (API, streams, task sending) uses it."""
    server = RedisServer()
    server.start()
    old_broker = celery_app.conf.broker_url
    settings.REDIS_URL = server.url
    settings.CELERY_BROKER_URL = server.url
    _switch_broker(server.url)
    try:
        yield server
    finally:
        _switch_broker(old_broker)
        server.stop()


def _switch_broker(url: str) -> None:
    # The app keeps a pool of broker connections: drop it so the next task goes to `url`.
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@dataclass
class Processes:
    """What a test started: stopped (their whole group) at the end of the test."""

    env: dict[str, str]
    started: list[subprocess.Popen] = field(default_factory=list)
    logs: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="mscomm-procs-")))

    def spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started.append(process)
        return process

    def worker(self, name: str, *, queues: str = "live,batch", concurrency: int = 4):
        args = worker_command(
            queues=queues, pool="threads", concurrency=concurrency, loglevel="warning", name=name
        )
        return self.spawn(name, args)

    def beat(self) -> subprocess.Popen:
        schedule = self.logs / "celerybeat-schedule"
        return self.spawn(
            "beat",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "mscomm",
                "beat",
                "-s",
                str(schedule),
                "-l",
                "warning",
            ],
        )

    def daphne(self) -> str:
        """Start daphne; returns its base URL once it answers."""
        port = free_port()
        process = self.spawn(
            "daphne",
            [sys.executable, *daphne_args("127.0.0.1", port)],
        )
        return self._answering(process, "daphne", f"http://127.0.0.1:{port}")

    def webserve(self, count: int) -> tuple[str, subprocess.Popen]:
        """Start `count` daphnes on one port as scripts/start does (mscomm.webserve);
        returns the base URL once it answers, and the launcher."""
        port = free_port()
        process = self.spawn("webserve", [sys.executable, *webserve_args("127.0.0.1", port, count)])
        return self._answering(process, "webserve", f"http://127.0.0.1:{port}"), process

    def _answering(self, process: subprocess.Popen, name: str, url: str) -> str:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited: {self.log_tail(name)}")
            try:
                with urllib.request.urlopen(f"{url}/api/library", timeout=2):
                    return url
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL the process and everything it started (a crash, nothing cleaned up)."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def processes(request, transactional_db, settings) -> Iterator[Processes]:
    """Start daphne, workers and beat with this test's database and Redis (the test's own
    when it uses `own_redis`); limits are raised so a test may start many runs."""
    if "own_redis" in request.fixturenames:
        request.getfixturevalue("own_redis")
    settings.MSCOMM_MAX_CONCURRENT_RUNS = 100
    settings.MSCOMM_MAX_RUN_STARTS_PER_MINUTE = 1000
    procs = Processes(
        env=worker_env(
            REDIS_URL=settings.REDIS_URL,
            MSCOMM_HEARTBEAT_TIMEOUT_S="5",
            MSCOMM_MAX_CONCURRENT_RUNS="100",
            MSCOMM_MAX_RUN_STARTS_PER_MINUTE="1000",
        )
    )
    try:
        yield procs
    finally:
        procs.stop_all()


def rss_mb(process: subprocess.Popen) -> float:
    """Resident memory of the process and its children, in MB."""
    proc = psutil.Process(process.pid)
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        total += child.memory_info().rss
    return total / 2**20


# -- scenarios and runs through the API ---------------------------------------------


def chain_doc(name: str = "Fault drill", **changes) -> dict:
    """Two services and a sync call: light enough for many live runs on two cores."""
    doc = {
        "format": "mscomm.scenario/1",
        "name": name,
        "duration_s": 60,
        "drain_s": 5,
        "nodes": [
            {"id": "order", "kind": "service", "label": "Order", "workers": 4},
            {"id": "payment", "kind": "service", "label": "Payment", "work_ms": 20},
        ],
        "links": [{"id": "pay", "from": "order", "to": "payment", "style": "sync"}],
        "workload": [{"entry": "order", "arrival": {"process": "poisson", "rate_per_s": 20}}],
    }
    doc.update(changes)
    return doc


def create_scenario(client: Client, doc: dict) -> str:
    response = post_json(client, "/api/scenarios", {"doc": doc})
    assert response.status_code == 201, response.content
    return response.json()["id"]


def start_run(client: Client, scenario_id: str, *, speed: float, mode: str = "live") -> str:
    body = {"scenario_id": scenario_id, "speed": speed, "mode": mode}
    response = post_json(client, "/api/runs", body)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def states(run_ids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for state in Run.objects.filter(id__in=run_ids).values_list("state", flat=True):
        found[state] = found.get(state, 0) + 1
    return found


def run_finished(client: Client, scenario_id: str, *, mode: str = "batch") -> Run:
    """Start a run and wait until it has succeeded (a stored result to watch over)."""
    run_id = start_run(client, scenario_id, speed=100, mode=mode)
    wait_for(
        lambda: Run.objects.get(id=run_id).state == RunState.SUCCEEDED,
        timeout=120,
        what=f"run {run_id} to succeed",
    )
    return Run.objects.get(id=run_id)


def assert_run_unchanged(kept: Run) -> None:
    """The run's stored result and frame log are as they were when `kept` was read."""
    again = Run.objects.get(id=kept.id)
    assert again.state == kept.state and again.result == kept.result
    assert bytes(again.frame_log or b"") == bytes(kept.frame_log or b"")


# -- viewers ------------------------------------------------------------------------------


@dataclass
class Viewer:
    """What one websocket viewer saw of a run."""

    seqs: list[int] = field(default_factory=list)
    final: str | None = None
    connects: int = 0
    arrivals: dict[int, float] = field(default_factory=dict)


async def watch(
    base_url: str,
    run_id: str,
    *,
    cookie: str = "",
    viewer: Viewer | None = None,
    timeout_s: float = 180,
    drop_every: int = 0,
    drops: int = 0,
) -> Viewer:
    """Follow a run to its end as the page does: on a closed socket, reconnect with
    `since=` the last seq seen. With `drop_every`, close the socket after that many frames
    (`drops` times) to exercise catch-up."""
    viewer = viewer or Viewer()
    ws_url = base_url.replace("http://", "ws://") + f"/ws/runs/{run_id}/"
    headers = {"Origin": base_url}
    if cookie:
        headers["Cookie"] = cookie
    deadline = time.monotonic() + timeout_s
    backoff = 0.1
    while viewer.final is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"run {run_id}: no final state after {timeout_s} s")
        since = viewer.seqs[-1] if viewer.seqs else 0
        try:
            async with websockets.connect(
                f"{ws_url}?since={since}", additional_headers=headers, open_timeout=10
            ) as socket:
                viewer.connects += 1
                backoff = 0.1
                in_this = 0
                async for text in socket:
                    message = json.loads(text)
                    if message["type"] in ("frame", "frames"):
                        frames = message.get("frames") or [message["frame"]]
                        for seq in (frame["seq"] for frame in frames):
                            viewer.arrivals.setdefault(seq, time.monotonic())
                            viewer.seqs.append(seq)
                        in_this += len(frames)
                        if drop_every and drops > 0 and in_this >= drop_every:
                            drops -= 1
                            break
                    elif message["type"] == "run" and message["run"]["state"] not in (
                        "queued",
                        "running",
                    ):
                        viewer.final = message["run"]["state"]
                        break
        except (TimeoutError, OSError, websockets.WebSocketException):
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 2.0)
    return viewer


def gaps(seqs: list[int]) -> tuple[int, int, int]:
    """(missing, duplicated, out of order) frames in a viewer's sequence numbers."""
    duplicated = len(seqs) - len(set(seqs))
    out_of_order = sum(1 for a, b in itertools.pairwise(seqs) if b <= a)
    missing = (max(seqs) - len(set(seqs))) if seqs else 0
    return missing, duplicated, out_of_order
