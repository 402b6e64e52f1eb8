"""Bounded histograms and the figures the result document reports."""

from __future__ import annotations

import math
from typing import Any, Final

_RATIO: Final = 1.01
_INV_LOG_RATIO: Final = 1.0 / math.log(_RATIO)


class Histogram:
    """Log-bucketed histogram (bucket ratio 1.01): exact count, mean and max, percentiles
    within 0.5 % relative error, memory bounded by the value range, not the sample count.

    `add(x)` only appends to a buffer (one C call on the hot path); `flush` folds the
    buffer into the buckets in one pass. The engine flushes every histogram
    once per simulated second, so the buffer holds at most one second of values.

    Bucket k holds the values x > 0 with floor(log(x) / log(1.01)) == k; `counts[i]` is
    bucket `base + i`, so the list spans the buckets from the smallest value's to the
    largest's (about 230 per factor of 10 between them).
    """

    __slots__ = ("add", "base", "buf", "count", "counts", "max", "min", "total", "zeros")

    def __init__(self, registry: list[Histogram] | None = None) -> None:
        self.buf: list[float] = []
        self.add = self.buf.append
        self.counts: list[int] = []
        self.base = 0
        self.zeros = 0
        self.count = 0
        self.total = 0.0
        self.min = math.inf
        self.max = -math.inf
        if registry is not None:
            registry.append(self)

    def flush(self) -> None:
        """Fold the buffered values (each >= 0) into the buckets."""
        buf = self.buf
        if not buf:
            return
        self.count += len(buf)
        self.total += math.fsum(buf)
        low = self.min
        high = self.max
        counts = self.counts
        base = self.base
        n = len(counts)
        for x in buf:
            if x < low:
                low = x
            if x > high:
                high = x
            if x <= 0.0:
                self.zeros += 1
                continue
            # (math.log and math.floor spelt out: a compiled build calls C's directly.)
            i = math.floor(math.log(x) * _INV_LOG_RATIO) - base
            if i < 0 or i >= n:
                k = base + i
                base = self._span(k)
                n = len(counts)
                i = k - base
            counts[i] = counts[i] + 1
        self.min = low
        self.max = high
        buf.clear()

    def _span(self, k: int) -> int:
        """Grow `counts` (in place) to take bucket k; returns the new base."""
        counts = self.counts
        if not counts:
            counts.append(0)
            self.base = k
        elif k < self.base:
            counts[:0] = [0] * (self.base - k)
            self.base = k
        else:
            counts.extend([0] * (k - self.base - len(counts) + 1))
        return self.base

    def mean(self) -> float | None:
        self.flush()
        return self.total / self.count if self.count else None

    def quantiles(self, qs: tuple[float, ...]) -> list[float | None]:
        """Nearest-rank quantiles; each is the middle of its bucket, clamped to [min, max]."""
        self.flush()
        if not self.count:
            return [None] * len(qs)
        ranks = [max(1, math.ceil(q * self.count)) for q in qs]
        out: list[float | None] = [None] * len(qs)
        order = sorted(range(len(qs)), key=lambda i: ranks[i])
        seen = self.zeros
        j = 0
        while j < len(order) and ranks[order[j]] <= seen:
            out[order[j]] = 0.0
            j += 1
        if j < len(order):
            for i, c in enumerate(self.counts):
                if not c:
                    continue
                seen += c
                k = self.base + i
                while j < len(order) and ranks[order[j]] <= seen:
                    mid = math.exp((k + 0.5) / _INV_LOG_RATIO)
                    out[order[j]] = min(self.max, max(self.min, mid))
                    j += 1
                if j >= len(order):
                    break
        return out

    def summary_ms(self, with_p90: bool = False) -> dict[str, float | None]:
        """Mean, p50, (p90,) p95, p99 and max in ms (values recorded in seconds)."""
        qs = (0.5, 0.9, 0.95, 0.99) if with_p90 else (0.5, 0.95, 0.99)
        names = ("p50", "p90", "p95", "p99") if with_p90 else ("p50", "p95", "p99")
        mean = self.mean()
        out: dict[str, float | None] = {"mean": ms(mean)}
        for name, value in zip(names, self.quantiles(qs), strict=True):
            out[name] = ms(value)
        out["max"] = ms(self.max) if self.count else None
        return out


