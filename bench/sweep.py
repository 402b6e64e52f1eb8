"""Wall time of a parameter sweep on one and on two Celery batch workers.

    python bench/sweep.py [--points 20] [--repeat 3] [--lab sync-chain] [--max-rate 500]

Starts what a deployment has (its own Redis, a SQLite file, Celery batch workers on a
process pool, one process each), then times a sweep of the lab's arrival rate from 10 to
`--max-rate` requests/s in `--points` points, queued exactly as the page queues it
(`batch_start`, one Celery group), from the first enqueue to the last run finished.
Prints the wall time with 1 and with 2 workers (median of `--repeat` sweeps each; the
two take turns so that outside load hits both alike) and the speed-up. Never part of
the test run: it prints figures, it does not assert speed.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup_env(folder: Path) -> tuple[dict[str, str], subprocess.Popen]:
    from mscomm.devtools import redis_start

    redis, url = redis_start(folder / "redis")
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="mscomm.settings",
        DATABASE_URL=f"sqlite:///{folder / 'bench.sqlite3'}",
        REDIS_URL=url,
        DEBUG="false",
        SECRET_KEY="bench-only-" + "x" * 40,
        ALLOWED_HOSTS="localhost",
        MSCOMM_MAX_CONCURRENT_BATCH_RUNS="1000",
        PYTHONPATH=str(ROOT),
    )
    os.environ.update(env)
    return env, redis


def with_deployment(prefix: str, body) -> None:
    """Call `body(env, folder)` with a private Redis and SQLite file; stop Redis after."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    env, redis = _setup_env(folder)
    try:
        body(env, folder)
    finally:
        redis.terminate()
        redis.wait(timeout=10)


def lab_scenario(env: dict[str, str], lab: str):
    """Migrate, set Django up, and store built-in `lab` in a new workspace:
    (workspace, doc, scenario)."""
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)

    import django

    django.setup()
    import patterns.library
    from mscomm.accounts.models import Workspace
    from mscomm.scenarios.models import Scenario

    workspace = Workspace.objects.create()
    doc = patterns.library.get_lab(lab).doc
    return workspace, doc, Scenario.objects.create(workspace=workspace, name=doc["name"], doc=doc)


def _start_workers(n: int, env: dict[str, str], log: Path) -> list[subprocess.Popen]:
    out = log.open("ab")
    return [
        subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "mscomm", "worker", "-Q", "batch"),
                *("-P", "prefork", "-c", "1", "-n", f"bench{i}@%h", "-l", "warning"),
                *("--without-heartbeat", "--without-gossip", "--without-mingle"),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        for i in range(n)
    ]


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _one_sweep(scenario, workspace, values: list[float]) -> float:
    from mscomm.runs.models import Run, RunState
    from mscomm.runs.services import batch_start

    began = time.perf_counter()
    batch = batch_start(
        scenario=scenario,
        workspace=workspace,
        seed=1,
        param="workload[0].arrival.rate_per_s",
        values=values,
    )
    active = (RunState.QUEUED, RunState.RUNNING)
    while Run.objects.filter(batch=batch, state__in=active).exists():
        time.sleep(0.05)
    wall = time.perf_counter() - began
    states = set(Run.objects.filter(batch=batch).values_list("state", flat=True))
    if states != {RunState.SUCCEEDED}:
        raise SystemExit(f"a sweep run did not succeed: {states}")
    return wall


def _warm_up(scenario, workspace) -> None:
    # The first task of a fresh worker imports the engine: keep that out of the figures.
    _one_sweep(scenario, workspace, [10.0, 11.0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lab", default="sync-chain")
    parser.add_argument("--max-rate", type=float, default=500.0)
    args = parser.parse_args()
    with_deployment("mscomm-bench-sweep-", lambda env, folder: _bench(args, env, folder))


def _bench(args: argparse.Namespace, env: dict[str, str], folder: Path) -> None:
    workspace, _doc, scenario = lab_scenario(env, args.lab)
    step = (args.max_rate - 10.0) / max(args.points - 1, 1)
    values = [round(10.0 + i * step, 3) for i in range(args.points)]

    # One and two workers take turns, so that both see much the same outside load.
    walls: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(args.repeat):
        for workers in (1, 2):
            processes = _start_workers(workers, env, folder / "workers.log")
            try:
                _warm_up(scenario, workspace)
                walls[workers].append(_one_sweep(scenario, workspace, values))
            finally:
                _stop(processes)

    one, two = (statistics.median(walls[n]) for n in (1, 2))
    pairs = [a / b for a, b in zip(walls[1], walls[2], strict=True)]
    print(f"sweep of {args.lab}: {args.points} points, arrival rate 10..{args.max_rate:g}/s")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, load average now {load} (other work competes)")
    for n in (1, 2):
        runs = ", ".join(f"{w:.2f}" for w in walls[n])
        print(f"  {n} batch worker(s): median {statistics.median(walls[n]):.2f} s  ({runs})")
    print(f"  speed-up with 2 workers: {one / two:.2f}x (ratio of medians)")
    ratios = ", ".join(f"{r:.2f}" for r in pairs)
    print(f"  speed-up per turn: median {statistics.median(pairs):.2f}x  ({ratios})")


if __name__ == "__main__":
    main()
