"""Synchronous request-response: the caller's worker waits, blocked, for the reply.

The request crosses the network to an instance picked by the callee's load balancer; a
down instance gives no reply (or refuses at once under a `refuse` crash), a full queue
rejects; the reply crosses the network back. A reply that comes after the caller gave
up is dropped as `late`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from . import balancing, faults, resilience, services
from .network import callee_job, drop, hop, trace_reply
from .resilience import CallStyle
from .runtime import REJECTED, SYNC, Origin

if TYPE_CHECKING:
    from .resilience import Call
    from .runtime import Sim
    from .services import Job


def request_arrive(sim: Sim, arg: tuple[Call, int, Any]) -> None:
    call, attempt_no, inst = arg
    caller = call.job
    if not inst.up:
        faults.mark(caller, "crash")
        if inst.refuse:
            send_reply(sim, call, attempt_no, inst, False, "refused")
        else:
            drop(sim, call, caller.inst.name if caller.inst else "", inst.name, "request", "crash")
        return
    job = callee_job(sim, call, attempt_no, inst)
    if services.job_arrive(sim, job, inst, True) == REJECTED:
        send_reply(sim, call, attempt_no, inst, False, "rejected")


def send_reply(
    sim: Sim, call: Call, attempt_no: int, src: Any, ok: bool, reason: str | None
) -> None:
    """The callee answers (success, its failure, or a refusal): the reply goes back."""
    link = call.link
    caller = call.job
    delay = hop(sim, link, caller)
    dst = caller.inst.name if caller.inst is not None else link.src_id
    if sim.obs is not None:
        trace_reply(sim, call, attempt_no, src.name, dst, ok, reason, delay)
    if delay < 0:
        drop(sim, call, src.name, dst, "reply", "omission")
        return
    sim.push(sim.now + delay, reply_arrive, (call, attempt_no, ok, reason, src.name))


def reply_arrive(sim: Sim, arg: tuple[Call, int, bool, str | None, str]) -> None:
    call, attempt_no, ok, reason, src = arg
    caller = call.job
    if caller.dead or resilience.stale(call, attempt_no):
        dst = caller.inst.name if caller.inst is not None else call.link.src_id
        drop(sim, call, src, dst, "reply", "crash" if caller.dead else "late")
        if caller.dead:
            resilience.abandon(call)
        return
    resilience.on_reply(sim, call, attempt_no, ok, reason, None)


class SyncStyle(CallStyle):
    """A `sync` link (bound to it by the engine)."""

    __slots__ = ()

    def send(self, sim: Sim, call: Call) -> None:
        """The attempt's request crosses the network to an instance the callee's load
        balancer picks (or is refused at once when health checks find none)."""
        link = call.link
        job = call.job
        caller = job.inst
        assert caller is not None  # the caller holds a worker while it sends
        svc: services.ServiceRT = link.dst
        insts = svc.instances
        # A single instance without health checks is picked whether up or not (as `pick` does).
        inst = insts[0] if len(insts) == 1 and not svc.health else balancing.pick(sim, svc, False)
        if inst is None:
            # Health checks found no live instance: nowhere to connect.
            faults.mark(job, "crash")
            sim.at(sim.now, resilience.fail_now, (call, call.attempt, "refused"))
            return
        call.inst = inst
        delay = link.net()  # hop(), inlined
        if link.faults:
            extra = faults.on_link(sim, link, job)
            delay = -1.0 if extra < 0 else delay + extra
        now = sim.now
        obs = sim.obs
        if obs is not None:
            obs(
                {
                    "t": now,
                    "kind": "send",
                    "corr": job.req.corr,
                    "link": link.id,
                    "src": caller.name,
                    "dst": inst.name,
                    "msg": "request",
                    "arrive_t": now + delay if delay > 0.0 else now,
                    "attempt": call.attempt,
                }
            )
        resilience.sent(sim, call)
        if delay < 0:
            drop(sim, call, caller.name, inst.name, "request", "omission")
            return
        sim.push(now + delay, request_arrive, (call, call.attempt, inst))

    def finish(self, sim: Sim, call: Call, ok: bool, reason: str | None, inst: Any) -> None:
        """The call's final outcome: the caller's worker, blocked on it, carries on."""
        services.sync_done(sim, call.job, call.link, ok, reason)


class SyncOrigin(Origin):
    """Whom the job a sync request starts at the callee answers."""

    __slots__ = ()

    def reply(self, sim: Sim, job: Job, ok: bool, reason: str | None) -> None:
        """The callee's job ended: its reply goes back to the caller."""
        send_reply(sim, job.parent, job.attempt, job.inst, ok, reason)

    def lost(self, sim: Sim, job: Job, inst: Any, started: bool) -> None:
        """A crash lost the callee's job: no reply comes (the caller may time out)."""


STYLE: Final = SyncStyle()
ORIGIN: Final = SyncOrigin(SYNC)
