"""Services at run time: instances, workers, queues, bulkheads, operations and steps.

A *job* is one execution of an operation at a service: it waits in an instance's queue
for a worker, does its local work, makes its calls step by step and then ends, telling
whoever started it (the workload, a calling link or a topic delivery). Reply handling of
`async` calls and polls are smaller queue items that also take a worker. How callers
pick an instance is in `balancing.py`; what a crash does to what an instance holds is in
`faults.py`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import balancing, faults
from .dists import sampler
from .metrics import Histogram
from .runtime import ACCEPTED, DELIVERY, DROPPED, EXTERNAL, OP, POLL, REJECTED, REPLY, Item, Origin

if TYPE_CHECKING:
    from .runtime import LinkRT, Request, Sim


class OpRT:
    """An operation: its work sampler, its calls grouped by step, its bulkhead, and the
    handler that runs when a job's local work is done (`job_end` when it calls nothing)."""

    __slots__ = ("id", "max_conc", "steps", "then", "work")

    def __init__(self, op_id: str, work: Any, max_conc: int | None) -> None:
        self.id = op_id
        self.work = work
        # Per step: (links, all certain?, worker-holding calls, async calls, blocks?).
        self.steps: list[tuple[list[Any], bool, int, int, bool]] = []
        self.then = job_end
        self.max_conc = max_conc


class InstanceRT:
    """One instance of a service: its workers, its queue and what it holds."""

    __slots__ = (
        "blocked",
        "down",
        "free",
        "held",
        "k",
        "name",
        "op_busy",
        "queue",
        "refuse",
        "svc",
        "up",
        "workers",
    )

    def __init__(self, svc: ServiceRT, k: int, workers: int) -> None:
        self.svc = svc
        self.k = k
        self.name = f"{svc.id}/{k}"
        self.up = True
        self.down = 0  # crash causes in force (fault windows may overlap)
        self.refuse = 0  # crash causes in force that refuse connections
        self.workers = workers
        self.free = workers
        self.blocked = 0
        self.queue: deque[Item] = deque()
        # Insertion-ordered, so a crash loses what it holds in a fixed order.
        self.held: dict[Item, None] = {}
        self.op_busy: dict[OpRT, int] = {}


class ServiceRT:
    """A service: instances, load balancing, operations, backlogs, figures."""

    __slots__ = (
        "a_blocked",
        "a_busy",
        "a_queue",
        "backlog",
        "blocked",
        "bulkhead",
        "busy",
        "capacity",
        "completed",
        "failed",
        "faults",
        "h_resp",
        "h_wait",
        "health",
        "id",
        "instances",
        "lb",
        "on_restart",
        "ops",
        "queue_limit",
        "queued",
        "received",
        "rejected",
        "reply_backlog",
        "restart_s",
        "rng",
        "rr",
        "subs",
        "t_last",
        "tick_busy",
        "timeline",
        "warm",
    )

    def __init__(self, sim: Sim, model: Any) -> None:
        self.id = model.id
        self.instances = [InstanceRT(self, k, model.workers) for k in range(model.instances)]
        self.capacity = model.instances * model.workers
        self.queue_limit = model.queue_limit
        self.lb = balancing.POLICIES[model.load_balancing]
        self.health = bool(model.health_checks)
        self.rr = 0
        self.rng = sim.stream(f"lb/{self.id}")
        self.ops: dict[str, OpRT] = {}
        self.restart_s = model.restart_ms / 1000.0
        self.bulkhead = False
        self.faults: list[Any] = []
        self.backlog: deque[Any] = deque()  # async requests waiting for an instance
        self.reply_backlog: deque[Any] = deque()  # replies waiting for an instance
        self.subs: list[Any] = []  # topic subscriptions this service consumes
        self.busy = self.blocked = self.queued = 0
        self.t_last = 0.0
        self.a_busy = self.a_blocked = self.a_queue = 0.0
        self.warm = (0.0, 0.0, 0.0)
        self.tick_busy = 0.0
        self.received = self.completed = self.failed = self.rejected = 0
        self.h_wait = Histogram(sim.histograms)
        self.h_resp = Histogram(sim.histograms)
        self.timeline: list[float] = []
        # An instance came back up: on_restart(sim, svc) (bound by the engine).
        self.on_restart: Callable[[Any, ServiceRT], None] = _nothing

    def touch(self, now: float) -> None:
        """Integrate busy, blocked and queued counts up to now (before they change)."""
        dt = now - self.t_last
        if dt:
            self.a_busy += self.busy * dt
            self.a_blocked += self.blocked * dt
            self.a_queue += self.queued * dt
            self.t_last = now