def exact_quantiles(values: list[float], qs: tuple[float, ...]) -> list[float | None]:
    """Nearest-rank quantiles of a small list of values."""
    if not values:
        return [None] * len(qs)
    ordered = sorted(values)
    return [ordered[max(1, math.ceil(q * len(ordered))) - 1] for q in qs]


def ms(seconds: float | None) -> float | None:
    """Seconds to ms, rounded to a microsecond so results compare byte for byte."""
    if seconds is None:
        return None
    return round(seconds * 1000.0, 3)


def sig(x: float, digits: int = 6) -> float:
    """Round to significant digits (stable JSON across runs)."""
    if x == 0 or not math.isfinite(x):
        return 0.0 if x == 0 else x
    return float(f"{x:.{digits}g}")


def empty_summary(with_p90: bool = False) -> dict[str, Any]:
    return Histogram().summary_ms(with_p90)


class Timeline:
    """Per simulated second: arrivals, outcomes, latency percentiles, in-flight requests
    and each service's utilisation. Only the current second's histogram is kept."""

    def __init__(self, service_ids: list[str]) -> None:
        self.t_s: list[int] = []
        self.arrived_l: list[int] = []
        self.succeeded_l: list[int] = []
        self.failed_l: list[int] = []
        self.p50: list[float | None] = []
        self.p99: list[float | None] = []
        self.in_flight: list[int] = []
        self.util: dict[str, list[float]] = {sid: [] for sid in service_ids}
        self.arrived = 0
        self.succeeded = 0
        self.failed = 0
        self.latencies: list[float] = []
        self.t0 = 0.0

    def close_bucket(self, sim: Any) -> None:
        now = sim.now
        self.t_s.append(len(self.t_s))
        self.arrived_l.append(self.arrived)
        self.succeeded_l.append(self.succeeded)
        self.failed_l.append(self.failed)
        p50, p99 = exact_quantiles(self.latencies, (0.5, 0.99))
        self.p50.append(ms(p50))
        self.p99.append(ms(p99))
        self.in_flight.append(sim.in_flight)
        span = now - self.t0
        for svc in sim.services.values():
            svc.touch(now)
            used = svc.a_busy - svc.tick_busy
            svc.tick_busy = svc.a_busy
            self.util[svc.id].append(sig(used / (svc.capacity * span)) if span > 0 else 0.0)
        self.arrived = self.succeeded = self.failed = 0
        self.latencies = []
        self.t0 = now
        for h in sim.histograms:
            h.flush()

    def close(self, sim: Any) -> None:
        """Close the last (maybe partial) second at the end of the run."""
        if sim.now > self.t0 or not self.t_s:
            self.close_bucket(sim)

    def document(self) -> dict[str, Any]:
        return {
            "t_s": self.t_s,
            "arrived": self.arrived_l,
            "succeeded": self.succeeded_l,
            "failed": self.failed_l,
            "latency_p50_ms": self.p50,
            "latency_p99_ms": self.p99,
            "in_flight": self.in_flight,
            "utilization": self.util,
        }


def _service_figures(sim: Any, svc: Any) -> dict[str, Any]:
    span = sim.now - sim.warm_s
    busy = svc.a_busy - svc.warm[0]
    blocked = svc.a_blocked - svc.warm[1]
    queued = svc.a_queue - svc.warm[2]
    return {
        "received": svc.received,
        "completed": svc.completed,
        "failed": svc.failed,
        "rejected": svc.rejected,
        "utilization": sig(busy / (svc.capacity * span)) if span > 0 else 0.0,
        "blocked_fraction": sig(blocked / busy) if busy > 0 else 0.0,
        "queue_length_mean": sig(queued / span) if span > 0 else 0.0,
        "queue_wait_ms": svc.h_wait.summary_ms(),
        "response_ms": svc.h_resp.summary_ms(),
    }


