"""Topics: publish/subscribe with competing consumers, redelivery and a dead-letter queue.

Each subscribing service has its own queue on the topic; one live instance handles each
message with the subscription's operation. An attempt fails when that instance crashes
(a poison message crashes it) or the operation fails; it is redelivered after
`redelivery_ms` until `max_deliveries`, then dead-lettered. While no instance of a
subscriber is up its messages wait and no attempt is counted. A crashed topic loses what
is published meanwhile. The publisher never waits for any of this.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Final

from . import balancing, faults, services
from .dists import sampler
from .metrics import Histogram
from .runtime import ACCEPTED, DELIVERY, HOP_LIMIT, LinkStyle, Origin

if TYPE_CHECKING:
    from .runtime import LinkRT, Request, Sim
    from .services import Job, OpRT, ServiceRT


class TopicRT:
    __slots__ = (
        "dead_lettered",
        "delivered",
        "delivery",
        "down",
        "h_lag",
        "id",
        "lost",
        "max_deliveries",
        "poison_p",
        "published",
        "redelivered",
        "redelivery_s",
        "rng",
        "subs",
    )

    def __init__(self, sim: Sim, model: Any) -> None:
        self.id = model.id
        self.down = 0
        self.subs: list[SubRT] = []
        self.poison_p = model.poison_probability
        self.rng = sim.stream(f"topic/{self.id}")
        self.delivery = sampler(model.delivery_ms, self.rng)
        self.max_deliveries = model.max_deliveries
        self.redelivery_s = model.redelivery_ms / 1000.0
        self.published = self.delivered = self.redelivered = 0
        self.dead_lettered = self.lost = 0
        self.h_lag = Histogram(sim.histograms)


class SubRT:
    """One subscribing service's queue on a topic."""

    __slots__ = ("link", "op", "origin", "pending", "svc", "topic", "waiting")

    def __init__(self, link: LinkRT, topic: TopicRT, svc: ServiceRT, op: OpRT) -> None:
        origin = link.origin
        assert origin is not None  # the engine binds one to every subscribe link
        self.origin = origin  # whom the jobs of deliveries answer
        self.link = link
        self.topic = topic
        self.svc = svc
        self.op = op
        self.waiting: deque[Delivery] = deque()
        self.pending = 0  # messages not yet delivered or dead-lettered


class Delivery:
    """One message on its way to one subscriber."""

    __slots__ = ("attempt", "counted", "hops", "poison", "req", "sub", "t_pub")

    def __init__(
        self, sub: SubRT, req: Request, hops: int, t_pub: float, poison: bool, counted: bool
    ) -> None:
        self.sub = sub
        self.req = req
        self.hops = hops
        self.t_pub = t_pub
        self.poison = poison
        self.attempt = 1
        self.counted = counted


def build(sim: Sim, scenario: Any) -> dict[str, TopicRT]:
    return {model.id: TopicRT(sim, model) for model in scenario.topics}


def subscribe(sim: Sim, link: LinkRT) -> None:
    """Wire a `subscribe` link: the service gets its own queue on the topic."""
    topic = sim.topics[link.src_id]
    svc = sim.services[link.dst_id]
    sub = SubRT(link, topic, svc, svc.ops[link.op_id])
    topic.subs.append(sub)
    svc.subs.append(sub)
    link.sub = sub


def _trace_drop(sim: Sim, req: Any, link: LinkRT, src: str, dst: str, reason: str) -> None:
    if sim.obs is not None:
        sim.obs(
            {
                "t": sim.now,
                "kind": "drop",
                "corr": req.corr,
                "link": link.id,
                "src": src,
                "dst": dst,
                "msg": "event",
                "reason": reason,
            }
        )


def _at_topic(sim: Sim, arg: tuple[TopicRT, Any, Any, int, float, bool, str]) -> None:
    topic, link, req, hops, t_pub, counted, src = arg
    if topic.down:
        if counted:
            topic.lost += 1
        _trace_drop(sim, req, link, src, topic.id, "crash")
        return
    if counted:
        topic.published += 1
    poison = topic.poison_p > 0 and topic.rng.random() < topic.poison_p
    for sub in topic.subs:
        d = Delivery(sub, req, hops, t_pub, poison, counted)
        sub.pending += 1
        if counted:
            sub.link.calls += 1
        dispatch(sim, d)


def dispatch(sim: Sim, d: Delivery) -> None:
    """Send the message to a live instance of the subscriber, or keep it on the queue."""
    sub = d.sub
    insts = sub.svc.instances
    # A single live instance is the common case: no balancing call needed.
    inst = insts[0] if len(insts) == 1 and insts[0].up else balancing.pick(sim, sub.svc, True)
    if inst is None:
        sub.waiting.append(d)
        return
    topic = sub.topic
    link = sub.link
    delay = topic.delivery()
    if link.faults:
        extra = faults.on_link(sim, link, None)
        delay = extra if extra < 0 else delay + extra
    now = sim.now
    obs = sim.obs
    if obs is not None:
        attempt = d.attempt
        obs(
            {
                "t": now,
                "kind": "deliver" if attempt == 1 else "redeliver",
                "corr": d.req.corr,
                "link": link.id,
                "src": topic.id,
                "dst": inst.name,
                "msg": "event",
                "arrive_t": now + delay if delay > 0.0 else now,
                "attempt": attempt,
            }
        )
    if delay < 0:
        _trace_drop(sim, d.req, link, topic.id, inst.name, "omission")
        attempt_failed(sim, d)
        return
    sim.push(now + delay, _arrive, (d, inst))


