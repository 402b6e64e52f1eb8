"""What every engine module shares at run time: the calendar (`Sim`), queue items, links,
requests, the origins of jobs, and the constants that name their states.

This is the bottom layer: it imports nothing of the package but the leaf modules
`dists` and `metrics`. The style modules hang their behaviour on these objects instead
of importing one another: the engine (the composition root) binds, once per run, what a
link does (`LinkRT.behaviour`, a `LinkStyle`: what happens when an operation calls it,
when an attempt goes out, when a call has its outcome), whom a callee's job answers
(`LinkRT.origin`, an `Origin`), and what a service does when an instance restarts
(`ServiceRT.on_restart`, services.py); each kind of queue item says itself how it starts
and what a crash does to it (`Item.begin`, `Item.lost`).
So the modules import one way:

    runtime <- faults <- services <- resilience <- topics, common_data
            <- network <- sync, messaging <- engine
"""

from __future__ import annotations

import random
from collections.abc import Callable
from heapq import heappush
from typing import TYPE_CHECKING, Any, Final

from .dists import sampler, stream
from .metrics import Histogram

if TYPE_CHECKING:
    from .resilience import Call
    from .services import InstanceRT, Job, OpRT

# True when this module runs compiled (an extension module, not Python source); not to
# be confused with `patterns.native.COMPILED`, the list of the modules a build compiles.
AS_EXTENSION: Final = not __file__.endswith((".py", ".pyc"))

# How many hops a request may make (calls and deliveries) before a call fails.
HOP_LIMIT: Final = 64
INF: Final = float("inf")  # a request without a deadline waits for ever

# Who started a job (its origin's kind).
EXTERNAL: Final = 0
SYNC: Final = 1
ASYNC: Final = 2
DELIVERY: Final = 3
# Kinds of queue items.
OP: Final = 0
REPLY: Final = 1
POLL: Final = 2

# What became of a request that reached an instance.
ACCEPTED: Final = 0
DROPPED: Final = 1
REJECTED: Final = 2

# Clock ticks (timeline buckets, warm-up) run before anything else at the same instant.
TICK: Final = 0
NORMAL: Final = 1

Observer = Callable[[dict[str, Any]], None]
Handler = Callable[[Any, Any], Any]


class Event:
    """A scheduled callback on the heap in a compiled build (interpreted runs use tuples):
    the engine's event, never a trace event or a published message."""

    __slots__ = ("arg", "fn", "seq", "t")

    def __init__(self, t: float, seq: int, fn: Handler, arg: Any) -> None:
        self.t = t
        self.seq = seq
        self.fn = fn
        self.arg = arg

    def __lt__(self, other: Event) -> bool:
        return self.t < other.t or (self.t == other.t and self.seq < other.seq)


class Sim:
    """The calendar and topology of one run, as the engine modules see it.

    A base class of `engine.Simulation` rather than a `typing.Protocol`: a compiled build
    then reaches its attributes and methods natively. It holds the clock, the event heap,
    the seeded streams, the observers and the run-time nodes and links; the run's life
    (requests, the run loop, results) is the engine's.
    """

    heap: list[Any]
    seq: int
    early: int
    now: float
    seed: int
    obs: Observer | None
    obs_detail: Observer | None
    end_s: float
    warm_s: float
    histograms: list[Histogram]
    services: dict[str, Any]
    topics: dict[str, Any]
    stores: dict[str, Any]
    links: dict[str, LinkRT]

    def __init__(self, seed: int, observer: Observer | None, detail: bool) -> None:
        self.seed = seed
        self.obs = observer
        # Worker events (`start`, `end`) only for callers that rebuild one request's
        # path: live frames do not draw them, and there are two per hop.
        self.obs_detail = observer if detail else None
        # (time, sequence, callback, arg). Early events (clock ticks, fault windows,
        # control) draw their sequence numbers below every ordinary one, so at equal
        # times they run first, in the order they were scheduled.
        self.heap = []  # tuples, or Events when compiled
        # The next sequence number of each range (plain ints: one add, no call).
        self.seq = 0
        self.early = -(1 << 62)
        self.now = 0.0
        self.end_s = 0.0
        self.warm_s = 0.0
        self.histograms = []  # flushed once per simulated second
        self.services = {}
        self.topics = {}
        self.stores = {}
        self.links = {}

    def stream(self, name: str) -> random.Random:
        """The random stream for one purpose or entity of this run."""
        return stream(self.seed, name)

    def at(self, t: float, fn: Handler, arg: Any = None, prio: int = NORMAL) -> None:
        """Call `fn(sim, arg)` at simulated time `t`."""
        if prio:
            seq = self.seq
            self.seq = seq + 1
        else:
            seq = self.early
            self.early = seq + 1
        self.schedule(t, seq, fn, arg)

    def push(self, t: float, fn: Handler, arg: Any) -> None:
        """`at(t, fn, arg)` for the hot paths: ordinary priority, no branch on it."""
        seq = self.seq
        self.seq = seq + 1
        self.schedule(t, seq, fn, arg)

    def schedule(self, t: float, seq: int, fn: Handler, arg: Any) -> None:
        """Put an event with its sequence number on the heap."""
        if AS_EXTENSION:
            heappush(self.heap, Event(t, seq, fn, arg))
        else:
            heappush(self.heap, (t, seq, fn, arg))


