"""One request's path through a run: spans with phases, rebuilt from trace events.

The engine is deterministic, so nothing per request needs storing: re-running the run's
scenario with its seed (and its injected faults) and keeping only one correlation id's
events (`request_events`) gives that request's whole story. `build_trace` turns those
events into spans (a parent/child tree: server, client, producer and consumer spans)
whose phases say where the time went: `queued` for a worker, `working`, `blocked` on a
sync call, `waiting` for async replies (no worker held), `network`, `attempt`, `backoff`.
`patterns.trace_export` writes a trace as OTLP JSON or a Mermaid sequence diagram.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from patterns.engine import Control, simulate

MAX_TRACE_EVENTS = 5000
SAMPLE_SIZE = 50

# When phases of a job overlap, the one shown is the first in this order.
_PRIORITY = ("network", "blocked", "waiting", "queued")


def _rerun(
    scenario: Any,
    observer: Any,
    seed: int | None,
    faults_injected: Iterable[Mapping[str, Any]],
    max_engine_events: int | None,
    stop_s: float | None,
    detail: bool = False,
) -> None:
    """Run again exactly as the run went: same seed, injected faults at their times, and
    stopped where its owner stopped it."""
    control = Control()
    for fault in faults_injected:
        control.inject(dict(fault), at_s=fault.get("from_s"))
    if stop_s is not None:
        control.stop_at(stop_s)
    simulate(
        scenario,
        seed=seed,
        observer=observer,
        control=control,
        max_events=max_engine_events,
        detail=detail,
    )


def request_events(
    scenario: Any,
    corr: str,
    *,
    seed: int | None = None,
    faults_injected: Iterable[Mapping[str, Any]] = (),
    max_events: int = MAX_TRACE_EVENTS,
    max_engine_events: int | None = None,
    stop_s: float | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """The trace events (with worker detail) of request `corr`, and whether they were cut
    short at `max_events`."""
    kept: list[dict[str, Any]] = []
    cut = [False]

    def observe(event: dict[str, Any]) -> None:
        if event.get("corr") == corr:
            if len(kept) < max_events:
                kept.append(event)
            else:
                cut[0] = True

    _rerun(scenario, observe, seed, faults_injected, max_engine_events, stop_s, detail=True)
    return kept, cut[0]


def request_outcomes(
    scenario: Any,
    *,
    seed: int | None = None,
    faults_injected: Iterable[Mapping[str, Any]] = (),
    max_engine_events: int | None = None,
    stop_s: float | None = None,
) -> list[dict[str, Any]]:
    """Every external request of a run: `corr`, `entry`, `t_s`, `outcome`
    (`succeeded`, `failed`, `unfinished`), `reason` and `latency_ms` (None if unfinished)."""
    found: dict[str, dict[str, Any]] = {}

    def observe(event: dict[str, Any]) -> None:
        kind = event["kind"]
        if kind == "arrive":
            found[event["corr"]] = {
                "corr": event["corr"],
                "entry": event["node"],
                "t_s": event["t"],
                "outcome": "unfinished",
                "reason": None,
                "latency_ms": None,
            }
        elif kind in ("complete", "fail"):
            item = found.get(event["corr"])
            if item is not None:
                item["outcome"] = "succeeded" if kind == "complete" else "failed"
                item["reason"] = event.get("reason")
                item["latency_ms"] = _ms(event["t"] - item["t_s"])

    _rerun(scenario, observe, seed, faults_injected, max_engine_events, stop_s)
    return list(found.values())


def request_sample(outcomes: Sequence[Mapping[str, Any]], size: int = SAMPLE_SIZE) -> list[Any]:
    """A sample worth looking at: failed first, then unfinished, then the slowest."""
    rank = {"failed": 0, "unfinished": 1, "succeeded": 2}

    def key(item: Mapping[str, Any]) -> tuple[int, float, float]:
        latency = item.get("latency_ms")
        return (rank[item["outcome"]], -(latency or 0.0), item["t_s"])

    return sorted(outcomes, key=key)[:size]


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 6)


class _Span:
    __slots__ = (
        "attempts",
        "children",
        "end",
        "events",
        "id",
        "instance",
        "kind",
        "link",
        "name",
        "node",
        "op",
        "parent",
        "reason",
        "replies",
        "start",
        "status",
        "style",
        "target",
        "worker_t",
    )

    def __init__(self, sid: int, kind: str, parent: _Span | None, start: float) -> None:
        self.id = sid
        self.kind = kind
        self.parent = parent
        self.start = start
        self.end: float | None = None
        self.name = ""
        self.node: str | None = None
        self.instance: str | None = None
        self.link: str | None = None
        self.op: str | None = None
        self.style: str | None = None
        self.target: str | None = None
        self.status = "unfinished"
        self.reason: str | None = None
        self.worker_t: float | None = None
        self.events: list[dict[str, Any]] = []
        self.children: list[_Span] = []
        # Client spans: one dict per attempt; async calls: when their reply got a worker.
        self.attempts: list[dict[str, Any]] = []
        self.replies: list[float] = []


class _Builder:
    """Feeds one request's events, in order, into a tree of spans."""

    def __init__(self, styles: Mapping[str, str]) -> None:
        self.styles = styles
        self.spans: list[_Span] = []
        self.root: _Span | None = None
        self.outcome = "unfinished"
        self.reason: str | None = None
        self.t_last = 0.0

    def span(self, kind: str, parent: _Span | None, start: float) -> _Span:
        span = _Span(len(self.spans) + 1, kind, parent, start)
        self.spans.append(span)
        if parent is not None:
            parent.children.append(span)
        return span

    # -- lookups -----------------------------------------------------------------------

    def job_at(self, instance: str | None, *, running: bool = True) -> _Span | None:
        """The latest job at `instance` that has not ended (and holds a worker, if
        `running`); else the latest running one of its service, where an async reply
        carried the operation on."""
        node = (instance or "").split("/")[0]
        fallback = None
        for span in reversed(self.spans):
            if span.kind not in ("server", "consumer") or span.end is not None:
                continue
            if span.worker_t is None and running:
                continue
            if span.instance == instance:
                return span
            if fallback is None and span.node == node:
                fallback = span
        return fallback if running else None

    def job_for(self, instance: str, link: str | None, attempt: int | None) -> _Span | None:
        for span in self.spans:
            if (
                span.kind in ("server", "consumer")
                and span.instance == instance
                and span.link == link
                and span.end is None
                and (attempt is None or span.attempts[0]["attempt"] == attempt)
            ):
                return span
        return None

    def call_for(self, link: str, attempt: int | None = None) -> _Span | None:
        """The open client span on `link` (whose current attempt is `attempt`)."""
        for span in reversed(self.spans):
            if span.kind != "client" or span.link != link or span.end is not None:
                continue
            if attempt is None or (span.attempts and span.attempts[-1]["attempt"] == attempt):
                return span
        return None

    # -- events ------------------------------------------------------------------------

    def feed(self, e: Mapping[str, Any]) -> None:
        self.t_last = max(self.t_last, e["t"])
        handler = getattr(self, "on_" + e["kind"], None)
        if handler is not None:
            handler(e)

    def _job(self, e: Mapping[str, Any], kind: str, parent: _Span | None, start: float) -> _Span:
        span = self.span(kind, parent, start)
        span.node = e["dst"].split("/")[0] if "dst" in e else e["node"]
        span.instance = e["dst"] if "dst" in e else f"{e['node']}/{e['instance']}"
        span.link = e.get("link")
        span.op = e.get("op")
        span.name = f"{span.node} {span.op}"
        span.attempts = [{"attempt": e.get("attempt", 1), "t": e["t"]}]
        return span

    def on_arrive(self, e: Mapping[str, Any]) -> None:
        self.root = self._job(e, "server", None, e["t"])

    def on_receive(self, e: Mapping[str, Any]) -> None:
        if e["msg"] == "event":
            consumer = self.job_for(e["dst"], e["link"], e["attempt"])
            if consumer is not None:
                consumer.op = e.get("op")
                consumer.name = f"{consumer.node} {consumer.op}"
            return
        call = self.call_for(e["link"], e["attempt"])
        self._job(e, "server", call, e["t"])

    def on_start(self, e: Mapping[str, Any]) -> None:
        instance = f"{e['node']}/{e['instance']}"
        if e["msg"] == "reply":
            call = self.call_for_reply(e["link"])
            if call is not None:
                call.replies.append(e["t"])
            return
        job = self.job_for(instance, e["link"], e["attempt"])
        if job is not None and job.worker_t is None:
            job.worker_t = e["t"]

    def call_for_reply(self, link: str) -> _Span | None:
        """The async call on `link` whose outcome is known but not yet handled."""
        for span in self.spans:
            if span.kind == "client" and span.link == link and span.style == "async":
                done = span.attempts and span.attempts[-1]["outcome"] is not None
                if done and not span.replies:
                    return span
        return None

    def on_end(self, e: Mapping[str, Any]) -> None:
        instance = f"{e['node']}/{e['instance']}"
        job = self.job_for(instance, e["link"], e["attempt"])
        if job is not None:
            job.end = e["t"]
            job.status = "ok" if e.get("ok") else "error"
            job.reason = e.get("reason")

    def on_send(self, e: Mapping[str, Any]) -> None:
        attempt = e["attempt"]
        call = None if attempt == 1 else self.call_for(e["link"])
        if call is None:
            call = self.span("client", self.job_at(e["src"]), e["t"])
            call.link = e["link"]
            call.style = self.styles.get(e["link"], "sync")
            call.node = e["src"].split("/")[0]
            call.instance = e["src"]
            call.name = f"{e['link']} call"
        call.target = e["dst"]
        call.attempts.append({"attempt": attempt, "t": e["t"], "end": None, "outcome": None})

    def on_reply(self, e: Mapping[str, Any]) -> None:
        call = self.call_for(e["link"], e["attempt"])
        if call is None:
            return
        current = call.attempts[-1]
        if current["outcome"] is None:
            current["end"] = e["arrive_t"]
            current["outcome"] = "ok" if e.get("ok") else e.get("reason") or "error"

    def on_timeout(self, e: Mapping[str, Any]) -> None:
        call = self.call_for(e["link"], e["attempt"])
        if call is None:
            return
        current = call.attempts[-1]
        if current["end"] is None or e["t"] <= current["end"]:
            current["end"] = e["t"]
            current["outcome"] = "timeout"
        call.events.append({"t": e["t"], "name": "timeout", "attempt": e["attempt"]})

    def on_retry(self, e: Mapping[str, Any]) -> None:
        call = self.call_for(e["link"])
        if call is not None:
            call.events.append(
                {"t": e["t"], "name": "retry", "attempt": e["attempt"], "reason": e.get("reason")}
            )

    def on_drop(self, e: Mapping[str, Any]) -> None:
        event = {"t": e["t"], "name": "dropped", "reason": e.get("reason")}
        if e.get("link"):
            owner = self.call_for(e["link"]) or self.root
            if owner is not None:
                owner.events.append(event)
            return
        # A service dropped the request it just received (an omission fault).
        self._refuse(self.job_at(e.get("dst"), running=False), e, event)

    def on_rejected(self, e: Mapping[str, Any]) -> None:
        job = self.job_at(f"{e['node']}/{e['instance']}", running=False)
        self._refuse(job, e, {"t": e["t"], "name": "rejected", "reason": e.get("reason")})

    def _refuse(self, job: _Span | None, e: Mapping[str, Any], event: dict[str, Any]) -> None:
        if job is not None and job.worker_t is None:
            job.end = e["t"]
            job.status = "error"
            job.reason = e.get("reason")
            job.events.append(event)

    def on_publish(self, e: Mapping[str, Any]) -> None:
        producer = self.span("producer", self.job_at(e["src"]), e["t"])
        producer.end = e["t"]
        producer.status = "ok"
        producer.link = e["link"]
        producer.node = e["src"].split("/")[0]
        producer.instance = e["src"]
        producer.target = e["dst"]
        producer.name = f"{e['link']} publish"

    def on_deliver(self, e: Mapping[str, Any]) -> None:
        producer = next(
            (
                s
                for s in reversed(self.spans)
                if s.kind == "producer" and s.target == e["src"] and s.start <= e["t"]
            ),
            None,
        )
        consumer = self._job(e, "consumer", producer, e["t"])
        consumer.target = e["src"]
        consumer.events.append({"t": e["t"], "name": "delivered", "attempt": e["attempt"]})
        consumer.attempts[0]["arrive_t"] = e["arrive_t"]

    on_redeliver = on_deliver

    def on_dead_letter(self, e: Mapping[str, Any]) -> None:
        if self.root is not None:
            self.root.events.append({"t": e["t"], "name": "dead_letter", "reason": e.get("reason")})

    def on_write(self, e: Mapping[str, Any]) -> None:
        write = self.span("client", self.job_at(e["src"]), e["t"])
        write.end = e["t"]
        write.link = e["link"]
        write.style = "write"
        write.node = e["src"].split("/")[0]
        write.instance = e["src"]
        write.target = e["dst"]
        write.name = f"{e['link']} write"
        write.status = "error" if e.get("reason") else "ok"
        write.reason = e.get("reason")

    def on_complete(self, e: Mapping[str, Any]) -> None:
        self.outcome = "succeeded"
        if self.root is not None:
            self.root.end = e["t"]
            self.root.status = "ok"

    def on_fail(self, e: Mapping[str, Any]) -> None:
        self.outcome = "failed"
        self.reason = e.get("reason")
        if self.root is not None:
            self.root.end = e["t"] if self.root.end is None else self.root.end
            self.root.status = "error"
            self.root.reason = self.reason


