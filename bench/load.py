"""Many live runs at once, each watched by several viewers, on the real processes.

    python bench/load.py [--runs 20] [--viewers 5] [--workers 2] [--wall 30]

Starts a private Redis, a SQLite database, daphne and `--workers` Celery workers on the
live queue (thread pools), then starts `--runs` live runs together (paced so that each
lasts about `--wall` seconds) and opens `--viewers` websockets to each. Each frame
carries the wall time its worker published it (`sent_at`); each viewer notes when it
arrived. Prints, per run, frames stored / delivered to every viewer and frames per
wall second; then the frame latency (publish -> viewer) p50/p95/p99/max over all viewers,
and the slowest and fastest run (no run starves when their frames/s stay close).
Never part of the test run: it prints figures, it does not assert speed.
"""

from __future__ import annotations

import argparse
import asyncio
import http.cookiejar
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mscomm.devtools import (  # noqa: E402
    daphne_args,
    free_port,
    redis_start,
    worker_command,
)


def scenario(duration_s: float) -> dict:
    """An order service calling payment and publishing to two subscribers."""
    return {
        "format": "mscomm.scenario/1",
        "name": "Load bench",
        "duration_s": duration_s,
        "drain_s": 2,
        "nodes": [
            {"id": "order", "kind": "service", "workers": 8},
            {"id": "payment", "kind": "service", "work_ms": 15},
            {"id": "placed", "kind": "topic"},
            {"id": "loyalty", "kind": "service"},
            {"id": "stock", "kind": "service", "instances": 2},
        ],
        "links": [
            {"id": "pay", "from": "order", "to": "payment", "style": "sync"},
            {"id": "emit", "from": "order", "to": "placed", "style": "publish"},
            {"id": "l1", "from": "placed", "to": "loyalty", "style": "subscribe"},
            {"id": "l2", "from": "placed", "to": "stock", "style": "subscribe"},
        ],
        "workload": [{"entry": "order", "arrival": {"process": "poisson", "rate_per_s": 30}}],
    }


class Api:
    """The HTTP API as one visitor (session cookie and CSRF token)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.call("GET", "/api/library")

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.jar if c.name == name), "")

    def call(self, method: str, path: str, body: object = None) -> object:
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                "X-CSRFToken": self.cookie("csrftoken"),
                "Origin": self.base,
            },
        )
        with self.opener.open(request, timeout=30) as response:
            return json.loads(response.read() or b"null")


def spawn(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        args,
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


async def view(base: str, run_id: str, cookie: str) -> tuple[list[int], dict[int, float]]:
    url = base.replace("http://", "ws://") + f"/ws/runs/{run_id}/"
    seqs: list[int] = []
    arrivals: dict[int, float] = {}
    headers = {"Origin": base, "Cookie": cookie}
    async with websockets.connect(url, additional_headers=headers, max_size=None) as socket:
        async for text in socket:
            message = json.loads(text)
            if message["type"] in ("frame", "frames"):
                for frame in message.get("frames") or [message["frame"]]:
                    seqs.append(frame["seq"])
                    # The worker stamps each frame with the wall time it published it.
                    arrivals[frame["seq"]] = (time.time() - frame["sent_at"]) * 1000
            elif message["type"] == "run" and message["run"]["state"] not in (
                "queued",
                "running",
            ):
                break
    return seqs, arrivals


def stored_frames(api: Api, run_id: str) -> int:
    """How many frames the finished run stored (the frames API, page by page)."""
    count, since = 0, 0
    while True:
        page = api.call("GET", f"/api/runs/{run_id}/frames?since={since}")
        count += len(page["frames"])
        if page["done"] or not page["frames"]:
            return count
        since = page["next"]


def percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


async def measure(args, base: str, api: Api) -> None:
    doc = scenario(args.wall)
    created = api.call("POST", "/api/scenarios", {"doc": doc})
    cookie = f"sessionid={api.cookie('sessionid')}; csrftoken={api.cookie('csrftoken')}"
    runs = [
        api.call("POST", "/api/runs", {"scenario_id": created["id"], "speed": 1, "mode": "live"})
        for _ in range(args.runs)
    ]
    started = time.monotonic()
    viewed = await asyncio.gather(
        *(view(base, run["id"], cookie) for run in runs for _ in range(args.viewers))
    )
    wall = time.monotonic() - started
    latencies: list[float] = []
    rates: list[tuple[float, str]] = []
    complete = 0
    print(f"{'run':>8} {'stored':>7} {'delivered to each viewer':>28} {'frames/s':>9}")
    for index, run in enumerate(runs):
        stored = api.call("GET", f"/api/runs/{run['id']}")
        count = stored_frames(api, run["id"])
        mine = viewed[index * args.viewers : (index + 1) * args.viewers]
        for seqs, lags in mine:
            complete += seqs == list(range(1, count + 1))
            latencies += lags.values()
        started_at, finished_at = (
            datetime.fromisoformat(stored[k]) for k in ("started_at", "finished_at")
        )
        rate = count / max((finished_at - started_at).total_seconds(), 1e-9)
        rates.append((rate, run["id"][:8]))
        delivered = "/".join(str(len(seqs)) for seqs, _ in mine)
        print(f"{run['id'][:8]:>8} {count:>7} {delivered:>28} {rate:>9.1f}  {stored['state']}")
    latencies.sort()
    viewers = args.runs * args.viewers
    print(
        f"\n{args.runs} live runs x {args.viewers} viewers on {args.workers} workers, {wall:.0f} s"
    )
    print(f"viewers that got every frame, once, in order: {complete}/{viewers}")
    print(
        "frame latency publish -> viewer (ms): "
        f"p50 {statistics.median(latencies):.1f}  p95 {percentile(latencies, 0.95):.1f}  "
        f"p99 {percentile(latencies, 0.99):.1f}  max {latencies[-1]:.1f}"
    )
    rates.sort()
    print(
        f"frames/s per run: slowest {rates[0][0]:.1f} ({rates[0][1]}), "
        f"fastest {rates[-1][0]:.1f} ({rates[-1][1]}), "
        f"median {statistics.median(r for r, _ in rates):.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--viewers", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--wall", type=float, default=30, help="seconds each run lasts")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="mscomm-load-"))
    redis_process, redis_url = redis_start(folder / "redis")
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="mscomm.settings",
        DEBUG="true",
        DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
        REDIS_URL=redis_url,
        PYTHONPATH=str(ROOT),
        MSCOMM_MAX_CONCURRENT_RUNS=str(args.runs * 2),
        MSCOMM_MAX_RUN_STARTS_PER_MINUTE=str(args.runs * 2),
    )
    processes: list[subprocess.Popen] = []
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        port = free_port()
        log = folder / "server.log"
        processes.append(
            spawn(
                [sys.executable, *daphne_args("127.0.0.1", port)],
                env,
                log,
            )
        )
        per_worker = args.runs // args.workers + 2
        for index in range(args.workers):
            processes.append(
                spawn(
                    worker_command(
                        queues="live",
                        pool="threads",
                        concurrency=per_worker,
                        loglevel="warning",
                        name=f"live{index}",
                    ),
                    env,
                    log,
                )
            )
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/api/library")
        time.sleep(3)  # the workers connect to the broker
        asyncio.run(measure(args, base, Api(base)))
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        redis_process.terminate()
        redis_process.wait()


if __name__ == "__main__":
    main()
