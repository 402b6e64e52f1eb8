"""The discrete-event engine: clock, event heap, seeded streams, the run's life.

Events are `(time, sequence, callback, arg)` on a heap, run as `callback(sim, arg)`
(one argument, a tuple when a handler needs several); the sequence number breaks ties
so equal-time events always run in the order they were scheduled (a priority is folded
into it: early events draw from a lower range). Interpreted, an event is a plain tuple
(tuples compare in C); in a compiled build (patterns/native) it is an `Event`, whose native
comparison is cheaper still. Both order events alike: by time, then sequence. Every
random draw comes from a `random.Random` derived from `(seed, name)` by a stable hash,
so the same scenario and seed give the same result and the same trace, bit for bit.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable, Mapping
from heapq import heappush
from typing import Any, Final

from . import balancing, common_data, events, faults, incidents, metrics, resilience, services
from .dists import exponential, sampler, stream
from .metrics import Histogram
from .slos import slo_results
from .trace import FAILURES, FAULT_MODES

Observer = Callable[[dict[str, Any]], None]
Handler = Callable[[Any, Any], Any]
INF: Final = float("inf")  # a request without a deadline waits for ever

# True when this module runs compiled (an extension module, not Python source).
COMPILED: Final = not __file__.endswith((".py", ".pyc"))


class Event:
    """A scheduled callback in a compiled build (interpreted runs use tuples)."""

    __slots__ = ("arg", "fn", "seq", "t")

    def __init__(self, t: float, seq: int, fn: Handler, arg: Any) -> None:
        self.t = t
        self.seq = seq
        self.fn = fn
        self.arg = arg

    def __lt__(self, other: Event) -> bool:
        return self.t < other.t or (self.t == other.t and self.seq < other.seq)


# Clock ticks (timeline buckets, warm-up) run before anything else at the same instant.
_TICK: Final = 0
_NORMAL: Final = 1


class LinkRT:
    """A link at run time: its samplers and options in seconds, its figures."""

    __slots__ = (
        "backoff_s",
        "breaker",
        "callee_op",
        "calls",
        "dst",
        "dst_id",
        "failed",
        "faults",
        "h_lat",
        "id",
        "in_flight",
        "interval_s",
        "multiplier",
        "net",
        "op_id",
        "optional",
        "prob",
        "prob_rng",
        "reply_work",
        "retries",
        "retries_n",
        "src_id",
        "step",
        "style",
        "sub",
        "succeeded",
        "timeout_s",
        "timeouts",
    )

    def __init__(self, sim: Simulation, model: Any) -> None:
        self.id = model.id
        self.style = model.style
        self.src_id = model.from_
        self.dst_id = model.to
        rng = sim.stream(f"net/{self.id}")
        self.net = sampler(model.network_ms, rng)
        self.timeout_s = model.timeout_ms / 1000.0 if model.timeout_ms is not None else None
        self.retries = model.retries
        self.backoff_s = model.backoff_ms / 1000.0
        self.multiplier = model.backoff_multiplier
        self.breaker = (
            resilience.Breaker(self, model.circuit_breaker) if model.circuit_breaker else None
        )
        self.reply_work = sampler(model.reply_work_ms, rng)
        self.step = model.step
        self.prob = float(model.probability)
        self.prob_rng = sim.stream(f"prob/{self.id}")
        self.optional = bool(model.optional)
        self.op_id = model.operation or "default"
        self.callee_op: Any = None
        self.interval_s = model.interval_ms / 1000.0 if model.interval_ms else None
        self.faults: list[Any] = []
        self.sub: Any = None
        self.dst: Any = None
        self.calls = self.succeeded = self.failed = self.timeouts = self.retries_n = 0
        self.h_lat = Histogram(sim.histograms)
        self.in_flight = 0


class Request:
    """An external request from the workload (alive only while something refers to it)."""

    __slots__ = ("corr", "counted", "deadline", "done", "met", "t0", "tally")

    def __init__(
        self, corr: str, t0: float, counted: bool, tally: dict[str, int], deadline: float = INF
    ) -> None:
        self.corr = corr
        self.t0 = t0
        # Seconds the client waits (its workload's deadline_ms): a success after it is late.
        self.deadline = deadline
        self.counted = counted
        self.met = 0  # bits of the fault modes met so far
        self.done = False
        # Where met faults are counted (None when the request is not counted).
        self.tally = tally if counted else None


class Control:
    """Commands for a running simulation, safe to give from another thread; the engine
    applies each at its simulated time (or at once if that has passed)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[tuple[str, Any, float | None]] = []

    def inject(self, fault: Any, at_s: float | None = None) -> None:
        """Start `fault` (a scenario-format dict) at `at_s` (default: when next seen)."""
        with self._lock:
            self._pending.append(("inject", dict(fault), at_s))

    def stop_at(self, t_s: float) -> None:
        """End the run at simulated time `t_s`."""
        with self._lock:
            self._pending.append(("stop", None, float(t_s)))

    def take(self) -> list[tuple[str, Any, float | None]]:
        with self._lock:
            out, self._pending = self._pending, []
        return out