def link_styles(scenario: Any) -> dict[str, str]:
    """Link id -> style for `build_trace`, from a loaded scenario."""
    return {link.id: link.style for link in scenario.links}


def build_trace(
    events: Iterable[Mapping[str, Any]],
    styles: Mapping[str, str],
    *,
    truncated: bool = False,
) -> dict[str, Any]:
    """The trace of one request from its events (`request_events`), JSON-ready.

    Times are simulated milliseconds from the run's start. Spans come in the order they
    began; each has `id`, `parent` (None for the root), `kind`, `name`, `node`,
    `instance`, `link`, `start_ms`, `end_ms`, `status` (`ok`, `error`, `unfinished`),
    `reason`, `phases` (`[{"phase", "start_ms", "end_ms"}]`, contiguous) and `events`.
    """
    builder = _Builder(styles)
    corr = None
    for e in events:
        corr = corr or e.get("corr")
        builder.feed(e)
    end = builder.t_last
    for span in builder.spans:
        if span.kind == "client" and span.attempts:
            _close_call(span)
        if span.end is None:
            span.end = end
    root = builder.root
    spans = [_span_out(span) for span in builder.spans]
    return {
        "corr": corr,
        "outcome": builder.outcome,
        "reason": builder.reason,
        "start_ms": _ms(root.start) if root else None,
        "end_ms": _ms(root.end) if root and root.end is not None else None,
        "latency_ms": _ms(root.end - root.start) if root and root.end is not None else None,
        "truncated": truncated,
        "spans": spans,
    }