def result(sim: Any) -> dict[str, Any]:
    """The result document of a finished run (scenario-format.md, `Result`)."""
    span = sim.duration_s - sim.warm_s
    links = {}
    for link in sim.links.values():
        br = link.breaker
        links[link.id] = {
            "calls": link.calls,
            "succeeded": link.succeeded,
            "failed": link.failed,
            "timeouts": link.timeouts,
            "retries": link.retries_n,
            "latency_ms": link.h_lat.summary_ms(),
            "circuit_open_s": sig(br.open_total(sim.now)) if br is not None else 0.0,
        }
    return {
        "format": "mscomm.result/1",
        "scenario": sim.scenario.name,
        "seed": sim.seed,
        "sim_time_s": round(sim.now, 6),
        "requests": {
            "started": sim.started,
            "succeeded": sim.succeeded,
            "late": sim.late,
            "failed": sim.failed,
            "unfinished": sim.started - sim.succeeded - sim.late - sim.failed,
            "failures": dict(sim.failures),
            "met_fault": dict(sim.met),
            "latency_ms": sim.h_lat.summary_ms(with_p90=True),
            # Throughput counts every completion, goodput only those within the deadline.
            "throughput_per_s": sig((sim.succeeded + sim.late) / span) if span > 0 else 0.0,
            "goodput_per_s": sig(sim.succeeded / span) if span > 0 else 0.0,
        },
        "services": {svc.id: _service_figures(sim, svc) for svc in sim.services.values()},
        "links": links,
        "topics": {
            t.id: {
                "published": t.published,
                "delivered": t.delivered,
                "redelivered": t.redelivered,
                "dead_lettered": t.dead_lettered,
                "lost": t.lost,
                "delivery_lag_ms": t.h_lag.summary_ms(),
            }
            for t in sim.topics.values()
        },
        "datastores": {
            s.id: {
                "writes": s.writes,
                "reads": s.reads,
                "staleness_ms": s.h_stale.summary_ms(),
            }
            for s in sim.stores.values()
        },
        "timeline": sim.tl.document(),
        "faults_injected": list(sim.faults_injected),
        "incidents": list(sim.narrator.found) if sim.narrator is not None else [],
        "stop": sim.stop_info,
        "engine": {"events": sim.events, "wall_s": round(sim.wall_s, 6)},
    }


def state(sim: Any) -> dict[str, Any]:
    """Snapshot of every node and link now (docs/core-api.md, `State snapshot`)."""
    services = {}
    for svc in sim.services.values():
        insts = []
        for inst in svc.instances:
            held = inst.workers - inst.free
            insts.append(
                {
                    "up": inst.up,
                    "working": held - inst.blocked,
                    "blocked": inst.blocked,
                    "idle": inst.free,
                    "queue": len(inst.queue),
                }
            )
        services[svc.id] = {"instances": insts}
    links: dict[str, dict[str, Any]] = {}
    for link in sim.links.values():
        br = link.breaker
        links[link.id] = {
            "in_flight": link.in_flight,
            "breaker": br.state if br is not None else None,
        }
    for lid, queued in _async_queued(sim).items():
        links[lid]["queued"] = queued
    return {
        "t": round(sim.now, 6),
        "requests": {
            "arrived": sim.n_req,
            "succeeded": sim.all_ok,
            "failed": sim.all_failed,
            "in_flight": sim.in_flight,
        },
        "services": services,
        "links": links,
        "topics": {
            t.id: {
                "up": not t.down,
                "backlog": {sub.svc.id: sub.pending for sub in t.subs},
                "published": t.published,
                "redelivered": t.redelivered,
                "dead_lettered": t.dead_lettered,
                # A subscription link fails only when its event is dead-lettered.
                "dead_letters": {sub.svc.id: sub.link.failed for sub in t.subs},
            }
            for t in sim.topics.values()
        },
        "datastores": {
            s.id: {
                "records": s.total,
                "last_write_t": round(s.last_write_t, 6) if s.last_write_t is not None else None,
                "behind": s.behind(sim.now),
            }
            for s in sim.stores.values()
        },
    }


def _async_queued(sim: Any) -> dict[str, dict[str, int]]:
    """Per `async` link: requests waiting for a callee worker (instance queues and the
    service's own queue while no instance is up) and replies waiting for a caller's."""
    from .runtime import ASYNC, OP, REPLY

    out = {
        link.id: {"request": 0, "reply": 0} for link in sim.links.values() if link.style == "async"
    }
    if not out:
        return out
    for svc in sim.services.values():
        for inst in svc.instances:
            for item in inst.queue:
                if item.kind == OP:
                    if item.pkind == ASYNC:
                        out[item.parent.link.id]["request"] += 1
                elif item.kind == REPLY:
                    out[item.call.link.id]["reply"] += 1
        for call, _ in svc.backlog:
            out[call.link.id]["request"] += 1
        for task in svc.reply_backlog:
            out[task.call.link.id]["reply"] += 1
    return out