class Job(Item):
    """One execution of an operation."""

    __slots__ = (
        "async_n",
        "attempt",
        "bad",
        "counted",
        "dead",
        "detached",
        "extra",
        "failed",
        "hops",
        "is_blocked",
        "origin",
        "parent",
        "pkind",
        "reason",
        "req",
        "step",
        "svc",
        "sync_n",
    )

    def __init__(
        self,
        svc: ServiceRT,
        op: OpRT,
        req: Request,
        origin: Origin,
        parent: Any,
        attempt: int,
        hops: int,
        now: float,
        counted: bool,
        detached: bool = False,
    ) -> None:
        self.kind = OP
        self.svc = svc
        self.op = op
        self.inst = None
        self.req = req
        self.origin = origin
        self.pkind = origin.kind
        self.parent = parent
        self.attempt = attempt
        self.hops = hops
        self.t_in = now
        self.step = 0
        self.sync_n = 0
        self.async_n = 0
        self.failed = False
        self.reason: str | None = None
        self.dead = False
        self.bad = False
        self.extra = 0.0
        self.detached = detached
        self.is_blocked = False
        self.counted = counted
        self.has_worker = False

    def lost(self, sim: Sim, inst: Any, started: bool) -> None:
        """A crash loses the job: it is dead, and its origin learns of it."""
        self.dead = True
        self.is_blocked = False
        faults.mark(self, "crash")
        self.origin.lost(sim, self, inst, started)


def _nothing(*_: Any) -> None:
    pass


def build(sim: Sim, scenario: Any) -> dict[str, ServiceRT]:
    """Run-time services for every service node (operations are wired by `wire_ops`)."""
    out: dict[str, ServiceRT] = {}
    for model in scenario.services:
        svc = ServiceRT(sim, model)
        rng = sim.stream(f"work/{svc.id}")
        for op in _operations(model, scenario):
            work = sampler(op.work_ms if op.work_ms is not None else model.work_ms, rng)
            max_conc = op.max_concurrent
            svc.ops[op.id] = OpRT(op.id, work, max_conc)
            if max_conc is not None:
                svc.bulkhead = True
        out[svc.id] = svc
    return out


def _operations(model: Any, scenario: Any) -> tuple[Any, ...]:
    return tuple(model.effective_operations(scenario))


def wire_ops(sim: Sim, scenario: Any) -> None:
    """Group each operation's calls into ascending steps of run-time links."""
    for model in scenario.services:
        svc = sim.services[model.id]
        for op in _operations(model, scenario):
            by_step: dict[int, list[Any]] = {}
            for link_id in op.calls:
                link = sim.links[link_id]
                by_step.setdefault(link.step, []).append(link)
            steps = []
            for s in sorted(by_step):
                links = by_step[s]
                certain = all(lk.prob >= 1.0 for lk in links)
                steps.append((links, certain, *_counts(links)))
            op_rt = svc.ops[op.id]
            op_rt.steps = steps
            op_rt.then = worked if steps else job_end


# ---------------------------------------------------------------- queue and workers


def job_arrive(sim: Sim, job: Job, inst: InstanceRT, limited: bool) -> int:
    """A request reaches an up instance: start it, queue it, or reject it (queue full).

    `limited` applies `queue_limit` (direct requests; broker-backed ones wait unbounded).
    Returns ACCEPTED, DROPPED (an omission fault) or REJECTED.
    """
    svc = inst.svc
    job.inst = inst
    job.t_in = sim.now
    if job.counted:
        svc.received += 1
    if svc.faults:
        extra = faults.on_service(sim, job, inst)
        if extra < 0:
            job.dead = True
            if sim.obs is not None:
                sim.obs(
                    {
                        "t": sim.now,
                        "kind": "drop",
                        "corr": job.req.corr,
                        "node": svc.id,
                        "instance": inst.k,
                        "dst": inst.name,
                        "msg": "request",
                        "reason": "omission",
                    }
                )
            return DROPPED
        job.extra = extra
    q = inst.queue
    # With a bulkhead, whatever waits while a worker is free is held back by it.
    if inst.free and (not q or svc.bulkhead) and (not svc.bulkhead or _room(inst, job.op)):
        begin(sim, inst, job)
        return ACCEPTED
    if limited and svc.queue_limit is not None and len(q) >= svc.queue_limit:
        job.dead = True
        if job.counted:
            svc.rejected += 1
        if sim.obs is not None:
            sim.obs(
                {
                    "t": sim.now,
                    "kind": "rejected",
                    "corr": job.req.corr,
                    "node": svc.id,
                    "instance": inst.k,
                    "reason": "queue_full",
                }
            )
        return REJECTED
    svc.touch(sim.now)
    svc.queued += 1
    q.append(job)
    return ACCEPTED


