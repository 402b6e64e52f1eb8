"""Messages on the network: one hop's delay (with a link's faults), dropped messages,
replies, and the job a request starts at its callee; shared by `sync` and `messaging`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import faults
from .services import Job

if TYPE_CHECKING:
    from .resilience import Call
    from .runtime import LinkRT, Sim
    from .services import InstanceRT


def hop(sim: Sim, link: LinkRT, job: Any) -> float:
    """One-way network time of one message on `link` (with its faults), or -1 if dropped."""
    delay = link.net()
    if link.faults:
        extra = faults.on_link(sim, link, job)
        if extra < 0:
            return -1.0
        delay += extra
    return delay


def drop(sim: Sim, call: Call, src: str, dst: str, msg: str, reason: str) -> None:
    """Trace a message of the call that never arrives (`drop`)."""
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


def callee_job(sim: Sim, call: Call, attempt_no: int, inst: InstanceRT) -> Job:
    """The job a sync or async request starts at the callee (traced as `receive`); it
    answers the link's origin."""
    caller = call.job
    link = call.link
    origin = link.origin
    assert origin is not None  # the engine binds one to every sync and async link
    job = Job(
        link.dst,
        link.callee_op,
        caller.req,
        origin,
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


def trace_reply(
    sim: Sim,
    call: Call,
    attempt_no: int,
    src: str,
    dst: str,
    ok: bool,
    reason: str | None,
    delay: float,
) -> None:
    """Trace a reply sent back on the call's link (`reply`)."""
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
