"""100 seeds of a lab through the batch workers against the same runs in one process.

    python bench/seeds.py [--seeds 100] [--repeat 3] [--lab cascade-sync] [--workers 2]

Starts what a deployment has (its own Redis, a SQLite file, Celery batch workers on a
process pool, one process each, warmed up), then, in turns so that outside load hits both
alike:

- batch: queues one variant on `--seeds` seeds exactly as the API does (`batch_start`,
  one Celery group) and times from the enqueue to the end of the last run (as its worker
  recorded it); meanwhile it polls the batch as the pages do (`batch_public`) and notes
  when the first 95 % interval (two seeds in) is there to show;
- bare: the same seeds one after another in this process with the bare engine
  (`patterns.simulate`, no Django, no Redis, no frames);
- bare x2: the same seeds split over two processes with the bare engine, which measures
  how much of a second core the machine gives right now (on a shared machine, often
  little): the batch cannot beat it, so batch / (bare x2) is the pipeline's own cost.

Prints the wall times (medians of `--repeat` turns), the ratio batch / bare (target: at
most 0.6x on a 2-core machine), the parallel headroom and the time to the first interval.
Never part of the test run: it prints figures, it does not assert speed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sweep import _start_workers, _stop, lab_scenario, with_deployment  # noqa: E402

P99 = "requests.latency_ms.p99"


def _bare(doc: dict, seeds: list[int]) -> float:
    import patterns

    began = time.perf_counter()
    model = patterns.load(doc)
    for seed in seeds:
        patterns.simulate(model, seed=seed)
    return time.perf_counter() - began


def _bare_split(doc: dict, seeds: list[int]) -> float:
    """The seeds over two processes at once (forked, the engine already imported)."""
    from concurrent.futures import ProcessPoolExecutor

    half = len(seeds) // 2
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_bare, [doc, doc], [[], []]))  # start both before the clock
        began = time.perf_counter()
        list(pool.map(_bare, [doc, doc], [seeds[:half], seeds[half:]]))
        return time.perf_counter() - began


def _batch(scenario, workspace, doc: dict, count: int) -> tuple[float, float]:
    """(wall time to the last run, time until the first interval could be shown)."""
    from django.db.models import Max
    from django.utils import timezone

    from mscomm.analysis.batches import batch_public
    from mscomm.runs.models import Run, RunState
    from mscomm.runs.services import batch_start

    began, began_at = time.perf_counter(), timezone.now()
    batch = batch_start(scenario=scenario, workspace=workspace, seed=1, variants=[doc], seeds=count)
    first = None
    active = (RunState.QUEUED, RunState.RUNNING)
    while Run.objects.filter(batch=batch, state__in=active).exists():
        if first is None and batch_public(batch)["variants"][0]["stats"][P99]["ci95"]:
            first = time.perf_counter() - began
        time.sleep(0.05)
    states = set(Run.objects.filter(batch=batch).values_list("state", flat=True))
    if states != {RunState.SUCCEEDED}:
        raise SystemExit(f"a seed run did not succeed: {states}")
    # To the last run's end as its worker recorded it (same machine, same clock): the
    # 50 ms polling above would add up to that much.
    last = Run.objects.filter(batch=batch).aggregate(last=Max("finished_at"))["last"]
    wall = (last - began_at).total_seconds()
    return wall, wall if first is None else first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lab", default="cascade-sync")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with_deployment("mscomm-bench-seeds-", lambda env, folder: _bench(args, env, folder))


def _bench(args: argparse.Namespace, env: dict[str, str], folder: Path) -> None:
    workspace, doc, scenario = lab_scenario(env, args.lab)
    import patterns
    from patterns.stats import seeds_derive

    seeds = seeds_derive(1, args.seeds)

    processes = _start_workers(args.workers, env, folder / "workers.log")
    try:
        _batch(scenario, workspace, doc, 2 * args.workers)  # each worker imports the engine
        bare, split, batch, first = [], [], [], []
        for _ in range(args.repeat):
            wall, shown = _batch(scenario, workspace, doc, args.seeds)
            batch.append(wall)
            first.append(shown)
            bare.append(_bare(doc, seeds))
            split.append(_bare_split(doc, seeds))
    finally:
        _stop(processes)

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    engine = "compiled" if patterns.NATIVE else "pure-Python"
    print(f"{args.seeds} seeds of {args.lab} ({engine} engine)")
    print(f"machine: {os.cpu_count()} cores, load average now {load} (other work competes)")
    fmt = lambda xs: ", ".join(f"{x:.2f}" for x in xs)  # noqa: E731
    med_bare, med_batch = statistics.median(bare), statistics.median(batch)
    med_split = statistics.median(split)
    print(f"  bare engine, one process:   median {med_bare:.2f} s  ({fmt(bare)})")
    print(f"  bare engine, two processes: median {med_split:.2f} s  ({fmt(split)})")
    print(f"  parallel headroom now:      {med_bare / med_split:.2f}x (2.0 on two idle cores)")
    print(f"  batch, {args.workers} Celery workers:   median {med_batch:.2f} s  ({fmt(batch)})")
    ratio = med_batch / med_bare
    print(f"  ratio batch / bare:         {ratio:.2f}x (ratio of medians; target <= 0.6)")
    ratios = [b / a for a, b in zip(bare, batch, strict=True)]
    print(f"  ratio per turn:             median {statistics.median(ratios):.2f}x  ({fmt(ratios)})")
    print(f"  batch / bare x2:            {med_batch / med_split:.2f}x (the pipeline's own cost)")
    print(f"  first interval available:   median {statistics.median(first):.2f} s  ({fmt(first)})")
    print("    (from the enqueue until the batch API has a 95 % interval; the pages poll it")
    print("     every 0.5-0.7 s, which adds up to that much before it is drawn)")


if __name__ == "__main__":
    main()