def enqueue(sim: Sim, inst: InstanceRT, item: Item) -> None:
    """Put a queue item in line for a worker, starting it now if one is free."""
    svc = inst.svc
    item.t_in = sim.now
    if (
        inst.free
        and (not inst.queue or svc.bulkhead)
        and (not svc.bulkhead or _room(inst, item.op))
    ):
        begin(sim, inst, item)
        return
    svc.touch(sim.now)
    svc.queued += 1
    inst.queue.append(item)


def _room(inst: InstanceRT, op: OpRT | None) -> bool:
    return op is None or op.max_conc is None or inst.op_busy.get(op, 0) < op.max_conc


def dispatch(sim: Sim, inst: InstanceRT) -> None:
    """Hand free workers to queued items in order (skipping those a bulkhead holds)."""
    q = inst.queue
    svc = inst.svc
    if not svc.bulkhead:
        while inst.free and q:
            svc.touch(sim.now)
            svc.queued -= 1
            begin(sim, inst, q.popleft())
        return
    for item in list(q):
        if not inst.free or not inst.up:
            break  # (a poison message may have crashed the instance meanwhile)
        if _room(inst, item.op):
            q.remove(item)
            svc.touch(sim.now)
            svc.queued -= 1
            begin(sim, inst, item)


def release_worker(sim: Sim, item: Item) -> None:
    """Give back the worker `item` holds on its instance and serve the queue."""
    inst = item.inst
    assert inst is not None  # it holds a worker there
    svc = inst.svc
    svc.touch(sim.now)
    del inst.held[item]
    item.has_worker = False
    q = inst.queue
    if q and not svc.bulkhead and inst.up:
        # Hand the worker straight to the next in line: busy and free stay as they are.
        svc.queued -= 1
        begin(sim, inst, q.popleft(), False)
        return
    svc.busy -= 1
    inst.free += 1
    if svc.bulkhead and item.op is not None:
        inst.op_busy[item.op] -= 1
    if q:
        dispatch(sim, inst)


def begin(sim: Sim, inst: InstanceRT, item: Item, take: bool = True) -> None:
    """A queue item gets a worker: a free one (`take`), or the one a finished item just
    handed over (busy and free stay as they are), and starts."""
    item.inst = inst
    svc = inst.svc
    now = sim.now
    if take:
        svc.touch(now)
        svc.busy += 1
        inst.free -= 1
        if svc.bulkhead and item.op is not None:
            inst.op_busy[item.op] = inst.op_busy.get(item.op, 0) + 1
    inst.held[item] = None
    item.has_worker = True
    kind = item.kind
    if sim.obs_detail is not None and kind != POLL:
        _trace_worker(sim, "start", item)
    if kind != OP:
        item.begin(sim)
        return
    job: Job = item  # type: ignore[assignment]
    if job.counted:
        svc.h_wait.add(now - job.t_in)
    if job.pkind == DELIVERY and job.parent.poison:
        faults.poison(sim, inst)
        return
    op = job.op
    assert op is not None  # a job always runs an operation
    sim.push(now + op.work() + job.extra, op.then, job)


def worked(sim: Sim, job: Job) -> None:
    """The local work of a job whose operation makes calls is done."""
    if not job.dead:
        next_step(sim, job)


def set_blocked(sim: Sim, job: Job, blocked: bool) -> None:
    if job.is_blocked == blocked:
        return
    job.is_blocked = blocked
    inst = job.inst
    assert inst is not None  # only a job holding a worker blocks
    inst.svc.touch(sim.now)
    d = 1 if blocked else -1
    inst.blocked += d
    inst.svc.blocked += d


# ---------------------------------------------------------------- steps and calls


