"""Speed of mscomm's engine against SimPy and Ciw on the same models, in one process.

    python bench/engine.py [--customers N] [--repeat R] [--engines mscomm,simpy,ciw]

Prints requests simulated per wall second for each engine (median of ``--repeat``
runs, ``time.perf_counter``; per processor second too, steadier on a shared machine)
and the ratios mscomm/SimPy and mscomm/Ciw, for

* an M/M/1 queue (rho = 0.9, ``--customers`` arrivals), whose mean sojourn time each
  engine must also agree on (theory: 1 / (mu - lambda) = 10 ms);
* a network of four services: Order calls Payment synchronously and publishes an event
  that Loyalty and Warehouse consume. SimPy models it idiomatically (resources and
  processes, blocking on the call); Ciw, which has no blocking calls and no fan-out,
  runs its closest equivalent: an open network of four M/M/c nodes where Order feeds
  Payment and Loyalty and Warehouse each get an arrival stream at the publish rate.

mscomm runs with metrics on, its incident detector on (`--narrate off` leaves it out) and a
counting observer attached, as a live run would, on
the compiled engine when it is built and fresh (the first line says which ran;
``MSCOMM_PURE_PYTHON=1`` times the pure-Python one).
Then it prints the peak traced memory of a 60 s and a 600 s simulated run of the
network model on mscomm, and their ratio (flat memory means nothing grows per request).
Never part of the test run: it prints figures, it does not assert speed.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Both models run in milliseconds: mu = 1 per ms, lambda = 0.9 per ms.
MM1_MU = 1.0
MM1_LAMBDA = 0.9

# The network model (times in ms, rates per second).
NET_RATE_PER_S = 200.0
NET_NETWORK_MS = 1.0
NET_DELIVERY_MS = 1.0
NET_SERVICES = {  # id: (workers, mean work in ms)
    "order": (10, 5.0),
    "payment": (10, 10.0),
    "loyalty": (5, 8.0),
    "warehouse": (5, 12.0),
}
SUBSCRIBERS = ("loyalty", "warehouse")


@dataclass
class Outcome:
    """One run: how many requests it simulated, the wall and processor seconds it took,
    and their mean latency in ms."""

    requests: int
    wall_s: float
    cpu_s: float
    mean_ms: float | None = None

    @property
    def per_s(self) -> float:
        return self.requests / self.wall_s

    @property
    def per_cpu_s(self) -> float:
        return self.requests / self.cpu_s


class Stopwatch:
    """Wall time (``time.perf_counter``) and this process's processor time of a block.

    On a shared machine the processor time is the steadier figure: other processes'
    load stretches the wall time but not the processor time spent here.
    """

    def __enter__(self) -> Stopwatch:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall_s = time.perf_counter() - self._wall
        self.cpu_s = time.process_time() - self._cpu


# --- mscomm ---------------------------------------------------------------------------------


class CountingObserver:
    """Counts trace events: the cheapest observer that still makes the engine emit them.
    The engine gets the bound method `observe`, as a live run hands it its frame
    builder's."""

    def __init__(self) -> None:
        self.events = 0

    def observe(self, event: dict[str, Any]) -> None:
        self.events += 1


def _exponential(mean_ms: float) -> dict[str, Any]:
    return {"dist": "exponential", "mean": mean_ms}


def mm1_scenario(customers: int) -> dict[str, Any]:
    """M/M/1 as an mscomm scenario: one single-worker service fed by a Poisson stream."""
    rate = MM1_LAMBDA * 1000
    return {
        "format": "mscomm.scenario/1",
        "name": "M/M/1, rho 0.9",
        "seed": 1,
        "duration_s": customers / rate,
        "drain_s": 10,
        "nodes": [
            {"id": "server", "kind": "service", "workers": 1, "work_ms": _exponential(1 / MM1_MU)}
        ],
        "links": [],
        "workload": [{"entry": "server", "arrival": {"process": "poisson", "rate_per_s": rate}}],
    }


def network_scenario(duration_s: float) -> dict[str, Any]:
    """The four-service network as an mscomm scenario."""
    nodes: list[dict[str, Any]] = [
        {"id": sid, "kind": "service", "workers": workers, "work_ms": _exponential(mean)}
        for sid, (workers, mean) in NET_SERVICES.items()
    ]
    nodes.append({"id": "placed", "kind": "topic", "delivery_ms": NET_DELIVERY_MS})
    links: list[dict[str, Any]] = [
        {"id": "pay", "from": "order", "to": "payment", "style": "sync",
         "network_ms": NET_NETWORK_MS},
        {"id": "emit", "from": "order", "to": "placed", "style": "publish"},
    ]  # fmt: skip
    links += [
        {"id": f"to-{sub}", "from": "placed", "to": sub, "style": "subscribe"}
        for sub in SUBSCRIBERS
    ]
    return {
        "format": "mscomm.scenario/1",
        "name": "four services, sync call and fan-out",
        "seed": 1,
        "duration_s": duration_s,
        "drain_s": 5,
        "nodes": nodes,
        "links": links,
        "workload": [
            {"entry": "order", "arrival": {"process": "poisson", "rate_per_s": NET_RATE_PER_S}}
        ],
    }