class Item:
    """What waits in an instance's queue for a worker and then holds one: a job (`OP`,
    services.py), the handling of an async reply (`REPLY`, messaging.py) or a poll
    (`POLL`, common_data.py). Subclasses set every attribute in their own `__init__`."""

    __slots__ = ("has_worker", "inst", "kind", "op", "t_in")

    kind: int
    op: OpRT | None
    inst: InstanceRT | None
    t_in: float
    has_worker: bool

    def begin(self, sim: Sim) -> None:
        """The item got a worker (services.begin runs a job's work itself)."""
        raise NotImplementedError

    def lost(self, sim: Sim, inst: Any, started: bool) -> None:
        """The instance holding or queueing the item crashed (`started`: it held a worker
        there); the item's worker and place in the queue are already taken back."""
        raise NotImplementedError


class LinkStyle:
    """What the links of one style do; one instance per style (the style modules'), bound
    to each link by the engine. Each style implements what its links are asked."""

    __slots__ = ()

    def start(self, sim: Sim, job: Job, link: LinkRT) -> None:
        """An operation's job calls `link`."""
        raise NotImplementedError

    def send(self, sim: Sim, call: Call) -> None:
        """An attempt of a call on the link goes out (sync and async links)."""
        raise NotImplementedError

    def finish(self, sim: Sim, call: Call, ok: bool, reason: str | None, inst: Any) -> None:
        """A call on the link has its final outcome (sync and async links)."""
        raise NotImplementedError


class Origin:
    """Who started a job, and what its end means to them; one instance per kind."""

    __slots__ = ("kind",)

    def __init__(self, kind: int) -> None:
        self.kind = kind

    def reply(self, sim: Sim, job: Job, ok: bool, reason: str | None) -> None:
        """The job ended (ok, or failed for `reason`)."""
        raise NotImplementedError

    def lost(self, sim: Sim, job: Job, inst: Any, started: bool) -> None:
        """A crash of `inst` lost the job (`started`: it held a worker there)."""
        raise NotImplementedError


# What a link does before the engine binds its style: nothing it may be asked.
UNBOUND: Final = LinkStyle()


class LinkRT:
    """A link at run time: its samplers and options in seconds, its figures, and what it
    does (bound by the engine to its style's functions)."""

    __slots__ = (
        "backoff_s",
        "behaviour",
        "blocks",
        "breaker",
        "callee_op",
        "calls",
        "dst",
        "dst_id",
        "failed",
        "faults",
        "h_lat",
        "holds",
        "id",
        "in_flight",
        "interval_s",
        "multiplier",
        "net",
        "op_id",
        "optional",
        "origin",
        "prob",
        "prob_rng",
        "reply_work",
        "retries",
        "retries_n",
        "src_id",
        "step",
        "style",
        "sub",
        "succeeded",
        "timeout_s",
        "timeouts",
        "waits",
    )

    def __init__(self, sim: Sim, model: Any) -> None:
        self.id = model.id
        self.style = model.style
        self.src_id = model.from_
        self.dst_id = model.to
        rng = sim.stream(f"net/{self.id}")
        self.net = sampler(model.network_ms, rng)
        self.timeout_s = model.timeout_ms / 1000.0 if model.timeout_ms is not None else None
        self.retries = model.retries
        self.backoff_s = model.backoff_ms / 1000.0
        self.multiplier = model.backoff_multiplier
        self.breaker: Any = None  # a resilience.Breaker, set by the engine
        self.reply_work = sampler(model.reply_work_ms, rng)
        self.step = model.step
        self.prob = float(model.probability)
        self.prob_rng = sim.stream(f"prob/{self.id}")
        self.optional = bool(model.optional)
        self.op_id = model.operation or "default"
        self.callee_op: Any = None
        self.interval_s = model.interval_ms / 1000.0 if model.interval_ms else None
        self.faults: list[Any] = []
        self.sub: Any = None
        self.dst: Any = None
        self.calls = self.succeeded = self.failed = self.timeouts = self.retries_n = 0
        self.h_lat = Histogram(sim.histograms)
        self.in_flight = 0
        # What it does: its style's (bound by the engine).
        self.behaviour: LinkStyle = UNBOUND
        # How a call on it counts for the calling job: it holds the caller's worker until
        # its outcome (`holds`: sync, write), it is waited for without one (`waits`:
        # async), the caller counts as blocked meanwhile (`blocks`: sync).
        self.holds = self.waits = self.blocks = False
        # Whom the job a request starts at the callee (or a delivery at the subscriber)
        # answers.
        self.origin: Origin | None = None


class Request:
    """An external request from the workload (alive only while something refers to it)."""

    __slots__ = ("corr", "counted", "deadline", "done", "met", "t0", "tally")

    def __init__(
        self, corr: str, t0: float, counted: bool, tally: dict[str, int], deadline: float = INF
    ) -> None:
        self.corr = corr
        self.t0 = t0
        # Seconds the client waits (its workload's deadline_ms): a success after it is late.
        self.deadline = deadline
        self.counted = counted
        self.met = 0  # bits of the fault modes met so far
        self.done = False
        # Where met faults are counted (None when the request is not counted).
        self.tally = tally if counted else None