def _arrive(sim: Sim, arg: tuple[Delivery, Any]) -> None:
    d, inst = arg
    if not inst.up:
        # It never reached a consumer: back on the queue, no attempt counted.
        dispatch(sim, d)
        return
    sub = d.sub
    job = services.Job(
        sub.svc,
        sub.op,
        d.req,
        sub.origin,
        d,
        d.attempt,
        d.hops + 1,
        sim.now,
        d.counted,
        True,
    )
    obs = sim.obs
    if obs is not None:
        obs(
            {
                "t": sim.now,
                "kind": "receive",
                "corr": d.req.corr,
                "link": sub.link.id,
                "src": sub.topic.id,
                "dst": inst.name,
                "msg": "event",
                "attempt": d.attempt,
                "op": sub.op.id,
            }
        )
    if services.job_arrive(sim, job, inst, False) != ACCEPTED:
        attempt_failed(sim, d)


def handled(sim: Sim, d: Delivery, ok: bool) -> None:
    """The subscriber's operation ended: delivered, or the attempt failed."""
    if not ok:
        attempt_failed(sim, d)
        return
    sub = d.sub
    sub.pending -= 1
    if d.counted:
        sub.topic.delivered += 1
        sub.link.succeeded += 1
        sub.topic.h_lag.add(sim.now - d.t_pub)


def attempt_failed(sim: Sim, d: Delivery) -> None:
    sub = d.sub
    topic = sub.topic
    if topic.max_deliveries is not None and d.attempt >= topic.max_deliveries:
        sub.pending -= 1
        if d.counted:
            topic.dead_lettered += 1
            sub.link.failed += 1
        if sim.obs is not None:
            sim.obs(
                {
                    "t": sim.now,
                    "kind": "dead_letter",
                    "corr": d.req.corr,
                    "link": sub.link.id,
                    "node": topic.id,
                    "attempt": d.attempt,
                    "reason": "max_deliveries",
                }
            )
        return
    if d.counted:
        topic.redelivered += 1
    d.attempt += 1
    sim.at(sim.now + topic.redelivery_s, dispatch, d)


def drain(sim: Sim, sub: SubRT) -> None:
    """A subscriber instance is up again: what waited on its queue goes out."""
    while sub.waiting:
        if not any(inst.up for inst in sub.svc.instances):
            return
        dispatch(sim, sub.waiting.popleft())


class PublishStyle(LinkStyle):
    """A `publish` link (bound to it by the engine)."""

    __slots__ = ()

    def start(self, sim: Sim, job: Job, link: LinkRT) -> None:
        """The job publishes a message on `link`'s topic and carries on at once."""
        topic = link.dst
        src = job.inst
        assert src is not None  # the publisher holds a worker
        if job.counted:
            link.calls += 1
            link.succeeded += 1
        delay = 0.0
        if link.faults:
            delay = faults.on_link(sim, link, job)
        now = sim.now
        obs = sim.obs
        if obs is not None:
            obs(
                {
                    "t": now,
                    "kind": "publish",
                    "corr": job.req.corr,
                    "link": link.id,
                    "src": src.name,
                    "dst": topic.id,
                    "msg": "event",
                    "arrive_t": now + delay if delay > 0.0 else now,
                }
            )
        if delay < 0 or job.hops >= HOP_LIMIT:
            # Dropped on the way, or a chain of messages that went round too often.
            if job.counted:
                topic.lost += 1
            reason = "omission" if delay < 0 else "hop_limit"
            _trace_drop(sim, job.req, link, src.name, topic.id, reason)
            return
        args = (topic, link, job.req, job.hops, sim.now, job.counted, src.name)
        if delay:
            sim.at(sim.now + delay, _at_topic, args)
        else:
            _at_topic(sim, args)


class DeliveryOrigin(Origin):
    """Whom the job handling a delivery (on a `subscribe` link) answers."""

    __slots__ = ()

    def reply(self, sim: Sim, job: Job, ok: bool, reason: str | None) -> None:
        """The job handling a delivery ended: the message is handled, or the attempt failed."""
        handled(sim, job.parent, ok)

    def lost(self, sim: Sim, job: Job, inst: Any, started: bool) -> None:
        """A crash lost the job handling a delivery: the attempt failed if it had started."""
        if started:
            attempt_failed(sim, job.parent)
        else:
            # Prefetched but not yet handled: back on the queue, no attempt spent.
            dispatch(sim, job.parent)


PUBLISH: Final = PublishStyle()
ORIGIN: Final = DeliveryOrigin(DELIVERY)
