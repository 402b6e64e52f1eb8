"""Load balancing: how a caller (or a broker) picks an instance of a service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .runtime import Sim

RR, RANDOM, LEAST_BUSY = 0, 1, 2
POLICIES = {"round_robin": RR, "random": RANDOM, "least_busy": LEAST_BUSY}


def pick(sim: Sim, svc: Any, up_only: bool) -> Any:
    """The instance a caller sends to; down ones are skipped with health checks or
    `up_only` (a broker hands work only to live consumers). None: nobody to pick."""
    insts = svc.instances
    skip = up_only or svc.health
    if len(insts) == 1:
        inst = insts[0]
        return inst if (inst.up or not skip) else None
    lb = svc.lb
    if lb == RR:
        n = len(insts)
        for _ in range(n):
            inst = insts[svc.rr]
            svc.rr = (svc.rr + 1) % n
            if inst.up or not skip:
                return inst
        return None
    cands = [i for i in insts if i.up or not skip] if skip else insts
    if not cands:
        return None
    if lb == RANDOM:
        return cands[svc.rng.randrange(len(cands))]
    best = cands[0]
    best_load = best.workers - best.free + len(best.queue)
    for inst in cands:
        load = inst.workers - inst.free + len(inst.queue)
        if load < best_load:
            best, best_load = inst, load
    return best
