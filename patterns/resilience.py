"""Calls on sync and async links: attempts, timeouts, retries with backoff, breakers.

A call is what an operation asks of a link; each try is an attempt (numbered from 1).
An attempt fails on a timeout, an error reply (refused, rejected, bad_response, or the
callee's own failure) or an open breaker; failed attempts are retried after a backoff
until `retries` is spent. Every attempt that gets an outcome counts in the breaker's
window. The style modules (`sync`, `messaging`) move the messages: each style is a
`CallStyle` (its `send`: an attempt goes out; its `finish`: the call's outcome).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from .runtime import HOP_LIMIT, LinkStyle

if TYPE_CHECKING:
    from .runtime import LinkRT, Sim
    from .services import InstanceRT, Job

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class Breaker:
    """A circuit breaker on one link: closed, open (calls fail at once), half-open
    (one trial call decides). `open_s` accumulates the time spent open."""

    __slots__ = (
        "fails",
        "gen",
        "link",
        "min_calls",
        "open_for",
        "open_s",
        "opened_at",
        "rate",
        "state",
        "trial",
        "window",
    )

    def __init__(self, link: LinkRT, model: Any) -> None:
        self.link = link
        self.state = CLOSED
        self.rate = model.failure_rate
        self.min_calls = model.min_calls
        self.open_for = model.open_ms / 1000.0
        self.window: deque[bool] = deque(maxlen=model.window)
        self.fails = 0
        self.trial = False
        self.opened_at = 0.0
        self.open_s = 0.0
        self.gen = 0

    def allow(self) -> bool:
        """May an attempt go out now?"""
        if self.state == CLOSED:
            return True
        if self.state == HALF_OPEN and not self.trial:
            self.trial = True
            return True
        return False

    def record(self, sim: Sim, ok: bool) -> None:
        """Count one attempt's outcome (ignored while open: it started before)."""
        if self.state == HALF_OPEN:
            if not self.trial:
                return
            if ok:
                self.state = CLOSED
                self.trial = False
                self.window.clear()
                self.fails = 0
                _trace(sim, self.link, "breaker_close")
            else:
                self._open(sim)
            return
        if self.state != CLOSED:
            return
        w = self.window
        if len(w) == w.maxlen and not w[0]:
            self.fails -= 1
        w.append(ok)
        if not ok:
            self.fails += 1
            if len(w) >= self.min_calls and self.fails >= self.rate * len(w):
                self._open(sim)

    def _open(self, sim: Sim) -> None:
        self.state = OPEN
        self.trial = False
        self.opened_at = sim.now
        self.gen += 1
        _trace(sim, self.link, "breaker_open")
        sim.at(sim.now + self.open_for, _half_open, (self, self.gen))

    def open_total(self, now: float) -> float:
        """Seconds spent open up to now."""
        return self.open_s + (now - self.opened_at if self.state == OPEN else 0.0)


def _half_open(sim: Sim, arg: tuple[Breaker, int]) -> None:
    br, gen = arg
    if br.state != OPEN or br.gen != gen:
        return
    br.open_s += sim.now - br.opened_at
    br.state = HALF_OPEN
    br.trial = False
    _trace(sim, br.link, "breaker_half_open")


def _trace(sim: Sim, link: LinkRT, kind: str) -> None:
    if sim.obs is not None:
        sim.obs({"t": sim.now, "kind": kind, "link": link.id})


class Call:
    """One call of an operation on a link, across its attempts."""

    __slots__ = ("attempt", "counted", "done", "inst", "job", "link", "t0", "waiting")

    def __init__(self, link: LinkRT, job: Job, now: float) -> None:
        self.link = link
        self.job = job
        self.attempt = 0
        self.t0 = now
        self.waiting = False
        self.done = False
        self.inst: InstanceRT | None = None
        self.counted = job.counted


def attempt(sim: Sim, call: Call) -> None:
    if call.job.dead:
        return
    call.attempt += 1
    link = call.link
    br = link.breaker
    if br is not None and not br.allow():
        sim.at(sim.now, fail_now, (call, call.attempt, "circuit_open"))
        return
    link.behaviour.send(sim, call)


