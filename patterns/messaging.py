"""Asynchronous request-response through queues on a broker.

The request waits on the callee's queue until a live instance takes it (none is lost
while the callee is down; a request held by an instance that crashes goes back on the
queue). The reply goes to the caller's reply queue, where any live instance of the
caller handles it, taking a worker for `reply_work_ms`; the handling of a step's last
outcome carries the caller's operation on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from . import balancing, resilience, services
from .network import callee_job, drop, hop, trace_reply
from .resilience import CallStyle
from .runtime import ASYNC, REPLY, Item, Origin

if TYPE_CHECKING:
    from .resilience import Call
    from .runtime import Sim
    from .services import Job

# Outcomes that come without a reply message: nothing to spend reply_work_ms on.
_NO_REPLY = frozenset({"timeout", "circuit_open", "hop_limit"})


class ReplyTask(Item):
    """The handling of an async call's outcome on the caller's side: a queue item."""

    __slots__ = (
        "call",
        "gen",
        "ok",
        "reason",
        "work",
    )

    def __init__(self, call: Call, ok: bool, reason: str | None, work: float) -> None:
        self.kind = REPLY
        self.op = call.job.op
        self.inst = None
        self.t_in = 0.0
        self.has_worker = False
        self.call = call
        self.ok = ok
        self.reason = reason
        self.work = work
        self.gen = 0

    def begin(self, sim: Sim) -> None:
        """A worker of the caller handles the outcome for `reply_work_ms`."""
        sim.at(sim.now + self.work, _reply_done, (self, self.gen))

    def lost(self, sim: Sim, inst: Any, started: bool) -> None:
        """A reply held by a crashed instance goes back on the reply queue."""
        self.gen += 1
        route(sim, self, None)


def _request_to(sim: Sim, arg: tuple[Call, int, Any]) -> None:
    request_to(sim, *arg)


def request_to(sim: Sim, call: Call, attempt_no: int, inst: Any) -> None:
    """The request reaches the callee's queue: a live instance takes it, or it waits."""
    svc = call.link.dst
    if inst is None or not inst.up:
        inst = balancing.pick(sim, svc, True)
        if inst is None:
            svc.backlog.append((call, attempt_no))
            return
    services.job_arrive(sim, callee_job(sim, call, attempt_no, inst), inst, False)


def requeue(sim: Sim, call: Call, attempt_no: int) -> None:
    """A request held by a crashed instance goes back on the callee's queue."""
    request_to(sim, call, attempt_no, None)


def drain(sim: Sim, svc: Any) -> None:
    """Hand what waited on the service's queues to its live instances."""
    while svc.backlog:
        inst = balancing.pick(sim, svc, True)
        if inst is None:
            return
        call, attempt_no = svc.backlog.popleft()
        request_to(sim, call, attempt_no, inst)
    while svc.reply_backlog:
        inst = balancing.pick(sim, svc, True)
        if inst is None:
            return
        services.enqueue(sim, inst, svc.reply_backlog.popleft())


def send_reply(
    sim: Sim, call: Call, attempt_no: int, src: Any, ok: bool, reason: str | None
) -> None:
    """The callee's reply goes to the caller's reply queue."""
    link = call.link
    caller = call.job
    inst = balancing.pick(sim, caller.svc, True)
    delay = hop(sim, link, caller)
    dst = inst.name if inst is not None else caller.svc.id
    if sim.obs is not None:
        trace_reply(sim, call, attempt_no, src.name, dst, ok, reason, delay)
    if delay < 0:
        drop(sim, call, src.name, dst, "reply", "omission")
        return
    args = (call, attempt_no, ok, reason, inst, src.name)
    sim.push(sim.now + delay, reply_arrive, args)


def reply_arrive(sim: Sim, arg: tuple[Call, int, bool, str | None, Any, str]) -> None:
    call, attempt_no, ok, reason, inst, src = arg
    if call.job.dead or resilience.stale(call, attempt_no):
        dst = inst.name if inst is not None else call.job.svc.id
        drop(sim, call, src, dst, "reply", "crash" if call.job.dead else "late")
        if call.job.dead:
            resilience.abandon(call)
        return
    resilience.on_reply(sim, call, attempt_no, ok, reason, inst)


def route(sim: Sim, task: ReplyTask, inst: Any) -> None:
    svc = task.call.job.svc
    if inst is None or not inst.up:
        inst = balancing.pick(sim, svc, True)
        if inst is None:
            svc.reply_backlog.append(task)
            return
    services.enqueue(sim, inst, task)


def _reply_done(sim: Sim, arg: tuple[ReplyTask, int]) -> None:
    task, gen = arg
    if task.gen != gen:
        return
    call = task.call
    services.async_done(sim, call.job, call.link, task.ok, task.reason, task)


class AsyncStyle(CallStyle):
    """An `async` link (bound to it by the engine)."""

    __slots__ = ()

    def send(self, sim: Sim, call: Call) -> None:
        """The attempt's request crosses the network to the callee's queue on the broker."""
        link = call.link
        job = call.job
        caller = job.inst
        assert caller is not None  # the caller holds a worker while it sends
        inst = balancing.pick(sim, link.dst, True)
        call.inst = inst
        delay = hop(sim, link, job)
        dst = inst.name if inst is not None else link.dst_id
        if sim.obs is not None:
            sim.obs(
                {
                    "t": sim.now,
                    "kind": "send",
                    "corr": job.req.corr,
                    "link": link.id,
                    "src": caller.name,
                    "dst": dst,
                    "msg": "request",
                    "arrive_t": sim.now + delay if delay > 0.0 else sim.now,
                    "attempt": call.attempt,
                }
            )
        resilience.sent(sim, call)
        if delay < 0:
            drop(sim, call, caller.name, dst, "request", "omission")
            return
        sim.push(sim.now + delay, _request_to, (call, call.attempt, inst))

    def finish(self, sim: Sim, call: Call, ok: bool, reason: str | None, inst: Any) -> None:
        """The call's outcome is known: a worker of the caller must handle it."""
        work = 0.0 if reason in _NO_REPLY else call.link.reply_work()
        task = ReplyTask(call, ok, reason, work)
        route(sim, task, inst)


class AsyncOrigin(Origin):
    """Whom the job an async request starts at the callee answers."""

    __slots__ = ()

    def reply(self, sim: Sim, job: Job, ok: bool, reason: str | None) -> None:
        """The callee's job ended: its reply goes to the caller's reply queue."""
        send_reply(sim, job.parent, job.attempt, job.inst, ok, reason)

    def lost(self, sim: Sim, job: Job, inst: Any, started: bool) -> None:
        """A crash lost the callee's job: its request goes back on the callee's queue."""
        requeue(sim, job.parent, job.attempt)


STYLE: Final = AsyncStyle()
ORIGIN: Final = AsyncOrigin(ASYNC)