NARRATE = True  # --narrate off times the engine without its incident detector


def run_mscomm(doc: dict[str, Any], seed: int) -> Outcome:
    import patterns

    scenario = patterns.load(doc)
    observer = CountingObserver()
    with Stopwatch() as watch:
        result = patterns.simulate(scenario, seed=seed, observer=observer.observe, narrate=NARRATE)
    if not isinstance(result, dict):
        result = result.model_dump(mode="json")
    requests = result["requests"]
    return Outcome(requests["started"], watch.wall_s, watch.cpu_s, requests["latency_ms"]["mean"])


# --- SimPy ----------------------------------------------------------------------------------


def run_simpy_mm1(customers: int, seed: int) -> Outcome:
    import simpy

    rng = random.Random(seed)
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=1)
    sojourn = [0.0]

    def customer() -> Any:
        arrived = env.now
        with server.request() as turn:
            yield turn
            yield env.timeout(rng.expovariate(MM1_MU))
        sojourn[0] += env.now - arrived

    def source() -> Any:
        for _ in range(customers):
            yield env.timeout(rng.expovariate(MM1_LAMBDA))
            env.process(customer())

    with Stopwatch() as watch:
        env.process(source())
        env.run()
    return Outcome(customers, watch.wall_s, watch.cpu_s, sojourn[0] / customers)


def run_simpy_network(duration_s: float, seed: int) -> Outcome:
    import simpy

    rng = random.Random(seed)
    env = simpy.Environment()
    pools = {sid: simpy.Resource(env, capacity=w) for sid, (w, _) in NET_SERVICES.items()}
    means = {sid: mean for sid, (_, mean) in NET_SERVICES.items()}
    done = [0]
    total_ms = [0.0]

    def handle(sid: str) -> Any:
        with pools[sid].request() as worker:
            yield worker
            yield env.timeout(rng.expovariate(1 / means[sid]))

    def deliver(sid: str) -> Any:
        yield env.timeout(NET_DELIVERY_MS)
        yield env.process(handle(sid))

    def order() -> Any:
        arrived = env.now
        with pools["order"].request() as worker:
            yield worker
            yield env.timeout(rng.expovariate(1 / means["order"]))
            # The publish and the sync call leave together; the worker blocks on the call.
            for sid in SUBSCRIBERS:
                env.process(deliver(sid))
            yield env.timeout(NET_NETWORK_MS)
            yield env.process(handle("payment"))
            yield env.timeout(NET_NETWORK_MS)
        done[0] += 1
        total_ms[0] += env.now - arrived

    def source() -> Any:
        end_ms = duration_s * 1000
        gap_ms = 1000 / NET_RATE_PER_S
        while True:
            yield env.timeout(rng.expovariate(1 / gap_ms))
            if env.now >= end_ms:
                return
            env.process(order())

    with Stopwatch() as watch:
        env.process(source())
        env.run()
    return Outcome(done[0], watch.wall_s, watch.cpu_s, total_ms[0] / done[0])


# --- Ciw ------------------------------------------------------------------------------------


def run_ciw_mm1(customers: int, seed: int) -> Outcome:
    import ciw

    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=MM1_LAMBDA)],
        service_distributions=[ciw.dists.Exponential(rate=MM1_MU)],
        number_of_servers=[1],
    )
    ciw.seed(seed)  # Ciw draws from the global generators
    with Stopwatch() as watch:
        sim = ciw.Simulation(network)
        sim.simulate_until_max_customers(customers, method="Finish")
    records = sim.get_all_records()
    mean = statistics.fmean(r.exit_date - r.arrival_date for r in records)
    return Outcome(len(records), watch.wall_s, watch.cpu_s, mean)


def run_ciw_network(duration_s: float, seed: int) -> Outcome:
    import ciw

    ids = list(NET_SERVICES)
    rate_per_ms = NET_RATE_PER_S / 1000
    arrivals = [
        ciw.dists.Exponential(rate=rate_per_ms) if sid in ("order", *SUBSCRIBERS) else None
        for sid in ids
    ]
    routing = [[0.0] * len(ids) for _ in ids]
    routing[ids.index("order")][ids.index("payment")] = 1.0
    network = ciw.create_network(
        arrival_distributions=arrivals,
        service_distributions=[ciw.dists.Exponential(rate=1 / m) for _, m in NET_SERVICES.values()],
        number_of_servers=[w for w, _ in NET_SERVICES.values()],
        routing=routing,
    )
    ciw.seed(seed)
    with Stopwatch() as watch:
        sim = ciw.Simulation(network)
        sim.simulate_until_max_time(duration_s * 1000)
    order_node = ids.index("order") + 1  # Ciw numbers nodes from 1
    requests = sum(1 for r in sim.get_all_records() if r.node == order_node)
    return Outcome(requests, watch.wall_s, watch.cpu_s)


