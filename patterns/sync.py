"""Synchronous request-response: the caller's worker waits, blocked, for the reply.

The request crosses the network to an instance picked by the callee's load balancer; a
down instance gives no reply (or refuses at once under a `refuse` crash), a full queue
rejects; the reply crosses the network back. A reply that comes after the caller gave
up is dropped as `late`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import balancing, faults, resilience, services

if TYPE_CHECKING:
    from .engine import LinkRT, Simulation
    from .resilience import Call
    from .services import InstanceRT


def hop(sim: Simulation, link: LinkRT, job: Any) -> float:
    """One-way network time of one message on `link` (with its faults), or -1 if dropped."""
    delay = link.net()
    if link.faults:
        extra = faults.on_link(sim, link, job)
        if extra < 0:
            return -1.0
        delay += extra
    return delay


def send_request(sim: Simulation, call: Call) -> None:
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


def drop(sim: Simulation, call: Call, src: str, dst: str, msg: str, reason: str) -> None:
    if sim.obs is not None:
        sim.obs(
            {
                "t": sim.now,
                "kind": "drop",
                "corr": call.job.req.corr,
                "link": call.link.id,
                "src": src,
                "dst": dst,
                "msg": msg,
                "reason": reason,
                "attempt": call.attempt,
            }
        )


def request_arrive(sim: Simulation, arg: tuple[Call, int, Any]) -> None:
    call, attempt_no, inst = arg
    caller = call.job
    if not inst.up:
        faults.mark(caller, "crash")
        if inst.refuse:
            send_reply(sim, call, attempt_no, inst, False, "refused")
        else:
            drop(sim, call, caller.inst.name if caller.inst else "", inst.name, "request", "crash")
        return
    job = callee_job(sim, call, attempt_no, inst, services.SYNC)
    if services.job_arrive(sim, job, inst, True) == services.REJECTED:
        send_reply(sim, call, attempt_no, inst, False, "rejected")


def callee_job(
    sim: Simulation, call: Call, attempt_no: int, inst: InstanceRT, pkind: int
) -> services.Job:
    """The job a sync or async request starts at the callee (traced as `receive`)."""
    caller = call.job
    link = call.link
    job = services.Job(
        link.dst,
        link.callee_op,
        caller.req,
        pkind,
        call,
        attempt_no,
        caller.hops + 1,
        sim.now,
        caller.counted,
        caller.detached,
    )
    obs = sim.obs
    if obs is not None:
        obs(
            {
                "t": sim.now,
                "kind": "receive",
                "corr": caller.req.corr,
                "link": link.id,
                "src": caller.inst.name if caller.inst is not None else link.src_id,
                "dst": inst.name,
                "msg": "request",
                "attempt": attempt_no,
                "op": job.op.id if job.op is not None else None,
            }
        )
    return job


def send_reply(
    sim: Simulation, call: Call, attempt_no: int, src: Any, ok: bool, reason: str | None
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


def trace_reply(
    sim: Simulation,
    call: Call,
    attempt_no: int,
    src: str,
    dst: str,
    ok: bool,
    reason: str | None,
    delay: float,
) -> None:
    now = sim.now
    event = {
        "t": now,
        "kind": "reply",
        "corr": call.job.req.corr,
        "link": call.link.id,
        "src": src,
        "dst": dst,
        "msg": "reply",
        "arrive_t": now + delay if delay > 0.0 else now,
        "attempt": attempt_no,
        "ok": ok,
    }
    if not ok:
        event["reason"] = reason
    sim.obs(event)  # type: ignore[misc]


def reply_arrive(sim: Simulation, arg: tuple[Call, int, bool, str | None, str]) -> None:
    call, attempt_no, ok, reason, src = arg
    caller = call.job
    if caller.dead or resilience.stale(call, attempt_no):
        dst = caller.inst.name if caller.inst is not None else call.link.src_id
        drop(sim, call, src, dst, "reply", "crash" if caller.dead else "late")
        if caller.dead:
            resilience.abandon(call)
        return
    resilience.on_reply(sim, call, attempt_no, ok, reason, None)
