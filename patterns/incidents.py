"""Incidents: the run told as plain sentences, one per episode ("What happened").

A `Detector` reads what the engine already gives an observer (trace events) and a state
snapshot (`metrics.state`) taken every `sample_s` simulated seconds, and turns them into
incidents: `{"t", "kind", "text", "node", "instance", "link", "corr", "severity"}`
(docs/core-api.md, `Incidents`). Texts use labels, never ids. Repeats are folded into
episodes: a kind of trouble on one node or link gives one sentence when it starts, and
another only once it has been quiet for a while (or, for state-based kinds, once it has
cleared). Everything is a function of the events and snapshots alone, so the same
scenario and seed give the same incidents, bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from . import metrics

Incident = dict[str, Any]
Observer = Callable[[dict[str, Any]], None]

# Every kind, in the order docs/core-api.md lists them.
KINDS: Final = (
    "first_request",
    "async_handoff",
    "fan_out",
    "stale_read",
    "reply_elsewhere",
    "fault_start",
    "fault_end",
    "crash",
    "restart",
    "timeouts",
    "retries",
    "rejected",
    "lost",
    "bad_responses",
    "workers_blocked",
    "workers_free",
    "queue_growing",
    "queue_drained",
    "breaker_open",
    "breaker_half_open",
    "breaker_close",
    "redelivery",
    "redelivery_loop",
    "dead_letter",
)

MAX_INCIDENTS: Final = 500  # a day-long run must not narrate for ever
QUIET_S: Final = 5.0  # an event-based episode ends after this long without its event
RARE_QUIET_S: Final = 30.0  # for things worth saying once in a while (reply elsewhere...)
BLOCKED_SHARE: Final = 0.8  # workers_blocked from this share of an instance's workers up
FREE_SHARE: Final = 0.5  # ... and workers_free again below this share
QUEUE_MIN: Final = 10  # queue_growing from this many waiting (and still growing)
QUEUE_GROWTH: Final = 5  # ... grown by this many over the last second
QUEUE_LOW: Final = 2  # queue_drained at or below this many
HOLD_S: Final = 3.0  # a state-based episode ends once its condition has stayed clear this long
LOOP_ATTEMPTS: Final = 4  # redelivery_loop when one event reaches this many deliveries
MAX_SAMPLES: Final = 5000  # snapshots per run at most (sample_s grows for long runs)
_FAULT_MODES: Final = {
    "omission": "starts dropping messages silently (omission failure{p}): callers get no reply",
    "timing": "starts answering late (timing failure{p}): replies come {extra}",
    "response": "starts giving wrong answers on time (response failure{p})",
    "arbitrary": "starts failing arbitrarily (arbitrary failure{p}): "
    "drops, delays or wrong answers, drawn at random",
}


def _secs(x: float) -> str:
    """'1 s', '0.25 s', '12.5 s': short and exact enough for a sentence."""
    return f"{x:.3g} s" if x < 100 else f"{x:.0f} s"


def _ms(x: float) -> str:
    return f"{x:.3g} ms" if x < 1000 else _secs(x / 1000.0)


def _poss(name: str) -> str:
    """'Payment's', 'Notifications''."""
    return name + ("'" if name.endswith("s") else "'s")


def _a(name: str) -> str:
    """'an Order Placed', 'a Payment Done'."""
    return ("an " if name[:1].lower() in "aeiou" else "a ") + name


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _names(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _inst(name: str | None) -> int | None:
    """The instance number in 'service/k' (None for a topic or datastore id)."""
    if name is None or "/" not in name:
        return None
    return int(name.rsplit("/", 1)[1])


class Detector:
    """Turns one run's trace events and snapshots into incidents (see the module doc).

    `observe(event)` is an observer; `then` is called after it with every event (the
    caller's own observer, or None). `sample(state)` reads one snapshot. `found` is the
    list of incidents so far, in time order.
    """

    def __init__(self, scenario: Any, then: Observer | None = None) -> None:
        self.then = then
        self.found: list[Incident] = []
        self.label: dict[str, str] = {n.id: n.label or n.id for n in scenario.nodes}
        self.links: dict[str, Any] = {link.id: link for link in scenario.links}
        self.async_links = {link.id for link in scenario.links if link.style == "async"}
        self.instances = {n.id: n.instances for n in scenario.nodes if n.kind == "service"}
        self.topics = {n.id: n for n in scenario.nodes if n.kind == "topic"}
        self.faults = list(scenario.faults)
        self.down: dict[str, set[int]] = {sid: set() for sid in self.instances}
        self.narrated_down: set[tuple[str, int]] = set()
        self.last: dict[tuple[str, str], float] = {}  # (kind, key) -> last event time
        self.asked: dict[tuple[str, str, int], str] = {}  # async (corr, link, attempt) -> src
        self.said_once: set[tuple[str, str]] = set()
        self.first: str | None = None
        self.hops: list[tuple[str, str]] = []  # the first request's (from, to) hops
        self.t_first = 0.0
        self.breaker_trials: dict[str, int] = {}
        # State-based episodes in force, and each queue's depth one second ago.
        self.on: set[tuple[str, str]] = set()
        self.clear_since: dict[tuple[str, str], float] = {}
        self.history: dict[str, list[tuple[float, int]]] = {}
        self.handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "arrive": self._arrive,
            "receive": self._receive,
            "complete": self._end,
            "fail": self._end,
            "send": self._send,
            "reply": self._reply,
            "publish": self._publish,
            "poll": self._poll,
            "crash": self._crash,
            "restart": self._restart,
            "fault_start": self._fault_start,
            "fault_end": self._fault_end,
            "timeout": self._timeout,
            "retry": self._retry,
            "rejected": self._rejected,
            "drop": self._drop,
            "breaker_open": self._breaker,
            "breaker_half_open": self._breaker,
            "breaker_close": self._breaker,
            "redeliver": self._redeliver,
            "dead_letter": self._dead_letter,
        }

    # -- plumbing --------------------------------------------------------------------------

    def observe(self, event: dict[str, Any]) -> None:
        handler = self.handlers.get(event["kind"])
        if handler is not None:
            handler(event)
        if self.then is not None:
            self.then(event)

    def observe_alone(self, event: dict[str, Any]) -> None:
        """`observe` when there is no `then` (one test less per event)."""
        handler = self.handlers.get(event["kind"])
        if handler is not None:
            handler(event)

    def say(
        self,
        t: float,
        kind: str,
        text: str,
        severity: str = "info",
        *,
        node: str | None = None,
        instance: int | None = None,
        link: str | None = None,
        corr: str | None = None,
    ) -> None:
        if len(self.found) >= MAX_INCIDENTS:
            return
        self.found.append(
            {
                "t": round(t, 3),
                "kind": kind,
                "text": text,
                "node": node,
                "instance": instance,
                "link": link,
                "corr": corr,
                "severity": severity,
            }
        )

    def fresh(self, kind: str, key: str, t: float, quiet: float = QUIET_S) -> bool:
        """True when this event starts a new episode of (kind, key)."""
        k = (kind, key)
        last = self.last.get(k)
        self.last[k] = t
        return last is None or t - last > quiet

    def once(self, kind: str, key: str) -> bool:
        k = (kind, key)
        if k in self.said_once:
            return False
        self.said_once.add(k)
        return True

    def _ends(self, link_id: str) -> tuple[str, str]:
        link = self.links.get(link_id)
        if link is None:
            return link_id, link_id
        return self.label.get(link.from_, link.from_), self.label.get(link.to, link.to)

    # -- requests and messages -------------------------------------------------------------

    def _arrive(self, e: dict[str, Any]) -> None:
        if self.first is None:
            self.first = e["corr"]
            self.t_first = e["t"]
            self.hops = [(e["node"], e["node"])]
            del self.handlers["arrive"]

    def _receive(self, e: dict[str, Any]) -> None:
        if e.get("corr") == self.first and self.first is not None:
            src = str(e.get("src") or "").split("/", 1)[0]
            self.hops.append((src, e["dst"].split("/", 1)[0]))

    def _end(self, e: dict[str, Any]) -> None:
        if e.get("corr") != self.first or self.first is None:
            return
        self.first = ""  # told: stop following it
        del self.handlers["receive"]
        del self.handlers["complete"]
        took = _ms((e["t"] - self.t_first) * 1000.0)
        outcome = "finished" if e["kind"] == "complete" else "failed"
        hops = len(self.hops) - 1
        path = self._path()
        via = f" after {hops} hop{'s' if hops != 1 else ''}: {path}" if hops else f" at {path}"
        self.say(
            e["t"], "first_request", f"The first request {outcome} in {took}{via}.",
            node=self.hops[0][1], corr=e.get("corr"),
        )  # fmt: skip

    def _path(self) -> str:
        """'A → B → C' for a chain; 'A → B and C' for parallel calls; 'A → B; T → C' when
        a topic (T) passes it on."""
        entry = self.hops[0][1]
        label = self.label
        hops = list(dict.fromkeys(self.hops[1:]))
        chain = [entry]
        for src, dst in hops:
            if src != chain[-1]:
                break
            chain.append(dst)
        if len(chain) == len(hops) + 1:
            return " → ".join(label.get(x, x) for x in chain)
        callees: dict[str, list[str]] = {}
        for src, dst in hops:
            callees.setdefault(src, []).append(label.get(dst, dst))
        return "; ".join(f"{label.get(src, src)} → {_names(dsts)}" for src, dsts in callees.items())

    def _send(self, e: dict[str, Any]) -> None:
        link: str = e.get("link") or ""
        if link not in self.async_links or e.get("msg") != "request":
            return
        self.asked[(e["corr"], link, e.get("attempt") or 1)] = e["src"]
        if len(self.asked) > 100_000:  # requests lost for good never get a reply
            self.asked.clear()
        if self.once("async_handoff", link):
            caller, callee = self._ends(link)
            self.say(
                e["t"], "async_handoff",
                f"{caller} put a request on {_poss(callee)} queue and freed its worker; "
                f"the reply will come back on {_poss(caller)} reply queue.",
                node=self.links[link].from_, instance=_inst(e["src"]), link=link,
                corr=e["corr"],
            )  # fmt: skip

    def _reply(self, e: dict[str, Any]) -> None:
        link: str = e.get("link") or ""
        if link in self.async_links:
            src = self.asked.pop((e["corr"], link, e.get("attempt") or 1), None)
            dst = e.get("dst")
            elsewhere = src is not None and dst is not None and src != dst and "/" in dst
            if elsewhere and self.fresh("reply_elsewhere", link, e["t"], RARE_QUIET_S):
                caller, callee = self._ends(link)
                asker, handler = _inst(src), _inst(dst)
                n = self.instances.get(self.links[link].from_, 1)
                self.say(
                    e["t"], "reply_elsewhere",
                    f"A reply from {callee} landed on {caller} instance "
                    f"{(handler or 0) + 1} of {n}, not on instance {(asker or 0) + 1} "
                    "that sent the request.",
                    node=self.links[link].from_, instance=handler, link=link,
                    corr=e["corr"],
                )  # fmt: skip
        bad = e.get("ok") is False and e.get("reason") == "bad_response" and link in self.links
        if bad and self.fresh("bad_responses", link, e["t"]):
            caller, callee = self._ends(link)
            self.say(
                e["t"], "bad_responses",
                f"{callee} answered {caller} on time, but wrongly (a bad response).",
                "warning", node=self.links[link].to, link=link, corr=e.get("corr"),
            )  # fmt: skip

    def _publish(self, e: dict[str, Any]) -> None:
        topic = e.get("dst")
        if topic is None or not self.once("fan_out", topic):
            return
        subs = [
            self.label.get(link.to, link.to)
            for link in self.links.values()
            if link.style == "subscribe" and link.from_ == topic
        ]
        name = self.label.get(topic, topic)
        if subs:
            queues = "one queue" if len(subs) == 1 else f"{len(subs)} queues, one per subscriber"
            text = f"The first {name} event went onto {queues}: {_names(subs)}."
        else:
            text = f"The first {name} event was published, and nobody subscribes to it."
        self.say(e["t"], "fan_out", text, node=topic, link=e.get("link"), corr=e.get("corr"))

    def _poll(self, e: dict[str, Any]) -> None:
        link_id = e.get("link")
        records = e.get("records") or 0
        if link_id is None or records <= 0 or not self.once("stale_read", link_id):
            return
        link = self.links[link_id]
        store, reader = self.label.get(link.from_, link.from_), self.label.get(link.to, link.to)
        every = _secs((link.interval_ms or 0) / 1000.0)
        self.say(
            e["t"], "stale_read",
            f"{reader} polled {store} and saw {records} records written since its last "
            f"look: between polls (every {every}) its data is up to {every} old.",
            node=link.to, link=link_id,
        )  # fmt: skip

    # -- instances and faults --------------------------------------------------------------

    def _crash(self, e: dict[str, Any]) -> None:
        node, k = e["node"], e.get("instance") or 0
        down = self.down.setdefault(node, set())
        down.add(k)
        poison = e.get("reason") == "poison"
        if poison and not self.fresh("crash", node, e["t"], QUIET_S * 2):
            return
        n = self.instances.get(node, 1)
        name = self.label.get(node, node)
        # A crash fault takes every instance down at one instant: one sentence for them.
        last = self.found[-1] if self.found else None
        if (
            not poison
            and last is not None
            and last["kind"] == "crash"
            and last["node"] == node
            and last["t"] == round(e["t"], 3)
        ):
            last["text"] = f"{name} crashed ({len(down)} of {n} instances down)."
            last["instance"] = None
            self.narrated_down.add((node, k))
            return
        who = name if n == 1 else f"{name} instance {k + 1}"
        cause = "A poison event crashed " + who if poison else who + " crashed"
        self.say(
            e["t"], "crash", f"{cause} ({len(down)} of {n} instances down).", "error",
            node=node, instance=k,
        )  # fmt: skip
        self.narrated_down.add((node, k))

    def _restart(self, e: dict[str, Any]) -> None:
        node, k = e["node"], e.get("instance") or 0
        self.down.setdefault(node, set()).discard(k)
        if (node, k) not in self.narrated_down:
            return
        self.narrated_down.discard((node, k))
        n = self.instances.get(node, 1)
        up = n - len(self.down[node])
        name = self.label.get(node, node)
        last = self.found[-1] if self.found else None
        if (
            last is not None
            and last["kind"] == "restart"
            and last["node"] == node
            and last["t"] == round(e["t"], 3)
        ):
            last["text"] = f"{name} is back up ({up} of {n} instances up)."
            last["instance"] = None
            return
        who = name if n == 1 else f"{name} instance {k + 1}"
        self.say(
            e["t"], "restart", f"{who} is back up ({up} of {n} instances up).",
            node=node, instance=k,
        )  # fmt: skip

    def _fault(self, e: dict[str, Any]) -> tuple[str, str, str | None, str | None]:
        node, link = e.get("node"), e.get("link")
        if link is not None:
            caller, callee = self._ends(link)
            return f"the link from {caller} to {callee}", link, None, link
        name = self.label.get(node or "", node or "")
        if e.get("instance") is not None and self.instances.get(node or "", 1) > 1:
            name = f"{name} instance {e['instance'] + 1}"
        return name, node or "", node, None

    def _fault_start(self, e: dict[str, Any]) -> None:
        mode = e.get("mode")
        who, target, node, link = self._fault(e)
        if mode == "crash":
            if e.get("node") in self.topics:
                self.say(
                    e["t"], "fault_start",
                    f"The {who} topic is down: what is published now is lost.", "error",
                    node=node,
                )  # fmt: skip
            return  # a service's crash is told by its `crash` event
        spec = next(
            (
                f
                for f in self.faults
                if f.target == target and f.mode == mode and abs(f.from_s - e["t"]) < 1e-9
            ),
            None,
        )
        p = ""
        extra = "late"
        if spec is not None:
            if spec.probability < 1:
                p = f", {spec.probability * 100:.3g} % of them"
            if isinstance(spec.extra_ms, (int, float)):
                extra = f"{spec.extra_ms:g} ms"
        elif mode == "timing":
            extra = "late"
        text = _FAULT_MODES.get(str(mode), "starts failing").format(p=p, extra=extra)
        self.say(
            e["t"], "fault_start", f"{who[0].upper()}{who[1:]} {text}.", "warning",
            node=node, link=link,
        )  # fmt: skip

    def _fault_end(self, e: dict[str, Any]) -> None:
        mode = e.get("mode")
        who, _, node, link = self._fault(e)
        if mode == "crash" and e.get("node") not in self.topics:
            return  # told by the `restart` events
        what = "is back up" if mode == "crash" else f"is over its {mode} failure"
        self.say(e["t"], "fault_end", f"{who[0].upper()}{who[1:]} {what}.", node=node, link=link)

    # -- calls ------------------------------------------------------------------------------

    def _timeout(self, e: dict[str, Any]) -> None:
        self._call_trouble(e, "timeouts")

    def _retry(self, e: dict[str, Any]) -> None:
        self._call_trouble(e, "retries")

    def _call_trouble(self, e: dict[str, Any], kind: str) -> None:
        """The first timeout or retry of an episode on a sync or async link."""
        link = e.get("link")
        model = self.links.get(link or "")
        if link is None or model is None or not self.fresh(kind, link, e["t"]):
            return
        caller, callee = self._ends(link)
        if kind == "timeouts":
            after = f" after {_secs(model.timeout_ms / 1000.0)}" if model.timeout_ms else ""
            text = f"{_poss(caller)} calls to {callee} time out{after}."
        else:
            n = model.retries
            text = (
                f"{caller} retries its failed calls to {callee} "
                f"(up to {n} more tr{'ies' if n != 1 else 'y'} each)."
            )
        self.say(
            e["t"], kind, text, "warning", node=model.from_, instance=_inst(e.get("src")),
            link=link, corr=e.get("corr"),
        )  # fmt: skip

    def _rejected(self, e: dict[str, Any]) -> None:
        node = e.get("node")
        if node is None or not self.fresh("rejected", node, e["t"]):
            return
        name = self.label.get(node, node)
        self.say(
            e["t"], "rejected", f"{_poss(name)} queue is full: new requests are turned away.",
            "error", node=node, instance=e.get("instance"), corr=e.get("corr"),
        )  # fmt: skip

    def _drop(self, e: dict[str, Any]) -> None:
        if e.get("reason") != "omission":
            return
        link = e.get("link")
        if link is None or not self.fresh("lost", link, e["t"]):
            return
        caller, callee = self._ends(link)
        what = "A request to" if e.get("msg") == "request" else "A reply from"
        self.say(
            e["t"], "lost", f"{what} {callee} vanished on the way: {caller} gets no answer.",
            "warning", node=self.links[link].to, link=link, corr=e.get("corr"),
        )  # fmt: skip

    def _breaker(self, e: dict[str, Any]) -> None:
        link, kind, t = e["link"], e["kind"], e["t"]
        caller, callee = self._ends(link)
        trials = self.breaker_trials.get(link)
        if kind == "breaker_open":
            if trials is not None:  # the trial call failed: the same episode goes on
                return
            self.breaker_trials[link] = 0
            text = f"{_poss(callee)} breaker opened: {_poss(caller)} calls to it fail at once."
            self.say(t, kind, text, "error", node=self.links[link].to, link=link)
        elif kind == "breaker_half_open":
            self.breaker_trials[link] = (trials or 0) + 1
            if trials:
                return
            text = f"{_poss(callee)} breaker is half-open: one trial call decides."
            self.say(t, kind, text, node=self.links[link].to, link=link)
        else:
            self.breaker_trials.pop(link, None)
            n = trials or 0
            after = f" after {n} trial{'s' if n != 1 else ''}" if n else ""
            text = f"{_poss(callee)} breaker closed{after}: calls go through again."
            self.say(t, kind, text, node=self.links[link].to, link=link)

    # -- events ------------------------------------------------------------------------------

    def _sub(self, e: dict[str, Any]) -> tuple[str, str, str]:
        link = self.links.get(e.get("link") or "")
        topic = e.get("node") or (link.from_ if link is not None else "")
        if topic not in self.topics:
            topic = link.from_ if link is not None else topic
        sub = link.to if link is not None else ""
        return topic, sub, f"{self.label.get(topic, topic)} event"

    def _redeliver(self, e: dict[str, Any]) -> None:
        topic, sub, event = self._sub(e)
        attempt = e.get("attempt") or 2
        model = self.topics.get(topic)
        name = self.label.get(sub, sub)
        forever = model is not None and model.max_deliveries is None
        if forever and attempt == LOOP_ATTEMPTS:
            if self.fresh("redelivery_loop", sub, e["t"], RARE_QUIET_S):
                self.say(
                    e["t"], "redelivery_loop",
                    f"The same {event} is being delivered to {name} for the "
                    f"{attempt}th time: the broker will redeliver it for ever.", "error",
                    node=sub, link=e.get("link"), corr=e.get("corr"),
                )  # fmt: skip
            return
        if attempt == 2 and self.fresh("redelivery", sub, e["t"], QUIET_S * 2):
            self.say(
                e["t"], "redelivery",
                f"{_cap(_a(event))} failed at {name} and goes back on its "
                "queue for redelivery.",
                "warning", node=sub, link=e.get("link"), corr=e.get("corr"),
            )  # fmt: skip

    def _dead_letter(self, e: dict[str, Any]) -> None:
        _, sub, event = self._sub(e)
        if not self.fresh("dead_letter", sub, e["t"], QUIET_S * 2):
            return
        n = e.get("attempt") or 0
        self.say(
            e["t"], "dead_letter",
            f"{_cap(_a(event))} went to {_poss(self.label.get(sub, sub))} dead-letter queue "
            f"after {n} failed deliveries.", "error",
            node=sub, link=e.get("link"), corr=e.get("corr"),
        )  # fmt: skip

    # -- snapshots --------------------------------------------------------------------------

    def sample(self, state: dict[str, Any]) -> None:
        """Read one state snapshot (metrics.state): blocked workers and growing queues."""
        t = state["t"]
        links = state.get("links", {})
        # Async requests are told on their link's request queue, not again as the service's.
        on_links: dict[str, int] = {}
        for lid, link in links.items():
            if "queued" in link:
                to = self.links[lid].to
                on_links[to] = on_links.get(to, 0) + link["queued"]["request"]
        for sid, svc in state.get("services", {}).items():
            workers = blocked = queue = 0
            for inst in svc["instances"]:
                if inst["up"]:
                    workers += inst["working"] + inst["blocked"] + inst["idle"]
                    blocked += inst["blocked"]
                queue += inst["queue"]
            self._blocked(t, sid, workers, blocked, queue, links)
            own = max(0, queue - on_links.get(sid, 0))
            self._queue(t, f"svc:{sid}", own, sid, None, f"{_poss(self.label.get(sid, sid))} queue")
        for lid, link in links.items():
            queued = link.get("queued")
            if queued is not None:
                caller, callee = self._ends(lid)
                self._queue(
                    t, f"req:{lid}", queued["request"], self.links[lid].to, lid,
                    f"{_poss(callee)} request queue from {caller}",
                )  # fmt: skip
        for tid, topic in state.get("topics", {}).items():
            for sub, backlog in topic["backlog"].items():
                name = f"{_poss(self.label.get(sub, sub))} queue on {self.label.get(tid, tid)}"
                self._queue(t, f"sub:{tid}:{sub}", backlog, sub, None, name, "events")

    def _blocked(
        self, t: float, sid: str, workers: int, blocked: int, queue: int, links: dict[str, Any]
    ) -> None:
        key = ("workers_blocked", sid)
        name = self.label.get(sid, sid)
        if key not in self.on:
            if workers == 0 or blocked < BLOCKED_SHARE * workers:
                return
            self.on.add(key)
            on = [
                (links[lid]["in_flight"], lid)
                for lid, link in self.links.items()
                if link.from_ == sid and link.style == "sync" and lid in links
            ]
            waiting = ""
            if on:
                _, lid = max(on)
                waiting = f" waiting on {self._ends(lid)[1]}"
            share = f"all {workers}" if blocked == workers else f"{blocked} of {workers}"
            queued = ""
            if queue:
                queued = f"; {queue} request{'s queue' if queue != 1 else ' queues'} at {name}"
            self.say(
                t, "workers_blocked", f"{share[0].upper()}{share[1:]} workers of {name} are "
                f"blocked{waiting}{queued}.", "error", node=sid,
            )  # fmt: skip
        elif self.cleared(key, t, workers == 0 or blocked < FREE_SHARE * workers):
            self.say(
                t, "workers_free", f"{_poss(name)} workers are free again ({blocked} blocked).",
                node=sid,
            )  # fmt: skip

    def _queue(
        self,
        t: float,
        key: str,
        depth: int,
        node: str,
        link: str | None,
        name: str,
        what: str = "requests",
    ) -> None:
        hist = self.history.setdefault(key, [])
        hist.append((t, depth))
        while len(hist) > 1 and t - hist[1][0] >= 1.0 - 1e-9:
            hist.pop(0)  # keep the newest snapshot at least a second old, and the rest
        ep = ("queue_growing", key)
        if ep not in self.on:
            then_t, then_depth = hist[0]
            old = t - then_t >= 1.0 - 1e-9
            if depth >= QUEUE_MIN and old and depth - then_depth >= QUEUE_GROWTH:
                self.on.add(ep)
                self.say(
                    t, "queue_growing", f"{name} grows: {depth} {what} wait.", "warning",
                    node=node, link=link,
                )  # fmt: skip
        elif self.cleared(ep, t, depth <= QUEUE_LOW):
            self.say(t, "queue_drained", f"{name} has drained.", node=node, link=link)

    def cleared(self, ep: tuple[str, str], t: float, clear: bool) -> bool:
        """True once the episode's condition has stayed clear for HOLD_S (it then ends):
        a queue that empties for a moment and fills again is one episode, not two."""
        if not clear:
            self.clear_since.pop(ep, None)
            return False
        since = self.clear_since.setdefault(ep, t)
        if t - since < HOLD_S - 1e-9:
            return False
        del self.clear_since[ep]
        self.on.discard(ep)
        return True


def attach(sim: Any, sample_s: float = 0.1) -> Detector:
    """A detector for `sim` that observes its events (before `sim.obs`) and samples its
    state every `sample_s` simulated seconds (more for long runs: MAX_SAMPLES at most)."""
    det = Detector(sim.scenario, sim.obs)
    sim.obs = det.observe if sim.obs is not None else det.observe_alone
    every = max(sample_s, sim.end_s / MAX_SAMPLES)
    if every < sim.end_s:
        sim.at(every, _sample, (det, every))
    return det


def _sample(sim: Any, arg: tuple[Detector, float]) -> None:
    det, every = arg
    det.sample(metrics.state(sim))
    nxt = sim.now + every
    if nxt < sim.end_s:
        sim.at(nxt, _sample, arg)


def first_divergence(a: list[Incident], b: list[Incident]) -> dict[str, Any] | None:
    """Where two runs first part ways: the first position at which their incidents differ
    in kind or subject (node, link), times aside; None when they tell the same story.

    Returns `{"index", "t", "a", "b"}`: `a` and `b` are the incidents at that position
    (None for a run whose story has already ended), `t` the earlier of their times."""

    def key(inc: Incident) -> tuple[Any, ...]:
        return (inc["kind"], inc.get("node"), inc.get("link"))

    for i in range(max(len(a), len(b))):
        x = a[i] if i < len(a) else None
        y = b[i] if i < len(b) else None
        if x is None or y is None or key(x) != key(y):
            times = [inc["t"] for inc in (x, y) if inc is not None]
            return {"index": i, "t": min(times), "a": x, "b": y}
    return None