# --- harness --------------------------------------------------------------------------------


def compare(runs: dict[str, Callable[[int], Outcome]], repeat: int) -> dict[str, Outcome]:
    """Each engine's median run over seeds 1..repeat, the engines taking turns.

    Taking turns spreads a shared machine's changing load over all engines alike. The
    median is taken on wall and processor time separately; the mean latency is averaged
    over every run (one seed's mean at rho = 0.9 wanders by several %).
    """
    outcomes: dict[str, list[Outcome]] = {name: [] for name in runs}
    for seed in range(1, repeat + 1):
        for name, run in runs.items():
            gc.collect()
            outcomes[name].append(run(seed))
    summary = {}
    for name, runs_of_one in outcomes.items():
        means = [o.mean_ms for o in runs_of_one if o.mean_ms is not None]
        summary[name] = Outcome(
            requests=int(statistics.median(o.requests for o in runs_of_one)),
            wall_s=statistics.median(o.wall_s for o in runs_of_one),
            cpu_s=statistics.median(o.cpu_s for o in runs_of_one),
            mean_ms=statistics.fmean(means) if means else None,
        )
    return summary


def peak_memory(run: Callable[[], object]) -> int:
    """Peak bytes traced by tracemalloc while ``run`` runs."""
    gc.collect()
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def print_speed(title: str, outcomes: dict[str, Outcome]) -> None:
    print(f"\n{title}")
    print(
        f"  {'engine':<8}{'requests':>10}{'wall_s':>9}{'requests/s':>12}"
        f"{'cpu_s':>8}{'requests/cpu_s':>16}{'mean_ms':>9}"
    )
    for name, o in outcomes.items():
        mean = "-" if o.mean_ms is None else f"{o.mean_ms:.2f}"
        print(
            f"  {name:<8}{o.requests:>10}{o.wall_s:>9.2f}{o.per_s:>12,.0f}"
            f"{o.cpu_s:>8.2f}{o.per_cpu_s:>16,.0f}{mean:>9}"
        )
    if "mscomm" in outcomes:
        ours = outcomes["mscomm"]
        for other in ("simpy", "ciw"):
            if other in outcomes:
                theirs = outcomes[other]
                print(
                    f"  mscomm/{other}: {ours.per_s / theirs.per_s:.2f}x wall"
                    f" ({ours.per_cpu_s / theirs.per_cpu_s:.2f}x processor time)"
                )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="M/M/1 arrivals")
    parser.add_argument("--network-s", type=float, default=300.0, help="network run, sim s")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--engines", default="mscomm,simpy,ciw")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory figures")
    parser.add_argument(
        "--narrate", choices=("on", "off"), default="on", help="the incident detector"
    )
    args = parser.parse_args(argv)
    global NARRATE
    NARRATE = args.narrate == "on"
    engines = args.engines.split(",")
    n, net_s, repeat = args.customers, args.network_s, args.repeat

    mm1_runs: dict[str, Callable[[int], Outcome]] = {
        "mscomm": lambda seed: run_mscomm(mm1_scenario(n), seed),
        "simpy": lambda seed: run_simpy_mm1(n, seed),
        "ciw": lambda seed: run_ciw_mm1(n, seed),
    }
    net_runs: dict[str, Callable[[int], Outcome]] = {
        "mscomm": lambda seed: run_mscomm(network_scenario(net_s), seed),
        "simpy": lambda seed: run_simpy_network(net_s, seed),
        "ciw": lambda seed: run_ciw_network(net_s, seed),
    }
    import patterns.native

    print(f"mscomm engine: {patterns.native.status()}, incidents {args.narrate}")
    print(f"python {sys.version.split()[0]}, median of {repeat} runs, engines taking turns")
    mm1 = compare({e: mm1_runs[e] for e in engines}, repeat)
    print_speed(f"M/M/1, rho = 0.9, {n:,} customers (theory: mean sojourn 10.00 ms)", mm1)
    net = compare({e: net_runs[e] for e in engines}, repeat)
    print_speed(f"four-service network, {NET_RATE_PER_S:g} requests/s for {net_s:g} s", net)

    if "mscomm" in engines and not args.no_memory:
        peaks = {s: peak_memory(lambda s=s: run_mscomm(network_scenario(s), 1)) for s in (60, 600)}
        print("\nmscomm peak traced memory, network model")
        for s, peak in peaks.items():
            print(f"  {s:>4} s simulated: {peak / 2**20:8.1f} MiB")
        print(f"  600 s / 60 s: {peaks[600] / peaks[60]:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
