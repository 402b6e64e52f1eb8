"""Profile mscomm's engine on the models of bench/engine.py and print events per second.

    python bench/engine_profile.py [--customers N] [--profile]

Prints, for the M/M/1 and the four-service models, CPU microseconds per request and
scheduler events per CPU second, without and with a counting observer; `--profile` adds
the top functions by own time (cProfile). Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import engine as models

import patterns


def measure(doc: dict, observer: object | None, repeat: int = 3) -> tuple[float, float]:
    """Best of `repeat`: (CPU µs per request, events per CPU second)."""
    scenario = patterns.load(doc)
    best = (float("inf"), 0.0)
    for _ in range(repeat):
        start = time.process_time()
        result = patterns.simulate(scenario, observer=observer)
        cpu = time.process_time() - start
        per_req = cpu / max(1, result["requests"]["started"]) * 1e6
        if per_req < best[0]:
            best = (per_req, result["engine"]["events"] / cpu)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    docs = {
        "M/M/1, rho 0.9": models.mm1_scenario(args.customers),
        "four services": models.network_scenario(args.customers / models.NET_RATE_PER_S),
    }
    print(f"{'model':<16}{'observer':>10}{'cpu us/req':>12}{'events/s':>12}")
    for name, doc in docs.items():
        for label, observer in (("none", None), ("counting", models.CountingObserver().observe)):
            per_req, per_s = measure(doc, observer)
            print(f"{name:<16}{label:>10}{per_req:>12.2f}{per_s:>12,.0f}")
    if args.profile:
        for name, doc in docs.items():
            scenario = patterns.load(doc)
            observer = models.CountingObserver().observe
            prof = cProfile.Profile()
            prof.runcall(patterns.simulate, scenario, observer=observer)
            print(f"\n{name}: top functions by own time")
            pstats.Stats(prof).sort_stats("tottime").print_stats(12)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