class Simulation:
    """One run of a scenario, advanced step by step (see docs/core-api.md)."""

    def __init__(
        self,
        scenario: Any,
        seed: int | None = None,
        observer: Observer | None = None,
        max_events: int | None = None,
        control: Control | None = None,
        detail: bool = False,
        narrate: bool = True,
    ) -> None:
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else int(seed)
        self.obs = observer
        # Worker events (`start`, `end`) only for callers that rebuild one request's
        # path: live frames do not draw them, and there are two per hop.
        self.obs_detail = observer if detail else None
        self.max_events = max_events
        self.control = control
        # (time, sequence, callback, arg). Early events (clock ticks, fault windows,
        # control) draw their sequence numbers below every ordinary one, so at equal
        # times they run first, in the order they were scheduled.
        self.heap: list[Any] = []  # tuples, or Events when compiled
        # The next sequence number of each range (plain ints: one add, no call).
        self.seq = 0
        self.early = -(1 << 62)
        self.now = 0.0
        self.duration_s = float(scenario.duration_s)
        self.end_s = self.duration_s + float(scenario.drain_s)
        self.warm_s = float(scenario.warmup_s)
        self.events = 0
        self.wall_s = 0.0
        self.done = False
        self.stop_info: dict[str, Any] | None = None
        self.faults_injected: list[dict[str, Any]] = []
        self._injected = 0

        self.histograms: list[Histogram] = []  # flushed once per simulated second
        self.services = services.build(self, scenario)
        self.topics = events.build(self, scenario)
        self.stores = common_data.build(self, scenario)
        self.links: dict[str, LinkRT] = {}
        for model in scenario.links:
            self.links[model.id] = LinkRT(self, model)
        self._wire()
        services.wire_ops(self, scenario)

        # Requests.
        self.n_req = 0
        self.all_ok = self.all_failed = 0  # every request, warm-up included (live state)
        self.started = self.succeeded = self.failed = 0
        self.late = 0  # successes after their deadline (not counted as succeeded)
        self.failures = dict.fromkeys(FAILURES, 0)
        self.met = dict.fromkeys(FAULT_MODES, 0)
        self.h_lat = Histogram(self.histograms)
        # Timeline of the current one-second bucket, and the finished ones.
        self.tl = metrics.Timeline(list(self.services))

        for i, work in enumerate(scenario.workload):
            self._workload(i, work)
        for i, fault in enumerate(scenario.faults):
            faults.schedule(self, fault, f"fault/{i}")
        # One clock tick per simulated second closes a timeline bucket; each schedules
        # the next, so the heap does not hold a day of ticks up front.
        self.ticks = -(1 << 63)
        self.last_tick = int(-(-self.end_s // 1)) - 1
        if self.last_tick >= 1:
            tick_seq = self.ticks
            self.ticks = tick_seq + 1
            self.schedule(1.0, tick_seq, _tick, None)
        if self.warm_s > 0:
            self.at(self.warm_s, _warm, None, _TICK)
        # Incidents (patterns/incidents.py) read the trace events and state snapshots.
        self.narrator: Any = incidents.attach(self) if narrate else None

    # ------------------------------------------------------------ plumbing

    def stream(self, name: str) -> Any:
        """The random stream for one purpose or entity of this run."""
        return stream(self.seed, name)

    def at(self, t: float, fn: Handler, arg: Any = None, prio: int = _NORMAL) -> None:
        """Call `fn(sim, arg)` at simulated time `t`."""
        if prio:
            seq = self.seq
            self.seq = seq + 1
        else:
            seq = self.early
            self.early = seq + 1
        self.schedule(t, seq, fn, arg)

    def push(self, t: float, fn: Handler, arg: Any) -> None:
        """`at(t, fn, arg)` for the hot paths: ordinary priority, no branch on it."""
        seq = self.seq
        self.seq = seq + 1
        self.schedule(t, seq, fn, arg)

    def schedule(self, t: float, seq: int, fn: Handler, arg: Any) -> None:
        """Put an event with its sequence number on the heap."""
        if COMPILED:
            heappush(self.heap, Event(t, seq, fn, arg))
        else:
            heappush(self.heap, (t, seq, fn, arg))

    def _wire(self) -> None:
        for link in self.links.values():
            style = link.style
            if style in ("sync", "async"):
                link.dst = self.services[link.dst_id]
                link.callee_op = link.dst.ops[link.op_id]
            elif style == "publish":
                link.dst = self.topics[link.dst_id]
            elif style == "write":
                link.dst = self.stores[link.dst_id]
        for link in self.links.values():
            if link.style == "subscribe":
                events.subscribe(self, link)
            elif link.style == "poll":
                common_data.add_poller(self, link)

    def _workload(self, i: int, work: Any) -> None:
        svc = self.services[work.entry]
        op = svc.ops[work.operation or "default"]
        rng = self.stream(f"arrival/{i}")
        rate = float(work.arrival.rate_per_s)
        to_s = self.duration_s if work.to_s is None else float(work.to_s)
        first = float(work.from_s)
        wait = INF if work.deadline_ms is None else float(work.deadline_ms) / 1000.0
        if work.arrival.process == "constant":
            # Times as from_s + k / rate, not a running sum, so they do not drift.
            if first < to_s:
                self.at(first, _constant, (svc, op, first, 1.0 / rate, 0, to_s, wait))
            return
        gap = exponential(1.0 / rate, rng)
        first += gap()
        if first < to_s:
            self.at(first, _poisson, (svc, op, gap, to_s, wait))

    # ------------------------------------------------------------ requests

    def request_end(
        self, req: Request, ok: bool, reason: str | None, inst: services.InstanceRT | None
    ) -> None:
        """The entry service finished an external request (or lost it)."""
        if req.done:
            return
        req.done = True
        latency = self.now - req.t0
        tl = self.tl
        if ok:
            self.all_ok += 1
            tl.succeeded += 1
            tl.latencies.append(latency)
        else:
            self.all_failed += 1
            tl.failed += 1
        if req.counted:
            if ok:
                if latency > req.deadline:
                    self.late += 1
                else:
                    self.succeeded += 1
                self.h_lat.add(latency)
            else:
                self.failed += 1
                self.failures[reason or "lost"] += 1
        obs = self.obs
        if obs is not None:
            event: dict[str, Any] = {
                "t": self.now,
                "kind": "complete" if ok else "fail",
                "corr": req.corr,
                "node": inst.svc.id if inst is not None else None,
            }
            if inst is not None:
                event["instance"] = inst.k
            if not ok:
                event["reason"] = reason
            obs(event)

    @property
    def in_flight(self) -> int:
        """External requests that arrived and have not ended."""
        return self.n_req - self.all_ok - self.all_failed

    # ------------------------------------------------------------ the run

    def advance(self, until_s: float) -> bool:
        """Process every event with time <= until_s; True while the run is not finished."""
        if self.done:
            return False
        wall0 = time.perf_counter()
        if self.control is not None:
            self._take_control()
        limit = min(until_s, self.end_s)
        heap = self.heap
        pop = heapq.heappop
        n = self.events
        cap = self.max_events if self.max_events is not None else 1 << 62
        try:
            while heap:
                if COMPILED:
                    event: Event = heap[0]
                    if event.t > limit:
                        break
                    pop(heap)
                    self.now = event.t
                    event.fn(self, event.arg)
                else:
                    if heap[0][0] > limit:
                        break
                    t, _, fn, arg = pop(heap)
                    self.now = t
                    fn(self, arg)
                n += 1
                if self.done:
                    break
                if n >= cap:
                    self.events = n
                    self._finish("event_limit")
                    break
        finally:
            self.events = n
        if not self.done:
            if limit >= self.end_s:
                self.now = self.end_s
                self._finish(None)
            elif limit > self.now:
                self.now = limit
        self.wall_s += time.perf_counter() - wall0
        return not self.done

    def _take_control(self) -> None:
        for command, fault, at_s in self.control.take():  # type: ignore[union-attr]
            t = self.now if at_s is None else max(at_s, self.now)
            if command == "stop":
                self.at(t, _stop, None, _TICK)
            else:
                fault = dict(fault)
                fault.setdefault("from_s", t)
                self.inject(fault)

    def inject(self, fault: Any) -> None:
        """Add a fault (scenario format) to the running simulation; from_s defaults to now.

        `fault` is whatever the caller gave (typed Any): it is validated here."""
        from .scenario import parse_fault

        if not isinstance(fault, Mapping):
            parse_fault(fault, self.scenario)  # raises ScenarioError: not an object
        doc = dict(fault)
        doc.setdefault("from_s", self.now)
        model = parse_fault(doc, self.scenario)
        self.faults_injected.append(doc)
        faults.schedule(self, model, f"fault/injected/{self._injected}")
        self._injected += 1

    def stop(self) -> None:
        """End the run now; what is open counts as unfinished."""
        if not self.done:
            self._finish("stopped")

    def _finish(self, reason: str | None) -> None:
        self.done = True
        self.stop_info = None if reason is None else {"reason": reason, "t_s": round(self.now, 6)}
        for svc in self.services.values():
            svc.touch(self.now)
        self.tl.close(self)
        for h in self.histograms:
            h.flush()

    def state(self) -> dict[str, Any]:
        """A JSON-ready snapshot of every node and link, for live frames."""
        return metrics.state(self)

    def result(self) -> dict[str, Any]:
        """The result document (scenario-format.md); valid once the run is done."""
        doc = metrics.result(self)
        doc["slos"] = slo_results(self.scenario.slos, doc)
        return doc


def _constant(
    sim: Simulation,
    arg: tuple[services.ServiceRT, services.OpRT, float, float, int, float, float],
) -> None:
    svc, op, base, gap, k, to_s, wait = arg
    nxt = base + (k + 1) * gap
    if nxt < to_s:
        sim.push(nxt, _constant, (svc, op, base, gap, k + 1, to_s, wait))
    _arrival(sim, svc, op, wait)


def _poisson(
    sim: Simulation,
    arg: tuple[services.ServiceRT, services.OpRT, Callable[[], float], float, float],
) -> None:
    svc, op, gap, to_s, wait = arg
    nxt = sim.now + gap()
    if nxt < to_s:
        sim.push(nxt, _poisson, arg)
    _arrival(sim, svc, op, wait)


def _arrival(
    sim: Simulation, svc: services.ServiceRT, op: services.OpRT, wait: float = INF
) -> None:
    """An external request enters its entry service (`wait`: its deadline, in seconds)."""
    sim.n_req += 1
    now = sim.now
    counted = now >= sim.warm_s
    req = Request(f"r{sim.n_req}", now, counted, sim.met, wait)
    sim.tl.arrived += 1
    if counted:
        sim.started += 1
    job = services.Job(svc, op, req, services.EXTERNAL, None, 1, 0, now, counted)
    insts = svc.instances
    inst = insts[0] if len(insts) == 1 else balancing.pick(sim, svc, False)
    obs = sim.obs
    if obs is not None:
        obs(
            {
                "t": now,
                "kind": "arrive",
                "corr": req.corr,
                "node": svc.id,
                "instance": inst.k if inst is not None else None,
                "op": op.id,
            }
        )
    if inst is None or not inst.up:
        faults.mark(job, "crash")
        refused = inst is None or inst.refuse
        sim.request_end(req, False, "refused" if refused else "lost", inst)
        return
    status = services.job_arrive(sim, job, inst, True)
    if status == services.REJECTED:
        sim.request_end(req, False, "rejected", inst)
    elif status == services.DROPPED:
        sim.request_end(req, False, "lost", inst)


def _tick(sim: Simulation, _: None) -> None:
    sim.tl.close_bucket(sim)
    k = int(sim.now) + 1
    if k <= sim.last_tick:
        # Ticks draw from the lowest range: at an instant they run before anything else.
        tick_seq = sim.ticks
        sim.ticks = tick_seq + 1
        sim.schedule(float(k), tick_seq, _tick, None)


def _warm(sim: Simulation, _: None) -> None:
    for svc in sim.services.values():
        svc.touch(sim.now)
        svc.warm = (svc.a_busy, svc.a_blocked, svc.a_queue)


def _stop(sim: Simulation, _: None) -> None:
    sim.stop()


def simulate(
    scenario: Any,
    *,
    seed: int | None = None,
    until: float | None = None,
    observer: Observer | None = None,
    control: Control | None = None,
    max_events: int | None = None,
    detail: bool = False,
    narrate: bool = True,
) -> dict[str, Any]:
    """Run a scenario to its end (or `until`) and return the result document."""
    sim = Simulation(
        scenario,
        seed=seed,
        observer=observer,
        max_events=max_events,
        control=control,
        detail=detail,
        narrate=narrate,
    )
    end = sim.end_s if until is None else min(float(until), sim.end_s)
    step = 1.0 if control is not None else end
    while not sim.done and sim.now < end:
        sim.advance(min(sim.now + step, end))
    if not sim.done:
        sim.stop()
    return sim.result()
