"""Viewers that misbehave: one that drops its websocket again and again, one that stops
reading. Real daphne, Celery worker and Redis; the viewers are real websocket clients."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import statistics
import threading
import time
from urllib.parse import urlsplit

import pytest
import redis

from mscomm.runs import stream
from mscomm.runs.models import Run, RunState
from tests.web.conftest import cookie_header, wait_for
from tests.web.processes import (  # noqa: F401 (fixtures)
    Processes,
    Viewer,
    chain_doc,
    create_scenario,
    gaps,
    processes,
    rss_mb,
    start_run,
    watch,
)

pytestmark = [
    pytest.mark.any_database,
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.timeout(600),
]


def test_a_viewer_that_drops_its_socket_again_and_again_misses_nothing(
    processes: Processes,  # noqa: F811
    user_client,
    slow,
    record_figure,
):
    drops = 50 if slow else 10
    url = processes.daphne()
    processes.worker("live", queues="live", concurrency=2)
    scenario_id = create_scenario(user_client, chain_doc())
    # Long enough for `drops` reconnections of a few frames each.
    run_id = start_run(user_client, scenario_id, speed=65 / (drops * 0.6 + 5))
    cookie = cookie_header(user_client)[1].decode()
    viewer = asyncio.run(
        watch(url, run_id, cookie=cookie, drop_every=3, drops=drops, timeout_s=240)
    )
    run = Run.objects.get(id=run_id)
    missing, duplicated, out_of_order = gaps(viewer.seqs)
    record_figure(
        f"websocket dropped {viewer.connects - 1} times in one run: missing/dup/disorder",
        f"{missing}/{duplicated}/{out_of_order} of {len(viewer.seqs)} frames",
    )
    assert viewer.connects - 1 == drops, "the run ended before every drop happened"
    assert viewer.final == run.state == RunState.SUCCEEDED
    assert viewer.seqs == list(range(1, run.frame_count + 1))


def heavy_doc(duration_s: float) -> dict:
    """A gateway fanning out to 40 services: frames near their event cap, large states."""
    services = [f"svc{i}" for i in range(40)]
    return chain_doc(
        "Wide fan-out",
        duration_s=duration_s,
        nodes=[
            {"id": "gw", "kind": "service", "workers": 500},
            *[{"id": s, "kind": "service", "instances": 5, "work_ms": 5} for s in services],
        ],
        links=[{"id": f"to-{s}", "from": "gw", "to": s, "style": "sync"} for s in services],
        workload=[{"entry": "gw", "arrival": {"process": "poisson", "rate_per_s": 20}}],
    )


def stuck_viewer(base_url: str, run_id: str, cookie: str) -> socket.socket:
    """Open a websocket by hand and never read from it (a tiny receive buffer)."""
    parts = urlsplit(base_url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((parts.hostname, parts.port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws/runs/{run_id}/ HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nOrigin: {base_url}\r\n"
            f"Cookie: {cookie}\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def connection_state(sock: socket.socket) -> str:
    """'open' while the server keeps the connection, 'closed' once it dropped it."""
    sock.setblocking(False)
    try:
        while True:
            chunk = sock.recv(1 << 20)
            if not chunk:
                return "closed"
    except BlockingIOError:
        return "open"
    except OSError:
        return "closed"


def test_a_viewer_that_stops_reading_does_not_hold_up_others_or_grow_memory(
    processes: Processes,  # noqa: F811
    user_client,
    slow,
    record_figure,
):
    url = processes.daphne()
    daphne = processes.started[-1]
    processes.worker("live", queues="live", concurrency=2)
    # Three times the ping timeout (10 s + 10 s) at full size: what is held for a stuck
    # viewer is bounded by that timeout, not by the run's length.
    wall_s = 60 if slow else 40
    scenario_id = create_scenario(user_client, heavy_doc(wall_s))
    run_id = start_run(user_client, scenario_id, speed=1)
    baseline = rss_mb(daphne)

    # A direct reader of the run's stream marks when each frame was published.
    published: dict[int, float] = {}

    def read_stream() -> None:
        client = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
        last = "0-0"
        while True:
            reply = client.xread({stream.frames_key(run_id): last}, block=1000, count=100)
            for entry_id, fields in reply[0][1] if reply else []:
                last = entry_id
                if fields["k"] == stream.FRAME:
                    published.setdefault(int(entry_id.split("-")[0]), time.monotonic())
                elif stream.entry_decode(fields)[1]["state"] not in ("queued", "running"):
                    return

    reader = threading.Thread(target=read_stream, daemon=True)
    reader.start()
    cookie = cookie_header(user_client)[1].decode()
    stuck = [stuck_viewer(url, run_id, cookie) for _ in range(3)]
    viewers = [Viewer() for _ in range(3)]
    peak = baseline
    sampling = True

    def sample() -> None:
        nonlocal peak
        while sampling:
            peak = max(peak, rss_mb(daphne))
            time.sleep(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()

    async def follow() -> None:
        await asyncio.gather(
            *(watch(url, run_id, cookie=cookie, viewer=v, timeout_s=wall_s * 3) for v in viewers)
        )

    asyncio.run(follow())
    sampling = False
    sampler.join()
    reader.join(timeout=30)
    run = Run.objects.get(id=run_id)
    frame_kb = len(stream.frame_log_slice(run.frame_log, since=0, limit=1)[0].__repr__()) / 1024
    states = [connection_state(s) for s in stuck]
    for s in stuck:
        s.close()

    latencies = sorted(
        (v.arrivals[seq] - published[seq]) * 1000
        for v in viewers
        for seq in v.seqs
        if seq in published
    )
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan")
    record_figure(
        "stuck viewers (3) beside 3 reading ones: frames to readers",
        f"{sum(len(v.seqs) for v in viewers)}/{3 * run.frame_count}",
    )
    record_figure(
        "stuck viewers: readers' frame latency p50/p99",
        f"{statistics.median(latencies):.1f}/{p99:.1f}",
        "ms",
    )
    record_figure(
        "stuck viewers: daphne RSS baseline -> peak",
        f"{baseline:.0f} -> {peak:.0f} MB ({run.frame_count} frames of ~{frame_kb:.0f} KB)",
    )
    record_figure("stuck viewers dropped by the server by the run's end", states.count("closed"))
    # Memory held for them is bounded by the ping timeout, not by the run's length.
    assert states == ["closed"] * len(stuck)
    for viewer in viewers:
        assert viewer.final == RunState.SUCCEEDED
        assert viewer.seqs == list(range(1, run.frame_count + 1))
    wait_for(lambda: daphne.poll() is None, timeout=1, what="daphne to be alive")
