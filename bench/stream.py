"""Stream benchmark: one live run watched by 1, 10 and 100 websocket viewers.

Starts its own Redis, a daphne server and a Celery worker (live queue, thread pool) on
a scratch SQLite database, then prints for each viewer count: frames per second per
viewer, publish-to-receive latency p50/p99 (the frame's `sent_at` to its arrival),
frames lost (must be 0), and the time from the start request to the first frame
received (p50 over several runs). Figures, not pass/fail.

    python bench/stream.py [--viewers 1,10,100] [--seconds 5] [--starts 7]
"""

from __future__ import annotations

import argparse
import asyncio
import http.cookiejar
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import websockets.asyncio.client as ws_client

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mscomm.devtools import free_port, processes_stop, redis_start, worker_command  # noqa: E402

LAB = "sync-chain"
FRAME_HEAD = re.compile(
    rb'\{"type":"frame","frame":\{"seq":(?P<seq>\d+),"t":[^,]+,"sent_at":(?P<sent_at>[0-9.e+-]+)'
)


class Api:
    """A visitor's session against the server: cookies and the CSRF header."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name)

    def call(self, method: str, path: str, body: object = None) -> object:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if method != "GET":
            request.add_header("X-CSRFToken", self.cookie("csrftoken"))
        with self.opener.open(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def wait_port(port: int, timeout: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port}")


async def watch(url: str, origin: str, cookie: str, out: dict, ready: asyncio.Event | None):
    """Receive frames until the run ends; record seq and latency of each."""
    async with ws_client.connect(
        url, origin=origin, additional_headers={"Cookie": cookie}, max_size=2**24
    ) as socket:
        if ready is not None:
            ready.set()
        # Frames sent before this viewer joined are catch-up, not publish-to-receive.
        joined = out["joined"] = time.time()
        while True:
            # Bytes, not text: the client skips UTF-8 decoding of every frame.
            raw = await socket.recv(decode=False)
            now = time.time()
            head = FRAME_HEAD.match(raw)
            if head:
                # Only the head of a frame is read: a hundred viewers in this one process
                # must not measure the client's JSON parsing instead of the server.
                out["seqs"].append(int(head["seq"]))
                sent_at = float(head["sent_at"])
                if sent_at >= joined:
                    out["latency"].append(now - sent_at)
                out.setdefault("first", now)
                out["last"] = now
                continue
            message = json.loads(raw)
            if message["type"] == "run" and message["run"]["state"] not in (
                "queued",
                "running",
            ):
                out["final"] = message["run"]["state"]
                return


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _viewer_group(url: str, origin: str, cookie: str, count: int, timeout: float) -> list:
    """Run `count` viewers in this process (one of several client processes)."""

    async def group() -> list[dict]:
        records = [{"seqs": [], "latency": []} for _ in range(count)]
        tasks = [asyncio.ensure_future(watch(url, origin, cookie, r, None)) for r in records]
        # A viewer that never sees the end is reported, not waited for forever.
        done, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        for task in done:
            if task.exception() is not None:
                print(f"  viewer failed: {task.exception()!r}")
        return records

    return asyncio.run(group())


def one_run(
    api: Api,
    ws_base: str,
    origin: str,
    scenario: dict,
    speed: float,
    viewers: int,
    run_timeout: float,
    pool: ProcessPoolExecutor,
    per_process: int,
):
    """Start a run, let `viewers` watch it from the start; returns per-viewer records."""
    run = api.call("POST", "/api/runs", {"scenario_id": scenario["id"], "speed": speed})
    url = f"{ws_base}/ws/runs/{run['id']}/?since=0"
    sizes = [min(per_process, viewers - i) for i in range(0, viewers, per_process)]
    futures = [
        pool.submit(_viewer_group, url, origin, api.cookie_header(), size, run_timeout)
        for size in sizes
    ]
    records = [record for future in futures for record in future.result()]
    stored = api.call("GET", f"/api/runs/{run['id']}/frames?since=0")
    total = stored["next"]
    while not stored["done"]:
        stored = api.call("GET", f"/api/runs/{run['id']}/frames?since={total}")
        total = stored["next"]
    return records, total


async def first_frame(api: Api, ws_base: str, origin: str, scenario: dict, speed: float) -> float:
    """Seconds from sending the start request to the first frame on a fresh websocket."""
    started = time.time()
    run = api.call("POST", "/api/runs", {"scenario_id": scenario["id"], "speed": speed})
    url = f"{ws_base}/ws/runs/{run['id']}/?since=0"
    async with ws_client.connect(
        url, origin=origin, additional_headers={"Cookie": api.cookie_header()}
    ) as socket:
        async for raw in socket:
            if json.loads(raw)["type"] == "frame":
                elapsed = time.time() - started
                break
    api.call("POST", f"/api/runs/{run['id']}/cancel")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--viewers", default="1,10,100")
    parser.add_argument("--seconds", type=float, default=5.0, help="wall time of one run")
    parser.add_argument("--starts", type=int, default=7, help="runs for the first-frame p50")
    parser.add_argument("--per-process", type=int, default=25, help="viewers per client process")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="mscomm-bench-"))
    redis_process, redis_url = redis_start(scratch / "redis")
    port = free_port()
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="mscomm.settings",
        DEBUG="false",
        SECRET_KEY="bench-" + "x9" * 30,
        HTTPS="false",
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"sqlite:///{scratch / 'bench.sqlite3'}",
        REDIS_URL=redis_url,
        MSCOMM_MAX_CONCURRENT_RUNS="50",
        LOG_LEVEL="WARNING",
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    py = sys.executable
    subprocess.run([py, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    processes = [
        subprocess.Popen(
            [py, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "mscomm.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            worker_command(queues="live", pool="threads", concurrency=20, loglevel="error"),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    pool = ProcessPoolExecutor(max_workers=4)
    # Start the client processes now, not while the first run is already streaming.
    list(pool.map(time.sleep, [0.5] * 4))
    try:
        wait_port(port)
        base = f"http://127.0.0.1:{port}"
        api = Api(base)
        api.call("GET", "/api/scenarios")  # the CSRF cookie
        scenario = api.call("POST", f"/api/library/{LAB}/copy")
        doc = scenario["doc"]
        end_s = doc.get("duration_s", 60) + doc.get("drain_s", 30)
        speed = min(100.0, end_s / args.seconds)
        ws_base, origin = f"ws://127.0.0.1:{port}", base
        print(f"lab {LAB}: {end_s:g} simulated s at speed {speed:g} (about {args.seconds:g} s)")
        print(
            f"{'viewers':>7} {'frames':>6} {'fps/viewer':>10} {'p50 ms':>7} {'p99 ms':>7} "
            f"{'lost':>5} {'web cpu s':>9}"
        )
        for viewers in [int(v) for v in args.viewers.split(",")]:
            cpu_before = cpu_seconds(processes[0].pid)
            records, total = one_run(
                api,
                ws_base,
                origin,
                scenario,
                speed,
                viewers,
                args.seconds * 6 + 30,
                pool,
                args.per_process,
            )
            latency = [x * 1000 for r in records for x in r["latency"]]
            lost = sum(total - len(set(r["seqs"])) for r in records)
            in_order = all(r["seqs"] == sorted(r["seqs"]) for r in records)
            fps = statistics.mean(
                len(r["seqs"]) / max(r["last"] - r["first"], 1e-9) for r in records if r["seqs"]
            )
            unfinished = sum(1 for r in records if "final" not in r)
            join_spread = max(r["joined"] for r in records) - min(r["joined"] for r in records)
            print(
                f"{viewers:>7} {total:>6} {fps:>10.1f} {percentile(latency, 50):>7.1f} "
                f"{percentile(latency, 99):>7.1f} {lost:>5} "
                f"{cpu_seconds(processes[0].pid) - cpu_before:>9.2f}"
                + ("" if in_order else "  (OUT OF ORDER)")
                + (f"  ({unfinished} viewers did not see the end)" if unfinished else "")
                + (f"  (viewers joined over {join_spread:.2f} s)" if viewers > 1 else "")
            )
        starts = [
            asyncio.run(first_frame(api, ws_base, origin, scenario, speed))
            for _ in range(args.starts)
        ]
        load = os.getloadavg()[0]
        print(f"machine: {os.cpu_count()} cores, load average {load:.1f} (other work included)")
        print(
            f"start request -> first frame: p50 {statistics.median(starts) * 1000:.0f} ms, "
            f"max {max(starts) * 1000:.0f} ms over {len(starts)} runs"
        )
    finally:
        pool.shutdown(cancel_futures=True)
        processes_stop([*processes, redis_process])


if __name__ == "__main__":
    main()
