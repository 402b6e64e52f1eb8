"""Faults: the five failure modes, in force over a time window, with a probability.

`crash` takes instances (or a topic) down for the window; the others act per request
(on a service) or per message (on a link) while in force: `omission` drops it, `timing`
adds `extra_ms`, `response` spoils the reply (`bad_response`), `arbitrary` draws one of
those three for each request. Each fault has its own random stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .dists import sampler
from .trace import MODE_BIT

if TYPE_CHECKING:
    from .runtime import Item, LinkRT, Sim

_ARBITRARY = ("omission", "timing", "response")
# Faults start and end before anything else that happens at the same instant.
PRIORITY = 0


class FaultRT:
    __slots__ = (
        "active",
        "extra",
        "instance",
        "kind",
        "mode",
        "prob",
        "refuse",
        "rng",
        "target",
    )

    def __init__(self, sim: Sim, model: Any, name: str) -> None:
        target_id = model.target
        if target_id in sim.services:
            self.kind = "service"
            self.target: Any = sim.services[target_id]
        elif target_id in sim.topics:
            self.kind = "topic"
            self.target = sim.topics[target_id]
        else:
            self.kind = "link"
            self.target = sim.links[target_id]
        self.mode = model.mode
        self.prob = float(model.probability)
        self.rng = sim.stream(name)
        self.extra = sampler(model.extra_ms, self.rng) if model.extra_ms is not None else None
        self.instance = model.instance
        self.refuse = bool(getattr(model, "refuse", False))
        self.active = False


def schedule(sim: Sim, model: Any, name: str) -> None:
    """Put one fault's window on the calendar (a window already begun starts now)."""
    fault = FaultRT(sim, model, name)
    start = max(float(model.from_s), sim.now)
    if start > sim.end_s:
        return
    sim.at(start, _start, fault, PRIORITY)
    if model.to_s is not None and model.to_s < sim.end_s:
        sim.at(max(float(model.to_s), start), _end, fault, PRIORITY)


def _trace(sim: Sim, fault: FaultRT, kind: str) -> None:
    if sim.obs is not None:
        event: dict[str, Any] = {"t": sim.now, "kind": kind, "mode": fault.mode}
        event["link" if fault.kind == "link" else "node"] = fault.target.id
        if fault.instance is not None:
            event["instance"] = fault.instance
        sim.obs(event)


def _instances(fault: FaultRT) -> list[Any]:
    insts = fault.target.instances
    if fault.instance is None:
        return list(insts)
    return [insts[fault.instance]] if fault.instance < len(insts) else []


def _start(sim: Sim, fault: FaultRT) -> None:
    fault.active = True
    _trace(sim, fault, "fault_start")
    if fault.mode == "crash":
        if fault.kind == "topic":
            fault.target.down += 1
        elif fault.kind == "service":
            for inst in _instances(fault):
                instance_down(sim, inst, fault.refuse, "crash")
        return
    fault.target.faults.append(fault)


def _end(sim: Sim, fault: FaultRT) -> None:
    if not fault.active:
        return
    fault.active = False
    _trace(sim, fault, "fault_end")
    if fault.mode == "crash":
        if fault.kind == "topic":
            fault.target.down -= 1
        elif fault.kind == "service":
            for inst in _instances(fault):
                instance_up(sim, inst, fault.refuse)
        return
    fault.target.faults.remove(fault)


def mark(job: Any, mode: str) -> None:
    """Note on the external request that it met a fault of this mode on its path."""
    if job is None or job.detached:
        return
    req = job.req
    bit = MODE_BIT[mode]
    if not req.met & bit:
        req.met |= bit
        if req.tally is not None and not req.done:
            req.tally[mode] += 1


def _hits(fault: FaultRT) -> bool:
    return fault.prob >= 1.0 or fault.rng.random() < fault.prob


def on_service(sim: Sim, job: Any, inst: Any) -> float:
    """Faults in force on the job's service: extra work seconds, or -1 if dropped.
    Sets `job.bad` for a spoiled reply."""
    return _apply(job.svc.faults, job, inst.k, _ARBITRARY)


def on_link(sim: Sim, link: LinkRT, job: Any) -> float:
    """Faults in force on a link for one message: extra seconds, or -1 if dropped."""
    return _apply(link.faults, job, None, _ARBITRARY[:2])


def _apply(in_force: list[FaultRT], job: Any, k: int | None, modes: tuple[str, ...]) -> float:
    extra = 0.0
    for fault in in_force:
        if k is not None and fault.instance is not None and fault.instance != k:
            continue
        if not _hits(fault):
            continue
        mode = fault.mode
        if mode == "arbitrary":
            mode = modes[fault.rng.randrange(len(modes))]
        mark(job, fault.mode)
        if mode == "omission":
            return -1.0
        if mode == "timing":
            extra += fault.extra() if fault.extra is not None else 0.0
        elif job is not None:
            job.bad = True
    return extra


def instance_down(sim: Sim, inst: Any, refuse: bool, reason: str) -> None:
    """One more cause keeps the instance down; the first one crashes it."""
    inst.down += 1
    if refuse:
        inst.refuse += 1
    if inst.down > 1:
        return
    inst.up = False
    if sim.obs is not None:
        sim.obs(
            {
                "t": sim.now,
                "kind": "crash",
                "node": inst.svc.id,
                "instance": inst.k,
                "reason": reason,
            }
        )
    lose_all(sim, inst)


def instance_up(sim: Sim, inst: Any, refuse: bool) -> None:
    inst.down -= 1
    if refuse:
        inst.refuse -= 1
    if inst.down:
        return
    inst.up = True
    if sim.obs is not None:
        sim.obs({"t": sim.now, "kind": "restart", "node": inst.svc.id, "instance": inst.k})
    svc = inst.svc
    svc.on_restart(sim, svc)


def poison(sim: Sim, inst: Any) -> None:
    """A poison message crashes the instance handling it until `restart_ms` has passed."""
    instance_down(sim, inst, False, "poison")
    sim.at(sim.now + inst.svc.restart_s, _poison_over, inst)


def _poison_over(sim: Sim, inst: Any) -> None:
    instance_up(sim, inst, False)


# ---------------------------------------------------------------- what a crash does


def lose_all(sim: Sim, inst: Any) -> None:
    """An instance goes down: every item it holds or queues is lost; each kind of item
    says what that means (`Item.lost`)."""
    svc = inst.svc
    svc.touch(sim.now)
    started = len(inst.held)
    items: list[Item] = list(inst.held) + list(inst.queue)
    svc.busy -= inst.workers - inst.free
    svc.blocked -= inst.blocked
    svc.queued -= len(inst.queue)
    inst.free = inst.workers
    inst.blocked = 0
    inst.held.clear()
    inst.queue.clear()
    inst.op_busy.clear()
    for i, item in enumerate(items):
        item.has_worker = False
        item.lost(sim, inst, i < started)