def fail_now(sim: Sim, arg: tuple[Call, int, str]) -> None:
    """The attempt fails at once: refused, circuit_open, or hop_limit (never retried)."""
    call, attempt_no, reason = arg
    if reason == "hop_limit":
        final(sim, call, False, reason, None)
        return
    if call.attempt == attempt_no and not call.done:
        if reason != "circuit_open" and call.link.breaker is not None:
            # An attempt refused at once is an outcome too (it may be the trial).
            call.link.breaker.record(sim, False)
        failed(sim, call, reason)


def sent(sim: Sim, call: Call) -> None:
    """The attempt's request went out: wait for the reply (and arm the timeout)."""
    call.waiting = True
    link = call.link
    link.in_flight += 1
    if link.timeout_s is not None:
        sim.at(sim.now + link.timeout_s, _timeout, (call, call.attempt))


def abandon(call: Call) -> None:
    """The caller is gone (lost with a crashed instance): stop waiting, count no more."""
    if call.waiting:
        call.waiting = False
        call.link.in_flight -= 1
        br = call.link.breaker
        if br is not None and br.state == HALF_OPEN:
            br.trial = False  # it may have been the trial: let another call try
    call.done = True


def _timeout(sim: Sim, arg: tuple[Call, int]) -> None:
    call, attempt_no = arg
    if call.attempt != attempt_no or not call.waiting:
        return
    if call.job.dead:
        abandon(call)
        return
    link = call.link
    call.waiting = False
    link.in_flight -= 1
    if call.counted:
        link.timeouts += 1
    if sim.obs is not None:
        target = call.inst.name if call.inst is not None else link.dst_id
        caller = call.job.inst
        assert caller is not None  # a job that called has run on an instance
        sim.obs(
            {
                "t": sim.now,
                "kind": "timeout",
                "corr": call.job.req.corr,
                "link": link.id,
                "src": caller.name,
                "dst": target,
                "attempt": attempt_no,
                "waiting_for": f"reply from {target} on {link.id}",
            }
        )
    if link.breaker is not None:
        link.breaker.record(sim, False)
    failed(sim, call, "timeout")


def stale(call: Call, attempt_no: int) -> bool:
    """Is a reply to this attempt no longer awaited (timed out, superseded, finished)?"""
    return call.done or call.attempt != attempt_no or not call.waiting


def on_reply(
    sim: Sim, call: Call, attempt_no: int, ok: bool, reason: str | None, inst: Any
) -> None:
    """The awaited reply of the current attempt arrived (the caller checked `stale`)."""
    link = call.link
    call.waiting = False
    link.in_flight -= 1
    if link.breaker is not None:
        link.breaker.record(sim, ok)
    if ok:
        final(sim, call, True, None, inst)
    else:
        failed(sim, call, reason or "lost", inst)


def failed(sim: Sim, call: Call, reason: str, inst: Any = None) -> None:
    """The current attempt failed: retry after the backoff, or fail the call."""
    link = call.link
    if call.attempt <= link.retries and not call.job.dead:
        delay = link.backoff_s * link.multiplier ** (call.attempt - 1)
        if call.counted:
            link.retries_n += 1
        if sim.obs is not None:
            sim.obs(
                {
                    "t": sim.now,
                    "kind": "retry",
                    "corr": call.job.req.corr,
                    "link": link.id,
                    "src": call.job.inst.name if call.job.inst is not None else None,
                    "attempt": call.attempt + 1,
                    "reason": reason,
                }
            )
        sim.at(sim.now + delay, attempt, call)
        return
    final(sim, call, False, reason, inst)


def final(sim: Sim, call: Call, ok: bool, reason: str | None, inst: Any) -> None:
    """The call's outcome, after its retries: count it and hand it to the caller."""
    if call.done:
        return
    call.done = True
    link = call.link
    if call.counted:
        if ok:
            link.succeeded += 1
            link.h_lat.add(sim.now - call.t0)
        else:
            link.failed += 1
    link.behaviour.finish(sim, call, ok, reason, inst)


class CallStyle(LinkStyle):
    """What sync and async links share: a call made of attempts (the style modules send
    them and finish the call)."""

    __slots__ = ()

    def start(self, sim: Sim, job: Job, link: LinkRT) -> None:
        """An operation calls `link` (sync or async): the first attempt goes out now."""
        call = Call(link, job, sim.now)
        if call.counted:
            link.calls += 1
        if job.hops >= HOP_LIMIT:
            call.attempt = 1
            sim.at(sim.now, fail_now, (call, 1, "hop_limit"))
            return
        attempt(sim, call)
