"""Common data: services write records to a datastore that other services poll.

A write holds the writer's worker for `write_ms`. Each `poll` link reads the store every
`interval_ms` on one live instance of the reader (taking a worker for `read_ms`) and
sees the records written since its last poll; staleness is, per record and reader, the
time from the write to the end of the first poll that sees it. Records every reader has
seen are forgotten, so memory follows the unread backlog, not the run length.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Final

from . import balancing, faults, services
from .dists import sampler
from .metrics import Histogram
from .runtime import POLL, Item, LinkStyle

if TYPE_CHECKING:
    from .runtime import LinkRT, Sim
    from .services import Job


class StoreRT:
    __slots__ = (
        "base",
        "h_stale",
        "id",
        "last_write_t",
        "pollers",
        "read",
        "reads",
        "times",
        "total",
        "write",
        "writes",
    )

    def __init__(self, sim: Sim, model: Any) -> None:
        self.id = model.id
        rng = sim.stream(f"store/{self.id}")
        self.write = sampler(model.write_ms, rng)
        self.read = sampler(model.read_ms, rng)
        self.times: deque[float] = deque()  # write times of records some reader has not seen
        self.base = 0  # index of times[0] among all records
        self.total = 0  # records written
        self.pollers: list[PollRT] = []
        self.writes = self.reads = 0
        self.h_stale = Histogram(sim.histograms)
        self.last_write_t: float | None = None

    def behind(self, now: float) -> dict[str, float]:
        """Per reading service, how old the oldest record it has not seen yet is (s)."""
        out: dict[str, float] = {}
        for p in self.pollers:
            lag = now - self.times[p.cursor - self.base] if p.cursor < self.total else 0.0
            reader = p.svc.id
            out[reader] = max(out.get(reader, 0.0), round(lag, 6))
        return out

    def trim(self) -> None:
        low = min((p.cursor for p in self.pollers), default=self.total)
        while self.base < low and self.times:
            self.times.popleft()
            self.base += 1


class PollRT:
    __slots__ = ("cursor", "interval_s", "link", "store", "svc")

    def __init__(self, link: LinkRT, store: StoreRT, svc: Any, interval_s: float) -> None:
        self.link = link
        self.store = store
        self.svc = svc
        self.interval_s = interval_s
        self.cursor = 0


class PollTask(Item):
    """One poll as a queue item on the reader's instance."""

    __slots__ = ("poller", "upto")

    def __init__(self, poller: PollRT) -> None:
        self.kind = POLL
        self.op = None
        self.inst = None
        self.t_in = 0.0
        self.has_worker = False
        self.poller = poller
        self.upto = 0

    def begin(self, sim: Sim) -> None:
        """The reader's worker reads what was written up to now, for `read_ms`."""
        self.upto = self.poller.store.total
        delay = self.poller.store.read()
        link = self.poller.link
        if link.faults:
            delay += max(faults.on_link(sim, link, None), 0.0)
        sim.at(sim.now + delay, _poll_done, (self, self.inst))

    def lost(self, sim: Sim, inst: Any, started: bool) -> None:
        """A crash loses the poll; the next one reads what this one would have seen."""


def build(sim: Sim, scenario: Any) -> dict[str, StoreRT]:
    return {model.id: StoreRT(sim, model) for model in scenario.datastores}


def add_poller(sim: Sim, link: LinkRT) -> None:
    """Wire a `poll` link and schedule its first read one interval into the run."""
    store = sim.stores[link.src_id]
    assert link.interval_s is not None  # validation requires interval_ms on a poll link
    poller = PollRT(link, store, sim.services[link.dst_id], link.interval_s)
    store.pollers.append(poller)
    sim.at(poller.interval_s, _tick, poller)


def _write_done(sim: Sim, arg: tuple[Job, Any, bool]) -> None:
    job, link, lost = arg
    if job.dead:
        return
    store = link.dst
    if not lost:
        store.total += 1
        store.last_write_t = sim.now
        if store.pollers:
            store.times.append(sim.now)
        else:
            store.base = store.total
        if job.counted:
            store.writes += 1
            link.succeeded += 1
    elif job.counted:
        link.failed += 1
    if sim.obs is not None:
        src = job.inst
        assert src is not None  # the writer holds a worker
        event = {
            "t": sim.now,
            "kind": "write",
            "corr": job.req.corr,
            "link": link.id,
            "src": src.name,
            "dst": store.id,
            "msg": "write",
        }
        if lost:
            event["reason"] = "omission"
        sim.obs(event)
    services.sync_done(sim, job, link, True, None)


def _tick(sim: Sim, poller: PollRT) -> None:
    nxt = sim.now + poller.interval_s
    if nxt <= sim.end_s:
        sim.at(nxt, _tick, poller)
    inst = balancing.pick(sim, poller.svc, True)
    if inst is not None:
        services.enqueue(sim, inst, PollTask(poller))


def _poll_done(sim: Sim, arg: tuple[PollTask, Any]) -> None:
    task, inst = arg
    if task.inst is not inst or not task.has_worker:
        return  # the instance crashed while reading
    assert inst is not None  # it held a worker there
    poller = task.poller
    store = poller.store
    lo = max(poller.cursor, store.base)
    seen = max(0, task.upto - lo)
    if seen:
        counted = sim.now >= sim.warm_s
        times = store.times
        h = store.h_stale
        for i in range(lo - store.base, task.upto - store.base):
            t_w = times[i]
            if counted and t_w >= sim.warm_s:
                h.add(sim.now - t_w)
        poller.cursor = task.upto
        store.trim()
    if sim.now >= sim.warm_s:
        store.reads += 1
        poller.link.calls += 1
        poller.link.succeeded += 1
    if sim.obs is not None:
        sim.obs(
            {
                "t": sim.now,
                "kind": "poll",
                "link": poller.link.id,
                "src": store.id,
                "dst": inst.name,
                "msg": "poll",
                "records": seen,
            }
        )
    services.release_worker(sim, task)


class WriteStyle(LinkStyle):
    """A `write` link (bound to it by the engine)."""

    __slots__ = ()

    def start(self, sim: Sim, job: Job, link: LinkRT) -> None:
        """The job writes a record; its worker is held until the write is done."""
        store = link.dst
        delay = store.write()
        lost = False
        if link.faults:
            extra = faults.on_link(sim, link, job)
            lost = extra < 0
            delay += max(extra, 0.0)
        if job.counted:
            link.calls += 1
        sim.at(sim.now + delay, _write_done, (job, link, lost))


WRITE: Final = WriteStyle()
