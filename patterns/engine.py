"""The discrete-event engine: the run's life, and the composition root of its modules.

The calendar itself (clock, heap, seeded streams) is `runtime.Sim`, which `Simulation`
extends. Events are `(time, sequence, callback, arg)` on a heap, run as `callback(sim, arg)`
(one argument, a tuple when a handler needs several); the sequence number breaks ties
so equal-time events always run in the order they were scheduled (a priority is folded
into it: early events draw from a lower range). Interpreted, an event is a plain tuple
(tuples compare in C); in a compiled build (patterns/native) it is a `runtime.Event`, whose native
comparison is cheaper still. Both order events alike: by time, then sequence. Every
random draw comes from a `random.Random` derived from `(seed, name)` by a stable hash,
so the same scenario and seed give the same result and the same trace, bit for bit.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, cast

from . import (
    balancing,
    common_data,
    faults,
    incidents,
    messaging,
    metrics,
    resilience,
    services,
    sync,
    topics,
)
from .dists import exponential
from .metrics import Histogram
from .runtime import (
    AS_EXTENSION,
    DROPPED,
    EXTERNAL,
    INF,
    REJECTED,
    TICK,
    Event,
    LinkRT,
    Observer,
    Origin,
    Request,
    Sim,
)
from .trace import FAILURES, FAULT_MODES


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


class Simulation(Sim):
    """One run of a scenario, advanced step by step (see docs/core-api.md).

    It is also the composition root of the engine modules: `_wire` binds each link,
    service and job origin to the functions of its style's module."""

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
        super().__init__(scenario.seed if seed is None else int(seed), observer, detail)
        self.scenario = scenario
        self.max_events = max_events
        self.control = control
        self.duration_s = float(scenario.duration_s)
        self.end_s = self.duration_s + float(scenario.drain_s)
        self.warm_s = float(scenario.warmup_s)
        self.events = 0  # scheduled events processed
        self.wall_s = 0.0
        self.done = False
        self.stop_info: dict[str, Any] | None = None
        self.faults_injected: list[dict[str, Any]] = []
        self._injected = 0

        self.services = services.build(self, scenario)
        self.topics = topics.build(self, scenario)
        self.stores = common_data.build(self, scenario)
        for model in scenario.links:
            link = LinkRT(self, model)
            if model.circuit_breaker:
                link.breaker = resilience.Breaker(link, model.circuit_breaker)
            self.links[model.id] = link
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
            self.at(self.warm_s, _warm, None, TICK)
        # Incidents (patterns/incidents.py) read the trace events and state snapshots.
        self.narrator: Any = incidents.attach(self) if narrate else None

    # ------------------------------------------------------------ wiring

    def _wire(self) -> None:
        """Bind what each link, job origin and service does to its style's functions."""
        for link in self.links.values():
            style = link.style
            if style in ("sync", "async"):
                link.dst = self.services[link.dst_id]
                link.callee_op = link.dst.ops[link.op_id]
                if style == "sync":
                    link.behaviour, link.origin = sync.STYLE, sync.ORIGIN
                    link.holds = link.blocks = True
                else:
                    link.behaviour, link.origin = messaging.STYLE, messaging.ORIGIN
                    link.waits = True
            elif style == "publish":
                link.dst = self.topics[link.dst_id]
                link.behaviour = topics.PUBLISH
            elif style == "write":
                link.dst = self.stores[link.dst_id]
                link.behaviour = common_data.WRITE
                link.holds = True
            elif style == "subscribe":
                link.origin = topics.ORIGIN
        for link in self.links.values():
            if link.style == "subscribe":
                topics.subscribe(self, link)
            elif link.style == "poll":
                common_data.add_poller(self, link)
        for svc in self.services.values():
            svc.on_restart = _restarted

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
                if AS_EXTENSION:
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
                self.at(t, _stop, None, TICK)
            else:
                fault = dict(fault)
                fault.setdefault("from_s", t)
                self.inject(fault)

    def inject(self, fault: Any) -> None:
        """Add a fault to the running simulation.

        `fault` is a parsed fault (`patterns.parse_fault(doc, scenario)`; a start that has
        passed means now) or a scenario-format mapping, which the scenario the run was
        given checks (`Scenario.parse_fault`: the engine never imports the model); its
        from_s defaults to now. The document (a parsed fault's dump) is recorded in
        `faults_injected`."""
        if isinstance(fault, Mapping) or not hasattr(fault, "model_dump"):
            if not isinstance(fault, Mapping):
                self.scenario.parse_fault(fault)  # raises ScenarioError: not an object
            doc = dict(fault)
            doc.setdefault("from_s", self.now)
            model = self.scenario.parse_fault(doc)
        else:
            model = fault
            doc = fault.model_dump(exclude_none=True)
            doc["from_s"] = max(float(model.from_s), self.now)
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
        doc["slos"] = self.scenario.slo_results(doc)
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
    job = services.Job(svc, op, req, _EXTERNAL, None, 1, 0, now, counted)
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
        job.inst = inst  # where the request was refused or lost, for the trace
        _EXTERNAL.reply(sim, job, False, "refused" if refused else "lost")
        return
    status = services.job_arrive(sim, job, inst, True)
    if status == REJECTED:
        _EXTERNAL.reply(sim, job, False, "rejected")
    elif status == DROPPED:
        _EXTERNAL.reply(sim, job, False, "lost")


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


# ---------------------------------------------------------------- bound behaviour


class _External(Origin):
    """Whom a workload request's job at its entry service answers: the run's counts."""

    __slots__ = ()

    def reply(self, sim: Sim, job: services.Job, ok: bool, reason: str | None) -> None:
        """The entry service finished an external request (or lost it); `job.inst` is the
        instance it reached (if any)."""
        run = cast(Simulation, sim)
        req = job.req
        if req.done:
            return
        req.done = True
        latency = run.now - req.t0
        tl = run.tl
        if ok:
            run.all_ok += 1
            tl.succeeded += 1
            tl.latencies.append(latency)
        else:
            run.all_failed += 1
            tl.failed += 1
        if req.counted:
            if ok:
                if latency > req.deadline:
                    run.late += 1
                else:
                    run.succeeded += 1
                run.h_lat.add(latency)
            else:
                run.failed += 1
                run.failures[reason or "lost"] += 1
        obs = run.obs
        if obs is not None:
            inst = job.inst
            trace_event: dict[str, Any] = {
                "t": run.now,
                "kind": "complete" if ok else "fail",
                "corr": req.corr,
                "node": inst.svc.id if inst is not None else None,
            }
            if inst is not None:
                trace_event["instance"] = inst.k
            if not ok:
                trace_event["reason"] = reason
            obs(trace_event)

    def lost(self, sim: Sim, job: services.Job, inst: Any, started: bool) -> None:
        """A crash lost the request with its instance."""
        self.reply(sim, job, False, "lost")


def _restarted(sim: Simulation, svc: services.ServiceRT) -> None:
    """An instance of `svc` is up again: it takes what waited for one on the broker."""
    messaging.drain(sim, svc)
    for sub in svc.subs:
        topics.drain(sim, sub)


_EXTERNAL = _External(EXTERNAL)


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
