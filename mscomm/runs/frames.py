"""Building frames from the core's trace events and state snapshot."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

MAX_EVENTS_PER_FRAME = 500
# Kinds a sampled frame always keeps: few per run, and each is a moment the picture must
# show (a crash, a breaker switching, a fault's start, a dead letter, a timeout burst).
KEPT_KINDS = frozenset(
    {
        "crash",
        "restart",
        "breaker_open",
        "breaker_half_open",
        "breaker_close",
        "fault_start",
        "fault_end",
        "dead_letter",
        "timeout",
    }
)


class FrameBuilder:
    """Collects trace events (as the observer) and turns them into numbered frames."""

    def __init__(self, max_events: int = MAX_EVENTS_PER_FRAME) -> None:
        self.max_events = max_events
        self.pending: list[dict] = []
        self.seq = 0
        self.told = 0  # incidents already in a frame

    def observe(self, event: dict) -> None:
        """The observer handed to `patterns.Simulation`."""
        self.pending.append(event)

    def build(self, *, t: float, state: dict, incidents: list[dict] | None = None) -> dict:
        """The next frame: events since the last one (evenly sampled), exact counts, and
        the incidents found since the last one (`incidents` is the run's whole list so far,
        so each frame carries those whose t falls in it)."""
        found = incidents or []
        new = found[self.told :]
        self.told = len(found)
        events = self.pending
        self.pending = []
        self.seq += 1
        counts = Counter(event["kind"] for event in events)
        sampled = len(events) > self.max_events
        if sampled:
            events = _sample(events, self.max_events)
        return {
            "seq": self.seq,
            "t": t,
            # Wall-clock publish time (Unix s): viewers can see how far behind they are.
            "sent_at": time.time(),
            "events": events,
            "counts": dict(counts),
            "sampled": sampled,
            "state": state,
            "incidents": new,
        }


def _sample(events: list[dict], most: int) -> list[dict]:
    """At most `most` events in time order: every one of a kept kind (up to `most`), the
    rest at an even stride, which keeps the picture's shape and is the same on every replay."""
    kept = [i for i, event in enumerate(events) if event["kind"] in KEPT_KINDS][:most]
    room = most - len(kept)
    rest = [i for i, event in enumerate(events) if event["kind"] not in KEPT_KINDS]
    if room > 0 and rest:
        stride = len(rest) / room
        kept += [rest[int(i * stride)] for i in range(min(room, len(rest)))]
    return [events[i] for i in sorted(kept)]


def state_key(state: dict[str, Any]) -> dict[str, Any]:
    """The state without its clock: equal keys mean nothing visible changed."""
    return {key: value for key, value in state.items() if key != "t"}