def _close_call(span: _Span) -> None:
    last = span.attempts[-1]
    if last["outcome"] is not None:
        span.end = last["end"]
        span.status = "ok" if last["outcome"] == "ok" else "error"
        span.reason = None if last["outcome"] == "ok" else last["outcome"]


def _span_out(span: _Span) -> dict[str, Any]:
    return {
        "id": span.id,
        "parent": span.parent.id if span.parent is not None else None,
        "kind": span.kind,
        "name": span.name,
        "node": span.node,
        "instance": span.instance,
        "link": span.link,
        "op": span.op,
        "style": span.style,
        "target": span.target,
        "start_ms": _ms(span.start),
        "end_ms": _ms(span.end or span.start),
        "duration_ms": _ms((span.end or span.start) - span.start),
        "status": span.status,
        "reason": span.reason,
        "attempts": len(span.attempts) if span.kind == "client" else None,
        "phases": _phases(span),
        "events": [
            {"t_ms": _ms(ev["t"]), **{k: v for k, v in ev.items() if k != "t"}}
            for ev in span.events
        ],
    }


def _phases(span: _Span) -> list[dict[str, Any]]:
    end = span.end if span.end is not None else span.start
    if span.kind == "producer" or (span.kind == "client" and span.style == "write"):
        return []
    if span.kind == "client":
        return _call_phases(span, end)
    marks: list[tuple[str, float, float]] = []
    begin = span.start
    if span.kind == "consumer":
        arrive = span.attempts[0].get("arrive_t", begin)
        marks.append(("network", begin, arrive))
        begin = arrive
    worker = span.worker_t if span.worker_t is not None else end
    marks.append(("queued", begin, worker))
    for child in span.children:
        if child.kind != "client" or child.style == "write":
            continue
        child_end = child.end if child.end is not None else end
        if child.style == "async":
            marks.append(("waiting", child.start, child_end))
            reply_t = child.replies[0] if child.replies else end
            marks.append(("queued", child_end, reply_t))
        else:
            marks.append(("blocked", child.start, child_end))
    return _sweep(span.start, end, marks)


