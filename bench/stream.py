"""Stream benchmark: one live run watched by 1, 10 and 100 websocket viewers, and a class.

Starts its own Redis, the web server as scripts/start runs it (mscomm.webserve:
--web-processes daphnes on one port) and the Celery live workers on a scratch SQLite
database, then prints for each viewer count: frames per second per
viewer, publish-to-receive latency p50/p99 (the frame's `sent_at` to its arrival),
frames lost (must be 0), and the time from the start request to the first frame
received (p50 over several runs), and whether 20 live runs at once keep their pace.
The class: 500 viewers (in several client processes) on one share link's sockets, then
the link revoked: frames/s per viewer, latency p50/p99, frames lost, daphne's memory per
viewer and the time until every socket is closed. Figures, not pass/fail.

    python bench/stream.py [--viewers 1,10,100] [--seconds 5] [--starts 7]
        [--share-viewers 500] [--share-seconds 15] [--share-processes 5]
        [--client-nice 10] [--web-processes N]
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

import psutil
import websockets.asyncio.client as ws_client
from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mscomm.devtools import (  # noqa: E402
    free_port,
    processes_stop,
    redis_start,
    webserve_args,
    worker_command,
)
from mscomm.serving import tune_gc  # noqa: E402

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


def _take_frame(raw: bytes, out: dict) -> bool:
    """Record the seq and latency of a frame (or of the frames of a `frames` message) in
    `out`; False when `raw` holds none."""
    now = time.time()
    head = FRAME_HEAD.match(raw)
    if head:
        # Only the head of a frame is read: a hundred viewers in this one process must
        # not measure the client's JSON parsing instead of the server.
        _took(out, now, int(head["seq"]), float(head["sent_at"]))
        return True
    if not raw.startswith(b'{"type":"frames"'):
        return False
    for frame in json.loads(raw)["frames"]:  # a catch-up, or a viewer behind: rare
        _took(out, now, frame["seq"], frame["sent_at"])
    return True


def _took(out: dict, now: float, seq: int, sent_at: float) -> None:
    out["seqs"].append(seq)
    # Frames sent before this viewer joined are catch-up, not publish-to-receive.
    if sent_at >= out["joined"]:
        out["latency"].append(now - sent_at)
        out.setdefault("received", []).append(now)
    out.setdefault("first", now)
    out["last"] = now


async def watch(url: str, origin: str, cookie: str, out: dict, ready: asyncio.Event | None):
    """Receive frames until the run ends; record seq and latency of each."""
    async with ws_client.connect(
        url, origin=origin, additional_headers={"Cookie": cookie}, max_size=2**24
    ) as socket:
        if ready is not None:
            ready.set()
        out["joined"] = time.time()
        while True:
            # Bytes, not text: the client skips UTF-8 decoding of every frame.
            raw = await socket.recv(decode=False)
            if _take_frame(raw, out):
                continue
            message = json.loads(raw)
            if message["type"] == "run" and message["run"]["state"] not in (
                "queued",
                "running",
            ):
                out["final"] = message["run"]["state"]
                return


def server_processes(pid: int) -> list[psutil.Process]:
    """The web server's processes: `pid` (mscomm.webserve) and its daphnes."""
    launcher = psutil.Process(pid)
    return [launcher, *launcher.children()]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the web server has used: `pid` and its children."""
    return sum(sum(p.cpu_times()[:2]) for p in server_processes(pid))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def _settle(tasks: list[asyncio.Future], timeout: float) -> None:
    """Wait for the viewers; one that never sees its end is reported, not waited for."""
    done, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        task.cancel()
    for task in done:
        if task.exception() is not None:
            print(f"  viewer failed: {task.exception()!r}")


def _viewer_group(url: str, origin: str, cookie: str, count: int, timeout: float) -> list:
    """Run `count` viewers in this process (one of several client processes)."""
    # Each client process stands for many browsers on other machines: its own collector's
    # pauses must not count as the server's latency, so it is tuned as the server is.
    tune_gc()

    async def group() -> list[dict]:
        records = [{"seqs": [], "latency": []} for _ in range(count)]
        tasks = [asyncio.ensure_future(watch(url, origin, cookie, r, None)) for r in records]
        await _settle(tasks, timeout)
        return records

    return asyncio.run(group())


async def watch_link(url: str, origin: str, out: dict) -> None:
    """A class member on a share link (no cookie): frames until the server closes."""
    try:
        async with ws_client.connect(url, origin=origin, max_size=2**24) as socket:
            out["joined"] = time.time()
            while True:
                _take_frame(await socket.recv(decode=False), out)
    except ConnectionClosed as closed:
        out["closed_at"] = time.time()
        out["code"] = closed.rcvd.code if closed.rcvd is not None else None


def _link_viewer_group(url: str, origin: str, count: int, timeout: float, nice: int) -> list:
    """Run `count` share-link viewers in this process until the link closes them.

    The process stands for browsers on other machines, which take no CPU from the
    server: at `nice` it runs on what the server leaves of this machine's cores, rather
    than taking turns with it (its own latency counts in what it measures all the same).
    """
    tune_gc()  # as in _viewer_group
    os.nice(nice)

    async def group() -> list[dict]:
        records = [{"seqs": [], "latency": []} for _ in range(count)]
        tasks = []
        for record in records:
            tasks.append(asyncio.ensure_future(watch_link(url, origin, record)))
            await asyncio.sleep(0.002)  # a class arrives over a moment, not in one packet
        await _settle(tasks, timeout)
        return records

    return asyncio.run(group())


def rss_mb(pid: int) -> float:
    """Resident memory of the web server: `pid` and its children."""
    return sum(p.memory_info().rss for p in server_processes(pid)) / 2**20


def shared_class(
    api: Api,
    ws_base: str,
    origin: str,
    scenario: dict,
    viewers: int,
    watch_s: float,
    daphne_pid: int,
    processes: int,
    web_processes: int,
    client_nice: int,
) -> None:
    """A teacher shares one live run with `viewers` students, then revokes the link.

    Lost frames are gaps in what a viewer received; frames published at least 0.25 s
    before the revoke that had not reached a viewer when its socket closed are counted
    apart (a viewer that is behind). The close time is from the revoke request to the
    last socket's close arriving at its client.
    """
    doc = scenario["doc"]
    end_s = doc.get("duration_s", 60) + doc.get("drain_s", 30)
    # Long enough that the run is still live when the link is revoked.
    speed = min(100.0, end_s / (watch_s * 2 + 20))
    run = api.call("POST", "/api/runs", {"scenario_id": scenario["id"], "speed": speed})
    link = api.call("POST", "/api/shares", {"run_id": run["id"]})
    url = f"{ws_base}/ws/shares/{link['token']}/?since=0"
    baseline = rss_mb(daphne_pid)
    cpu_before, wall_before = cpu_seconds(daphne_pid), time.monotonic()
    sizes = [viewers // processes + (i < viewers % processes) for i in range(processes)]
    with ProcessPoolExecutor(max_workers=processes) as pool:
        list(pool.map(time.sleep, [0.2] * processes))  # the processes are up
        futures = [
            pool.submit(_link_viewer_group, url, origin, size, watch_s + 30, client_nice)
            for size in sizes
        ]
        peak = baseline
        until = time.monotonic() + watch_s
        while time.monotonic() < until:
            peak = max(peak, rss_mb(daphne_pid))
            time.sleep(0.25)
        cpu_share = (cpu_seconds(daphne_pid) - cpu_before) / (time.monotonic() - wall_before)
        # From the moment the revoke is asked for: its own answer may be slow to come.
        revoked_at = time.time()
        api.call("DELETE", f"/api/shares/{link['id']}")
        revoke_s = time.time() - revoked_at
        records = [record for future in futures for record in future.result()]
    api.call("POST", f"/api/runs/{run['id']}/cancel")
    sent_at = {}
    since = 0
    while True:
        page = api.call("GET", f"/api/runs/{run['id']}/frames?since={since}")
        sent_at.update({f["seq"]: f["sent_at"] for f in page["frames"]})
        if not page["frames"]:
            break
        since = page["next"]
    due = {seq for seq, at in sent_at.items() if at <= revoked_at - 0.25}
    # Lost: a gap in what a viewer received. Cut off: published before the revoke but
    # still queued for a viewer that was behind when its socket closed (access ends).
    lost = sum(len(set(range(1, max(r["seqs"], default=0) + 1)) - set(r["seqs"])) for r in records)
    cut = sum(len({seq for seq in due if seq > max(r["seqs"], default=0)}) for r in records)
    latency = [x * 1000 for r in records for x in r["latency"]]
    fps = statistics.mean(
        len(r["seqs"]) / max(r["last"] - r["first"], 1e-9) for r in records if r["seqs"]
    )
    # Once the whole class is in (a second after the last joined): the steady state, apart
    # from the burst of handshakes while the class arrives.
    settled = max((r["joined"] for r in records if "joined" in r), default=0) + 1.0
    steady = [
        x * 1000
        for r in records
        for x, at in zip(r["latency"], r.get("received", []), strict=True)
        if at >= settled
    ]
    closed = [r["closed_at"] - revoked_at for r in records if "closed_at" in r]
    codes = sorted({r.get("code") for r in records}, key=str)
    joined = [r["joined"] - revoked_at + watch_s for r in records if "joined" in r]
    print(
        f"share link, {viewers} viewers in {processes} client processes (nice {client_nice}), "
        f"{web_processes} daphne process{'es' if web_processes > 1 else ''} "
        f"({watch_s:g} s of a live run at speed {speed:g}, then revoked; "
        f"{len(joined)} joined {min(joined, default=0):.1f}..{max(joined, default=0):.1f} s "
        f"into it; load average {os.getloadavg()[0]:.1f}):"
    )
    print(
        f"  frames/s per viewer {fps:.1f}; publish-to-receive p50 {percentile(latency, 50):.1f} "
        f"ms, p99 {percentile(latency, 99):.1f} ms; lost {lost}; "
        f"{cut} of {len(due) * len(records)} published before the revoke were still queued"
    )
    if steady:
        print(
            f"  once all had joined: publish-to-receive p50 {percentile(steady, 50):.1f} ms, "
            f"p99 {percentile(steady, 99):.1f} ms ({len(steady)} frames received)"
        )
    print(
        f"  daphne RSS {baseline:.0f} -> {peak:.0f} MB: "
        f"{(peak - baseline) * 1024 / viewers:.0f} kB per viewer; daphne used "
        f"{cpu_share * 100:.0f} % of a core (all its processes) while they watched"
    )
    print(
        f"  after the revoke (answered in {revoke_s:.2f} s): {len(closed)}/{viewers} "
        f"sockets closed (codes {codes}), "
        f"all within {max(closed) if closed else float('nan'):.2f} s "
        f"(p50 {statistics.median(closed) if closed else float('nan'):.2f} s)"
    )


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


def concurrent_runs(api: Api, scenario: dict, speed: float, count: int, planned_s: float):
    """Start `count` live runs at once; how long each took against the plan, its frames."""
    from datetime import datetime

    ids = [
        api.call("POST", "/api/runs", {"scenario_id": scenario["id"], "speed": speed})["id"]
        for _ in range(count)
    ]
    deadline = time.monotonic() + planned_s * 10 + 60
    while time.monotonic() < deadline:
        runs = [api.call("GET", f"/api/runs/{run_id}") for run_id in ids]
        if all(run["state"] not in ("queued", "running") for run in runs):
            break
        time.sleep(0.5)
    walls, rates = [], []
    for run in runs:
        if run["finished_at"] and run["started_at"]:
            wall = (
                datetime.fromisoformat(run["finished_at"])
                - datetime.fromisoformat(run["started_at"])
            ).total_seconds()
            frames = api.call("GET", f"/api/runs/{run['id']}/frames?since=0")
            total = frames["next"]
            while not frames["done"]:
                frames = api.call("GET", f"/api/runs/{run['id']}/frames?since={total}")
                total = frames["next"]
            walls.append(wall)
            rates.append(total / wall)
    states = sorted({run["state"] for run in runs})
    print(
        f"{count} live runs at once (each planned {planned_s:g} s): wall p50 "
        f"{statistics.median(walls):.2f} s, max {max(walls):.2f} s; frames/s per run p50 "
        f"{statistics.median(rates):.1f}, min {min(rates):.1f}; states {states}"
    )


async def first_frame(api: Api, ws_base: str, origin: str, scenario: dict, speed: float) -> float:
    """Seconds from sending the start request to the first frame on a fresh websocket."""
    started = time.time()
    run = api.call("POST", "/api/runs", {"scenario_id": scenario["id"], "speed": speed})
    url = f"{ws_base}/ws/runs/{run['id']}/?since=0"
    async with ws_client.connect(
        url, origin=origin, additional_headers={"Cookie": api.cookie_header()}
    ) as socket:
        async for raw in socket:
            if json.loads(raw)["type"] in ("frame", "frames"):
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
    parser.add_argument("--lab", default=LAB, help="the built-in lab to run")
    parser.add_argument(
        "--concurrent", type=int, default=20, help="live runs at once for the capacity figure"
    )
    parser.add_argument(
        "--share-viewers", type=int, default=500, help="viewers of one share link (0: skip)"
    )
    parser.add_argument(
        "--share-seconds", type=float, default=15.0, help="how long they watch before the revoke"
    )
    parser.add_argument(
        "--share-processes", type=int, default=5, help="client processes for the share viewers"
    )
    parser.add_argument(
        "--client-nice",
        type=int,
        default=10,
        help="niceness of the share viewers' client processes (0: the server's own)",
    )
    parser.add_argument(
        "--web-processes",
        type=int,
        default=os.cpu_count() or 1,
        help="daphne processes serving the port (scripts/start: one per core)",
    )
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
        # As scripts/start serves it: --web-processes daphnes sharing the port.
        subprocess.Popen(
            [py, *webserve_args("127.0.0.1", port, args.web_processes)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        *(
            # One live worker process per core, as scripts/start runs them.
            subprocess.Popen(
                worker_command(queues="live", pool="threads", concurrency=25, loglevel="error"),
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(os.cpu_count() or 1)
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
        scenario = api.call("POST", f"/api/library/{args.lab}/copy")
        doc = scenario["doc"]
        end_s = doc.get("duration_s", 60) + doc.get("drain_s", 30)
        speed = min(100.0, end_s / args.seconds)
        ws_base, origin = f"ws://127.0.0.1:{port}", base
        print(
            f"lab {args.lab}: {end_s:g} simulated s at speed {speed:g} (about {args.seconds:g} s)"
        )
        print(
            f"{'viewers':>7} {'frames':>6} {'fps/viewer':>10} {'p50 ms':>7} {'p99 ms':>7} "
            f"{'lost':>5} {'web cpu s':>9}"
        )
        if args.share_viewers:
            shared_class(
                api,
                ws_base,
                origin,
                scenario,
                args.share_viewers,
                args.share_seconds,
                processes[0].pid,
                args.share_processes,
                args.web_processes,
                args.client_nice,
            )
        for viewers in [int(v) for v in args.viewers.split(",") if v]:
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
        if args.concurrent:
            concurrent_runs(api, scenario, speed, args.concurrent, end_s / speed)
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