def next_step(sim: Sim, job: Job) -> None:
    """Make the calls of the next step that fires, or end the job after the last one (or
    after a step in which a required call failed)."""
    if job.failed:
        job_end(sim, job)
        return
    op = job.op
    assert op is not None  # a job always runs an operation
    steps = op.steps
    while job.step < len(steps):
        links, certain, n_sync, n_async, blocks = steps[job.step]
        job.step += 1
        fire = links
        if not certain:
            fire = [lk for lk in links if lk.prob >= 1.0 or lk.prob_rng.random() < lk.prob]
            if not fire:
                continue
            n_sync, n_async, blocks = _counts(fire)
        job.sync_n = n_sync
        job.async_n = n_async
        for lk in fire:
            lk.behaviour.start(sim, job, lk)
        if blocks:
            set_blocked(sim, job, True)
        elif not n_sync and n_async:
            release_worker(sim, job)
        if n_sync or n_async:
            return
    job_end(sim, job)


def _counts(links: list[Any]) -> tuple[int, int, bool]:
    """Calls that hold the worker (sync, write), async calls, and whether any blocks."""
    n_async = sum(1 for lk in links if lk.waits)
    n_sync = sum(1 for lk in links if lk.holds)
    return n_sync, n_async, any(lk.blocks for lk in links)


def sync_done(sim: Sim, job: Job, link: LinkRT, ok: bool, reason: str | None) -> None:
    """A call that holds the caller's worker (sync or write) has its final outcome."""
    if job.dead:
        return
    _note(job, link, ok, reason)
    job.sync_n -= 1
    if job.sync_n:
        return
    set_blocked(sim, job, False)
    if job.async_n:
        release_worker(sim, job)
    else:
        next_step(sim, job)


def async_done(sim: Sim, job: Job, link: LinkRT, ok: bool, reason: str | None, task: Any) -> None:
    """An async call's outcome was handled by `task`, which holds a worker: the last one
    carries the operation on with that worker."""
    if job.dead:
        release_worker(sim, task)
        return
    _note(job, link, ok, reason)
    job.async_n -= 1
    if job.async_n or job.sync_n:
        release_worker(sim, task)
        return
    inst = task.inst
    del inst.held[task]
    inst.held[job] = None
    job.inst = inst
    job.has_worker = True
    next_step(sim, job)


def _note(job: Job, link: LinkRT, ok: bool, reason: str | None) -> None:
    if not ok and not link.optional and not job.failed:
        job.failed = True
        job.reason = reason


def job_end(sim: Sim, job: Job) -> None:
    """The job replies: free its worker, count it, tell whoever started it (nothing if it
    was lost meanwhile). Also the handler of the end of a call-less operation's work."""
    if job.dead:
        return
    if job.has_worker:
        release_worker(sim, job)
    ok = not job.failed and not job.bad
    reason = job.reason if job.failed else (None if ok else "bad_response")
    if sim.obs_detail is not None:
        _trace_worker(sim, "end", job, ok, reason)
    svc = job.svc
    if job.counted:
        if job.failed:
            svc.failed += 1
        else:
            svc.completed += 1
        svc.h_resp.add(sim.now - job.t_in)
    job.origin.reply(sim, job, ok, reason)


def _trace_worker(
    sim: Sim, kind: str, item: Any, ok: bool = True, reason: str | None = None
) -> None:
    """A `start` (an item takes a worker) or `end` (a job has finished) detail event."""
    inst = item.inst
    if item.kind == REPLY:
        call = item.call
        corr, link, attempt, msg = call.job.req.corr, call.link.id, None, "reply"
    else:
        corr, attempt = item.req.corr, item.attempt
        pk = item.pkind
        if pk == EXTERNAL:
            link, msg = None, "request"
        elif pk == DELIVERY:
            link, msg = item.parent.sub.link.id, "event"
        else:
            link, msg = item.parent.link.id, "request"
    event: dict[str, Any] = {
        "t": sim.now,
        "kind": kind,
        "corr": corr,
        "node": inst.svc.id,
        "instance": inst.k,
        "msg": msg,
        "op": item.op.id if item.op is not None else None,
        "link": link,
        "attempt": attempt,
    }
    if kind == "end":
        event["ok"] = ok
        if not ok:
            event["reason"] = reason
    sim.obs_detail(event)  # type: ignore[misc]