def _call_phases(span: _Span, end: float) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    previous_end: float | None = None
    for attempt in span.attempts:
        if previous_end is not None and attempt["t"] > previous_end:
            out.append(_phase("backoff", previous_end, attempt["t"]))
        attempt_end = attempt["end"] if attempt["end"] is not None else end
        item = _phase("attempt", attempt["t"], attempt_end)
        item["attempt"] = attempt["attempt"]
        item["outcome"] = attempt["outcome"] or "unfinished"
        out.append(item)
        previous_end = attempt_end
    return out


def _sweep(start: float, end: float, marks: list[tuple[str, float, float]]) -> list[dict[str, Any]]:
    """Contiguous phases over [start, end]: the highest-priority mark, else `working`."""
    points = sorted({start, end, *(p for _, a, b in marks for p in (a, b) if start < p < end)})
    out: list[dict[str, Any]] = []
    for a, b in itertools.pairwise(points):
        label = "working"
        for name in _PRIORITY:
            if any(m == name and lo <= a and b <= hi for m, lo, hi in marks):
                label = name
                break
        if out and out[-1]["phase"] == label:
            out[-1]["end_ms"] = _ms(b)
        else:
            out.append(_phase(label, a, b))
    return out


def _phase(name: str, a: float, b: float) -> dict[str, Any]:
    return {"phase": name, "start_ms": _ms(a), "end_ms": _ms(b)}
